import { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface SessionLike {
    configuration?: unknown;
}

export interface AwsClients {
    kms: KMSClient;
    hsm: CloudHSMV2Client;
    ssm: SSMClient;
    secrets: SecretsManagerClient;
}

interface SessionConfiguration {
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    region?: string;
}

/**
 * Builds every SDK v3 client from the caller's session, in one place.
 * KMS, SSM and Secrets Manager honour AWS_ENDPOINT_URL[_<SERVICE>] themselves; the CloudHSM v2
 * client (3.332.0, the newest published) ignores those variables, so its endpoint is passed explicitly.
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
    return {
        kms: new KMSClient(base),
        hsm: new CloudHSMV2Client({ ...base, ...(hsmEndpoint ? { endpoint: hsmEndpoint } : {}) }),
        ssm: new SSMClient(base),
        secrets: new SecretsManagerClient(base),
    };
}
