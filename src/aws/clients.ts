import type { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';

export interface SessionLike {
    configuration?: unknown;
}

export interface AwsClients {
    kms: KMSClient;
    hsm: CloudHSMV2Client;
    ssm: SSMClient;
    secrets: SecretsManagerClient;
    ec2: EC2Client;
}

interface SessionConfiguration {
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    region?: string;
}

/**
 * Builds every SDK v3 client from the caller's session, in one place.
 * KMS, SSM and Secrets Manager honour AWS_ENDPOINT_URL[_<SERVICE>] themselves; the CloudHSM v2
 * client (3.332.0, the newest published) ignores those variables, so its endpoint is passed explicitly.
 * Each client, and its SDK package, is loaded on first use: evaluating the four packages (CloudHSM's old
 * one brings its own credential chain and STS client) was most of a cold start, and a Read needs KMS only.
 */
export function buildClients(session: SessionLike | null | undefined, fallbackRegion?: string): AwsClients {
    const cfg = (session?.configuration ?? {}) as SessionConfiguration;
    const region = cfg.region ?? fallbackRegion ?? process.env.AWS_REGION;
    const base = {
        region,
        maxAttempts: Number(process.env.KEYSTORE_SDK_MAX_ATTEMPTS ?? 3),
        ...(cfg.credentials ? { credentials: { ...cfg.credentials } } : {}),
    };
    const ignore = process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true';
    const hsmEndpoint = ignore ? undefined : process.env.AWS_ENDPOINT_URL_CLOUDHSM_V2 || process.env.AWS_ENDPOINT_URL || undefined;
    /* eslint-disable @typescript-eslint/no-require-imports -- each SDK package loads on its first call, to keep cold starts short */
    return once({
        kms: () => new (require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms')).KMSClient(base),
        hsm: () =>
            new (require('@aws-sdk/client-cloudhsm-v2') as typeof import('@aws-sdk/client-cloudhsm-v2')).CloudHSMV2Client({
                ...base,
                ...(hsmEndpoint ? { endpoint: hsmEndpoint } : {}),
            }),
        ssm: () => new (require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm')).SSMClient(base),
        secrets: () => new (require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager')).SecretsManagerClient(base),
        // the largest SDK package: only the cluster network checks load it (src/cluster/network.ts)
        ec2: () => new (require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2')).EC2Client(base),
    });
    /* eslint-enable @typescript-eslint/no-require-imports */
}

/** An object whose properties are made by their factories on first read, then kept. */
export function once<T extends object>(factories: { [K in keyof T]: () => T[K] }): T {
    const made: Partial<T> = {};
    const out = {} as T;
    for (const key of Object.keys(factories) as Array<keyof T>) {
        Object.defineProperty(out, key, { enumerable: true, get: () => (key in made ? made[key] : (made[key] = factories[key]())) });
    }
    return out;
}
