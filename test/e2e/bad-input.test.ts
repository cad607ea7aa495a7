/**
 * Bad input, counted: each invalid input gets the right HandlerErrorCode and a message that says what to fix,
 * before anything is made (the simulator saw no mutating call; the only SendCommand allowed is the read-only
 * preflight check). Malformed values are sent to the handler directly (as a caller that skipped the schema
 * would); the rest go through the driver, which validates against the schema first as CloudFormation does.
 */
import { CreateCustomKeyStoreCommand, KMSClient } from '@aws-sdk/client-kms';
import { OperationResult } from '../../local/driver';
import { buildHandlerRequest, lambdaContext, newBearerToken } from '../../local/handler-request';
import { defaultProperties } from '../../local/harness';
import { count } from '../reliability/figures';
import { E2E, S, useE2E } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

type Props = Record<string, unknown>;
interface Case {
    name: string;
    /** handler: one CREATE straight to the handler; driver: CloudFormation's path, schema first */
    via: 'handler' | 'driver' | 'schema' | 'update';
    props: Props;
    setup?: (h: E2E) => Promise<void>;
    code: string;
    /** what the message must say: the property or thing at fault and what to do */
    says: RegExp[];
}

const without = (key: string): Props => {
    const p = defaultProperties();
    delete p[key];
    return p;
};
const CA_PEM_GARBAGE = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----';

const CASES: Case[] = [
    // missing
    ...['CloudHsmClusterId', 'CloudHsmCustCaCertSecretName', 'CloudHsmAdminPasswordSecretName', 'ClientInstanceId'].map((key): Case => ({
        name: `${key} missing`,
        via: 'handler',
        props: without(key),
        code: 'InvalidRequest',
        says: [new RegExp(`${key} is required: set it to`)],
    })),
    // malformed
    ...(
        [
            ['CloudHsmClusterId', 'cluster-1', /cluster- and 11 to 16 letters/],
            ['CloudHsmClusterId', 'Cluster-234567abcdefg', /cluster- and 11 to 16 letters/],
            ['CloudHsmClusterId', 'cluster-0123456789ab', /cluster- and 11 to 16 letters/],
            ['CloudHsmClusterId', 42, /cluster- and 11 to 16 letters/],
            ['ClientInstanceId', 'i-123', /EC2 instance id/],
            ['ClientInstanceId', 'web-server-1', /EC2 instance id/],
            ['CloudHsmAdminPasswordSecretName', 'bad name', /name or ARN of a Secrets Manager secret/],
            ['CloudHsmCustCaCertSecretName', "ca'; rm -rf /", /name or ARN of a Secrets Manager secret/],
            ['CloudHsmAdminPasswordSecretName', 'arn:aws:secretsmanager:us-east-1:123:secret:x', /name or ARN of a Secrets Manager secret/],
            ['CloudHsmAdminUsername', 'ad-min', /1 to 31 letters, digits or underscores/],
            ['CloudHsmAdminUsername', 'a'.repeat(32), /1 to 31 letters, digits or underscores/],
            ['KeyStoreName', '', /1 to 256 characters/],
            ['KeyStoreName', 'k'.repeat(257), /1 to 256 characters/],
        ] as Array<[string, unknown, RegExp]>
    ).map(([key, value, says]): Case => ({
        name: `${key} ${JSON.stringify(value).slice(0, 30)}`,
        via: 'handler',
        props: defaultProperties({ [key]: value }),
        code: 'InvalidRequest',
        says: [new RegExp(`${key} .* is not valid`), says],
    })),
    // the schema: CloudFormation refuses before the handler runs
    { name: 'an unknown property', via: 'schema', props: defaultProperties({ Foo: 'bar' }), code: 'InvalidRequest', says: [/Foo/] },
    {
        name: 'a flag that is not a boolean',
        via: 'schema',
        props: defaultProperties({ DeleteKeyStoreUponStackDeletion: 'yes' }),
        code: 'InvalidRequest',
        says: [/DeleteKeyStoreUponStackDeletion/],
    },
    // secrets
    {
        name: 'the CA secret does not exist',
        via: 'driver',
        props: defaultProperties({ CloudHsmCustCaCertSecretName: 'cloudhsm/no-such-ca' }),
        code: 'InvalidRequest',
        says: [/CloudHsmCustCaCertSecretName cloudhsm\/no-such-ca: no such secret/],
    },
    {
        name: 'the CA secret is not a PEM certificate',
        via: 'driver',
        props: defaultProperties({ CloudHsmCustCaCertSecretName: 'bad/ca-text' }),
        setup: (x) => x.sim.control.putSecret({ name: 'bad/ca-text', secretString: 'hello' }).then(() => undefined),
        code: 'InvalidRequest',
        says: [/bad\/ca-text: the secret must hold the PEM/],
    },
    {
        name: 'the CA secret is binary',
        via: 'driver',
        props: defaultProperties({ CloudHsmCustCaCertSecretName: 'bad/ca-binary' }),
        setup: (x) => x.sim.control.putSecret({ name: 'bad/ca-binary', secretBinary: Buffer.from([0, 1, 2, 255]).toString('base64') }).then(() => undefined),
        code: 'InvalidRequest',
        says: [/bad\/ca-binary: the secret must hold the PEM/],
    },
    {
        name: 'the CA secret looks like a PEM but does not parse',
        via: 'driver',
        props: defaultProperties({ CloudHsmCustCaCertSecretName: 'bad/ca-garbage' }),
        setup: (x) => x.sim.control.putSecret({ name: 'bad/ca-garbage', secretString: CA_PEM_GARBAGE }).then(() => undefined),
        code: 'InvalidRequest',
        says: [/does not parse as an X.509 certificate/],
    },
    {
        name: 'the admin secret does not exist',
        via: 'driver',
        props: defaultProperties({ CloudHsmAdminPasswordSecretName: 'cloudhsm/no-such-admin' }),
        code: 'InvalidRequest',
        says: [/CloudHsmAdminPasswordSecretName cloudhsm\/no-such-admin: no such secret/],
    },
    ...(
        [
            ['blank', ''],
            ['not JSON but braced', '{not json'],
            ['JSON without a password', '{"user": "admin"}'],
            ['JSON with an empty password', '{"password": ""}'],
            ['JSON with a number for a password', '{"password": 1234567}'],
        ] as Array<[string, string]>
    ).map(([what, value]): Case => ({
        name: `the admin secret is ${what}`,
        via: 'driver',
        props: defaultProperties({ CloudHsmAdminPasswordSecretName: 'bad/admin' }),
        setup: (x) => x.sim.control.putSecret({ name: 'bad/admin', secretString: value || ' ' }).then(() => undefined),
        code: 'InvalidRequest',
        says: [/SECRET_UNREADABLE/, /bad\/admin/, /plain password or JSON/],
    })),
    {
        name: 'the admin secret is binary',
        via: 'driver',
        props: defaultProperties({ CloudHsmAdminPasswordSecretName: 'bad/admin-binary' }),
        setup: (x) => x.sim.control.putSecret({ name: 'bad/admin-binary', secretBinary: Buffer.from('pw').toString('base64') }).then(() => undefined),
        code: 'InvalidRequest',
        says: [/SECRET_UNREADABLE/, /no SecretString/],
    },
    // clusters
    {
        name: 'a cluster that does not exist',
        via: 'driver',
        props: defaultProperties({ CloudHsmClusterId: 'cluster-nosuchclust2' }),
        code: 'InvalidRequest',
        says: [/cluster-nosuchclust2: no such CloudHSM cluster/],
    },
    {
        name: 'a cluster with one HSM',
        via: 'driver',
        props: defaultProperties(),
        setup: (x) => x.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: 'us-east-1a' }] }).then(() => undefined),
        code: 'InvalidRequest',
        says: [/1 active HSM\(s\) in 1 Availability Zone/, /Add an HSM/],
    },
    {
        name: 'a cluster with two HSMs in one AZ',
        via: 'driver',
        props: defaultProperties(),
        setup: (x) => x.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: 'us-east-1a' }, { az: 'us-east-1a' }] }).then(() => undefined),
        code: 'InvalidRequest',
        says: [/2 active HSM\(s\) in 1 Availability Zone/],
    },
    {
        name: 'an uninitialised cluster',
        via: 'driver',
        props: defaultProperties(),
        setup: (x) => x.sim.control.putCluster({ id: S.clusterId, state: 'UNINITIALIZED' }).then(() => undefined),
        code: 'InvalidRequest',
        says: [/is UNINITIALIZED; it must be ACTIVE/],
    },
    // instances
    {
        name: 'an instance without cloudhsm-cli',
        via: 'driver',
        props: defaultProperties({ ClientInstanceId: S.noCliInstanceId }),
        code: 'InvalidRequest',
        says: [/CLI_MISSING/, /Install the AWS CloudHSM CLI/],
    },
    {
        name: 'an instance that is offline',
        via: 'driver',
        props: defaultProperties({ ClientInstanceId: S.offlineInstanceId }),
        code: 'InvalidRequest',
        says: [/ping status is ConnectionLost/],
    },
    {
        name: 'an instance SSM does not know',
        via: 'driver',
        props: defaultProperties({ ClientInstanceId: 'i-0fffffffffffffff0' }),
        code: 'InvalidRequest',
        says: [/i-0fffffffffffffff0: SSM does not know it/],
    },
    // in use
    {
        name: 'a name in use',
        via: 'driver',
        props: defaultProperties({ KeyStoreName: 'Taken' }),
        setup: (x) => storeOn(x, S.unrelatedClusterId, 'Taken'),
        code: 'AlreadyExists',
        says: [/KeyStoreName Taken: .* already has this name; choose another name/],
    },
    {
        name: 'a cluster in use',
        via: 'driver',
        props: defaultProperties(),
        setup: (x) => storeOn(x, S.clusterId, 'SomeoneElses'),
        code: 'AlreadyExists',
        says: [/already associated with custom key store cks-/],
    },
    {
        name: 'kmsuser exists and AdoptExistingKmsUser is not set',
        via: 'driver',
        props: defaultProperties(),
        setup: (x) => x.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'Pre-existing1' }).then(() => undefined),
        code: 'AlreadyExists',
        says: [/KMSUSER_EXISTS/, /Set AdoptExistingKmsUser to true/],
    },
    // update
    {
        name: 'a create-only change (the CA secret) on update',
        via: 'update',
        props: defaultProperties({ CloudHsmCustCaCertSecretName: 'cloudhsm/other-ca' }),
        code: 'NotUpdatable',
        says: [/CloudHsmCustCaCertSecretName is create-only/, /replace the resource/],
    },
];

/** A store made outside the stack, straight through KMS. */
async function storeOn(x: E2E, clusterId: string, name: string): Promise<void> {
    const state = await x.sim.control.state();
    const caName = clusterId === S.unrelatedClusterId ? S.unrelatedCaSecretName : S.caSecretName;
    const pem = state.secrets.find((s) => s.name === caName)!.versions[0].secretString!;
    const kms = new KMSClient({ region: S.region, endpoint: x.sim.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await kms.send(
        new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: name,
            CloudHsmClusterId: clusterId,
            TrustAnchorCertificate: pem,
            KeyStorePassword: 'SomeonesPw1',
        }),
    );
}

const MUTATING = /^(Create|Update|Delete|Connect|Disconnect|Put|Schedule|Restore)/;

async function run(c: Case): Promise<OperationResult | { status: string; errorCode?: string; message: string; invokedHandler: boolean }> {
    if (c.via === 'handler') {
        const request = buildHandlerRequest({
            action: 'CREATE',
            bearerToken: newBearerToken(),
            resourceProperties: c.props,
            resourceType: h.schema.typeName,
            region: S.region,
            accountId: S.accountId,
            logicalResourceId: 'KeyStore',
        });
        const response = JSON.parse(JSON.stringify(await h.entrypoint(request, lambdaContext())));
        return { status: response.status, errorCode: response.errorCode, message: response.message, invokedHandler: true };
    }
    if (c.via === 'update') {
        const created = await h.run(h.driver.create(defaultProperties()));
        expect(created.status).toBe('SUCCESS');
        const since = await lastSeq();
        const request = buildHandlerRequest({
            action: 'UPDATE',
            bearerToken: newBearerToken(),
            resourceProperties: { ...c.props, CustomKeyStoreId: created.model!.CustomKeyStoreId },
            previousResourceProperties: { ...defaultProperties(), CustomKeyStoreId: created.model!.CustomKeyStoreId },
            resourceType: h.schema.typeName,
            region: S.region,
            accountId: S.accountId,
            logicalResourceId: 'KeyStore',
        });
        const response = JSON.parse(JSON.stringify(await h.entrypoint(request, lambdaContext())));
        updateSince = since;
        return { status: response.status, errorCode: response.errorCode, message: response.message, invokedHandler: true };
    }
    return h.run(h.driver.create(c.props));
}

let updateSince: number | undefined;
const lastSeq = async () => (await h.sim.control.requests()).slice(-1)[0]?.seq ?? 0;

test(`at least 30 invalid inputs (${CASES.length} here)`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
});

test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    updateSince = undefined;
    if (c.setup) await c.setup(h);
    const since = await lastSeq();
    const r = await run(c);
    expect({ status: r.status, errorCode: r.errorCode }).toEqual({ status: 'FAILED', errorCode: c.code });
    for (const says of c.says) expect(r.message).toMatch(says);
    if (c.via === 'schema') expect(r.invokedHandler).toBe(false);
    // before anything is made: no call that changes AWS, but the read-only preflight check
    const calls = await h.sim.control.requests({ since: updateSince ?? since });
    const mutating = calls.filter(
        (q) => MUTATING.test(q.operation) || (q.operation === 'SendCommand' && !/ kmsuser check /.test(String((q.body as { Comment?: string }).Comment))),
    );
    expect(mutating.map((q) => q.operation)).toEqual([]);
    count('badInputs');
});
