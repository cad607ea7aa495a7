import { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { buildClients } from '../../src/aws/clients';

const ENV_KEYS = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_CLOUDHSM_V2', 'AWS_REGION', 'KEYSTORE_SDK_MAX_ATTEMPTS'] as const;
const saved: Record<string, string | undefined> = {};

beforeEach(() => {
    for (const k of ENV_KEYS) {
        saved[k] = process.env[k];
        delete process.env[k];
    }
});
afterEach(() => {
    for (const k of ENV_KEYS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
});

const session = {
    configuration: {
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'SECRET', sessionToken: 'TOKEN' },
        region: 'eu-west-1',
    },
};

// Both SDK generations expose resolved config members as providers (functions returning promises).
type Cfg = {
    region: () => Promise<string>;
    credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
    endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }>;
    maxAttempts: () => Promise<number>;
};
const cfg = (c: { config: unknown }) => c.config as Cfg;

describe('buildClients', () => {
    it('builds one client per service', () => {
        const c = buildClients(session);
        expect(c.kms).toBeInstanceOf(KMSClient);
        expect(c.hsm).toBeInstanceOf(CloudHSMV2Client);
        expect(c.ssm).toBeInstanceOf(SSMClient);
        expect(c.secrets).toBeInstanceOf(SecretsManagerClient);
    });

    it('takes region and credentials (session token included) from session.configuration for every client', async () => {
        const c = buildClients(session, 'us-west-2');
        for (const client of [c.kms, c.hsm, c.ssm, c.secrets]) {
            await expect(cfg(client).region()).resolves.toBe('eu-west-1');
            await expect(cfg(client).credentials()).resolves.toMatchObject({
                accessKeyId: 'AKIDEXAMPLE',
                secretAccessKey: 'SECRET',
                sessionToken: 'TOKEN',
            });
        }
    });

    it('falls back to the given region when the session has none, and to AWS_REGION after that', async () => {
        const noRegion = { configuration: { credentials: session.configuration.credentials } };
        process.env.AWS_REGION = 'ap-northeast-1';
        const a = buildClients(noRegion, 'ap-south-1');
        const b = buildClients(null, 'sa-east-1');
        const d = buildClients(undefined);
        for (const client of [a.kms, a.hsm, a.ssm, a.secrets]) await expect(cfg(client).region()).resolves.toBe('ap-south-1');
        for (const client of [b.kms, b.hsm, b.ssm, b.secrets]) await expect(cfg(client).region()).resolves.toBe('sa-east-1');
        for (const client of [d.kms, d.hsm, d.ssm, d.secrets]) await expect(cfg(client).region()).resolves.toBe('ap-northeast-1');
    });

    it('gives the CloudHSM client an explicit endpoint from AWS_ENDPOINT_URL_CLOUDHSM_V2', async () => {
        process.env.AWS_ENDPOINT_URL_CLOUDHSM_V2 = 'http://127.0.0.1:4566/cloudhsm';
        process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9999';
        const { hsm } = buildClients(session);
        expect(cfg(hsm).endpoint).toBeDefined();
        await expect(cfg(hsm).endpoint!()).resolves.toMatchObject({
            protocol: 'http:',
            hostname: '127.0.0.1',
            port: 4566,
            path: '/cloudhsm',
        });
    });

    it('falls back to AWS_ENDPOINT_URL for the CloudHSM client', async () => {
        process.env.AWS_ENDPOINT_URL = 'http://localhost:4567';
        const { hsm } = buildClients(session);
        await expect(cfg(hsm).endpoint!()).resolves.toMatchObject({ protocol: 'http:', hostname: 'localhost', port: 4567 });
    });

    it('sets no CloudHSM endpoint when neither variable is set (the SDK resolves the regional AWS endpoint)', () => {
        const { hsm } = buildClients(session);
        expect(cfg(hsm).endpoint).toBeUndefined();
        expect((hsm.config as { isCustomEndpoint?: boolean }).isCustomEndpoint).toBe(false);
    });

    it('passes no explicit endpoint to KMS, SSM and Secrets Manager (they read AWS_ENDPOINT_URL* themselves)', () => {
        process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:4566';
        const c = buildClients(session);
        for (const client of [c.kms, c.ssm, c.secrets]) expect(cfg(client).endpoint).toBeUndefined();
    });

    it('uses maxAttempts 3 by default and KEYSTORE_SDK_MAX_ATTEMPTS when set', async () => {
        const a = buildClients(session);
        process.env.KEYSTORE_SDK_MAX_ATTEMPTS = '1';
        const b = buildClients(session);
        for (const client of [a.kms, a.hsm, a.ssm, a.secrets]) await expect(cfg(client).maxAttempts()).resolves.toBe(3);
        for (const client of [b.kms, b.hsm, b.ssm, b.secrets]) await expect(cfg(client).maxAttempts()).resolves.toBe(1);
    });
});

describe('loading on first use', () => {
    test('each client is made on first read and then kept', () => {
        const c = buildClients(session);
        expect(c.kms).toBe(c.kms);
        expect(c.kms).toBeInstanceOf(KMSClient);
        expect(Object.keys(c)).toEqual(['kms', 'hsm', 'ssm', 'secrets', 'ec2']);
    });

    test('an SDK package and its adapter are loaded only when a workflow first calls that service', () => {
        const loaded: string[] = [];
        jest.isolateModules(() => {
            for (const pkg of [
                '@aws-sdk/client-kms',
                '@aws-sdk/client-cloudhsm-v2',
                '@aws-sdk/client-ssm',
                '@aws-sdk/client-secrets-manager',
                '@aws-sdk/client-ec2',
            ]) {
                jest.doMock(pkg, () => {
                    loaded.push(pkg);
                    return jest.requireActual(pkg);
                });
            }
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the module registry is reset, to see what a cold start loads
            const { lazyAdapters } = require('../../src/aws/adapters') as typeof import('../../src/aws/adapters');
            const aws = lazyAdapters(session);
            expect(loaded).toEqual([]);
            expect(aws.kms).toBe(aws.kms);
            expect(loaded).toEqual(['@aws-sdk/client-kms']);
            void aws.hsm;
            expect(loaded).toEqual(['@aws-sdk/client-kms', '@aws-sdk/client-cloudhsm-v2']);
            // EC2's package, the largest, only when the cluster network checks run
            void aws.ec2;
            expect(loaded).toEqual(['@aws-sdk/client-kms', '@aws-sdk/client-cloudhsm-v2', '@aws-sdk/client-ec2']);
        });
    });
});
