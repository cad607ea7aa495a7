import type { DriveResult } from '../fakes/drive';
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { readModel } from '../../src/keystore/read';
import { hsmsIn } from '../fakes/aws';
import { checkEveryDrive } from '../fakes/checks';
import { summarize } from '../fakes/drive';
import { createOp, existingStore, sideEffects } from '../fakes/ops';
import { ADMIN_SECRET, CA_PEM, CA_SECRET, CLUSTER, desiredProps, INSTANCE, OTHER_CLUSTER, standardWorld, WRITE_ONLY } from '../fakes/world';

checkEveryDrive();

/** How long each answered invocation ran, in fake seconds (the next one starts after its callback delay). */
function invocationSeconds(r: DriveResult): number[] {
    const out: number[] = [];
    for (let i = 0; i + 1 < r.steps.length; i++) {
        const delay = r.steps[i].event?.callbackDelaySeconds ?? 0;
        out.push((r.steps[i + 1].startedAt - r.steps[i].startedAt) / 1000 - delay);
    }
    return out;
}

/** The state each DescribeCustomKeyStores answered with, in order, with its fake time and call number. */
function watchDescribes(aws: ReturnType<typeof standardWorld>): Array<{ at: number; seq: number; state?: string }> {
    const seen: Array<{ at: number; seq: number; state?: string }> = [];
    const hook = () => {
        seen.push({ at: aws.clock.now(), seq: aws.log.length, state: aws.kms.all()[0]?.state });
        aws.after('kms.describeStore', hook);
    };
    aws.after('kms.describeStore', hook);
    return seen;
}

/** The polls of awaitConnected: every describe after the connect, up to the first that saw it settle. */
function connectPolls(aws: ReturnType<typeof standardWorld>, seen: ReturnType<typeof watchDescribes>) {
    const connectSeq = aws.log.of('kms.connect')[0].seq;
    const after = seen.filter((s) => s.seq > connectSeq);
    const settled = after.findIndex((s) => s.state !== 'CONNECTING');
    return { polls: after.slice(0, settled + 1), settledAt: after[settled] };
}

describe('create: happy path', () => {
    test('ends SUCCESS with the model Read returns, after one CreateCustomKeyStore and one SendCommand', async () => {
        const aws = standardWorld();
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');

        const stores = aws.kms.all();
        expect(stores).toHaveLength(1);
        const store = stores[0];
        expect(store).toMatchObject({ name: 'payments-keystore', clusterId: CLUSTER, state: 'CONNECTED', trustAnchor: CA_PEM });

        expect(r.model).toEqual({
            customKeyStoreId: store.id,
            keyStoreName: 'payments-keystore',
            cloudHsmClusterId: CLUSTER,
            desiredConnectionState: 'CONNECTED',
            connectionState: 'CONNECTED',
            trustAnchorCertificate: CA_PEM,
        });
        expect(r.model).toEqual(await readModel(aws.adapters(), store.id));
        for (const key of WRITE_ONLY) expect(r.model).not.toHaveProperty(key);

        expect(aws.log.count('kms.createStore')).toBe(1);
        expect(aws.log.count('ssm.sendShellScript')).toBe(2);
        expect(aws.ssm.checksSent()).toBe(1);
        expect(aws.ssm.actionsSent()).toEqual(['create']);
        expect(aws.hsm.clusters.get(CLUSTER)?.kmsUser).toBe(true);
        expect(sideEffects(r.calls)).toEqual(['secrets.create', 'kms.createStore', 'ssm.sendShellScript:create', 'kms.connect', 'secrets.forceDelete']);
    });

    test('KMS gets the generated bootstrap password; the bootstrap secret is force-deleted once CONNECTED', async () => {
        const aws = standardWorld();
        let stateWhenDeleted: string | undefined;
        aws.after('secrets.forceDelete', () => (stateWhenDeleted = aws.kms.all()[0]?.state));
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        expect(stateWhenDeleted).toBe('CONNECTED');

        const made = aws.log.of('secrets.create').map((c) => c.args[0] as { name: string; value: string; token: string });
        expect(made).toHaveLength(1);
        expect(made[0].value).toMatch(/^[A-Za-z0-9]{32}$/);
        expect((aws.log.of('kms.createStore')[0].args[0] as { password: string }).password).toBe(made[0].value);
        // the script set that password on kmsuser; KMS logged in with it and rotated it at the connect
        const cluster = aws.hsm.clusters.get(CLUSTER)!;
        expect(cluster.kmsUserPassword).toBe(aws.kms.all()[0].password);
        expect(cluster.kmsUserPassword).not.toBe(made[0].value);
        expect(aws.secrets.leftover()).toEqual([]);
        expect(aws.secrets.forceDeleted).toHaveLength(1);
        expect(aws.secrets.forceDeleted[0]).toContain(made[0].name);
        // the script was told where the password is, never what it is
        const script = (aws.log.of('ssm.sendShellScript')[1].args[0] as { commands: string[] }).commands.join('\n');
        expect(script).toContain(`K_BOOT_SECRET='${aws.secrets.forceDeleted[0]}'`);
        expect(script).toContain(`K_ADMIN_SECRET='${ADMIN_SECRET}'`);
    });

    test('the first invocation returns IN_PROGRESS with the CustomKeyStoreId; every IN_PROGRESS keeps id and write-only properties', async () => {
        const aws = standardWorld();
        aws.kms.connectSeconds = 120; // longer than one invocation's budget
        const desired = desiredProps({ cloudHsmAdminUsername: 'co_admin', deleteKeyStoreUponStackDeletion: false, adoptExistingKmsUser: false });
        const r = await createOp(aws, desired);
        expect(r.status).toBe('SUCCESS');
        const id = aws.kms.all()[0].id;

        const first = r.steps[0].event;
        expect(first?.status).toBe('IN_PROGRESS');
        expect(first?.resourceModel?.customKeyStoreId).toBe(id);
        expect(r.steps[0].calls.map((c) => c.op)).toContain('kms.createStore');

        expect(r.inProgress.length).toBeGreaterThanOrEqual(2);
        for (const step of r.inProgress) {
            const model = step.event?.resourceModel;
            expect(model?.customKeyStoreId).toBe(id);
            for (const key of WRITE_ONLY) expect(model?.[key]).toBe(desired[key]);
            expect(step.serialized?.resourceModel).toMatchObject({ CustomKeyStoreId: id, ClientInstanceId: INSTANCE, CloudHsmCustCaCertSecretName: CA_SECRET });
            expect(step.event?.callbackContext).toMatchObject({ storeId: id });
        }
        // the script uses the admin username given
        const script = (aws.log.of('ssm.sendShellScript')[0].args[0] as { commands: string[] }).commands;
        expect(script).toContain("K_ADMIN_USER='co_admin'");
    });

    test('the connect is polled every 5 s inside an invocation; IN_PROGRESS (5 s) only when the budget is spent', async () => {
        const aws = standardWorld();
        aws.kms.connectSeconds = 100;
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        const waits = r.inProgress.filter((s) => s.event?.callbackContext?.phase === 'awaitConnected');
        expect(waits.length).toBeGreaterThanOrEqual(2);
        for (const s of waits) expect(s.event?.callbackDelaySeconds).toBe(5);
        for (const s of r.inProgress) expect(s.event?.message).toBeTruthy();
        for (const d of invocationSeconds(r)) expect(d).toBeLessThanOrEqual(30);
        // SUCCESS within one poll of the store becoming CONNECTED
        const connectedAt = aws.log.of('kms.connect')[0].at + 100_000;
        expect(aws.clock.now() - connectedAt).toBeLessThanOrEqual(5_000 + 1_000);
    });

    test.each([
        { outcome: 'CONNECTED', last: 'next', status: 'SUCCESS' },
        { outcome: 'NETWORK_ERRORS', last: 'fail', status: 'FAILED' },
    ])('polling stops the moment the store is $outcome: no wait after the describe that sees it', async ({ outcome, last, status }) => {
        const aws = standardWorld();
        aws.kms.connectSeconds = 62;
        aws.kms.connectOutcomes = [outcome];
        const seen = watchDescribes(aws);
        const r = await createOp(aws);
        expect(r.status).toBe(status);
        const { polls, settledAt } = connectPolls(aws, seen);
        const connectAt = aws.log.of('kms.connect')[0].at;
        // polled while CONNECTING (every 5 s, across invocations), and the first poll after it settled saw it
        expect(polls.length).toBeGreaterThanOrEqual(62 / 5);
        expect(polls.slice(0, -1).every((p) => p.state === 'CONNECTING')).toBe(true);
        expect(settledAt.at - (connectAt + 62_000)).toBeGreaterThanOrEqual(0);
        expect(settledAt.at - (connectAt + 62_000)).toBeLessThanOrEqual(5_000);
        // one wait per poll that saw CONNECTING; the poll that saw the outcome moved on at once
        const awaitLines = r.logs.filter((l) => l.startsWith('create/awaitConnected: '));
        expect(awaitLines.filter((l) => l.endsWith(': wait'))).toHaveLength(polls.length - 1);
        expect(awaitLines[awaitLines.length - 1]).toBe(`create/awaitConnected: ${last}`);
        if (outcome === 'CONNECTED') expect(aws.clock.now()).toBe(settledAt.at);
        else expect(aws.log.calls.find((c) => c.seq > settledAt.seq)?.at).toBe(settledAt.at);
    });

    test('a 20-minute connect: at most 60 invocations, none over 30 s, SUCCESS within 5 s of CONNECTED', async () => {
        const aws = standardWorld();
        aws.kms.connectSeconds = 20 * 60;
        const started = aws.clock.now();
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        expect(aws.clock.now() - started).toBeGreaterThanOrEqual(20 * 60 * 1000);
        expect(r.invocations).toBeLessThanOrEqual(60);
        for (const d of invocationSeconds(r)) expect(d).toBeLessThanOrEqual(30);
        const connectedAt = aws.log.of('kms.connect')[0].at + 20 * 60 * 1000;
        expect(aws.clock.now() - connectedAt).toBeLessThanOrEqual(6_000);
        // one describe per 5-second poll, not a busy loop
        expect(aws.log.count('kms.describeStore')).toBeLessThanOrEqual((20 * 60) / 5 + r.invocations + 10);
    });

    test('no KeyStoreName: a name from the logical id and request token, the same in every invocation', async () => {
        const aws = standardWorld();
        const { keyStoreName: _omit, ...noName } = desiredProps();
        const r = await createOp(aws, noName, { replayEach: true });
        expect(r.status).toBe('SUCCESS');
        const store = aws.kms.all()[0];
        expect(store.name).toMatch(/^PaymentsKeyStore-[0-9a-f]{12}$/);
        expect(r.model?.keyStoreName).toBe(store.name);
        const names = [
            ...aws.log.of('kms.describeStoreByName').map((c) => c.args[0]),
            ...aws.log.of('kms.createStore').map((c) => (c.args[0] as { name: string }).name),
        ];
        expect(names.length).toBeGreaterThanOrEqual(4);
        expect(new Set(names)).toEqual(new Set([store.name]));
        expect(aws.kms.all()).toHaveLength(1);

        // another request (another stack, or a retry of the stack operation) gets another name
        const other = standardWorld();
        const r2 = await createOp(other, noName, { request: { clientRequestToken: '0b5d1d8e-0000-4000-8000-123456789abc' } });
        expect(r2.status).toBe('SUCCESS');
        expect(other.kms.all()[0].name).not.toBe(store.name);
    });
});

describe('create: validation fails before anything is made', () => {
    type Case = {
        title: string;
        setup?: (aws: ReturnType<typeof standardWorld>) => void;
        props?: Parameters<typeof desiredProps>[0];
        code: HandlerErrorCode;
        message: RegExp;
    };
    const cases: Case[] = [
        {
            title: 'KeyStoreName used by another store (another cluster)',
            setup: (aws) => aws.kms.addStore({ name: 'payments-keystore', clusterId: OTHER_CLUSTER }),
            code: HandlerErrorCode.AlreadyExists,
            message: /KeyStoreName payments-keystore: custom key store cks-[0-9a-f]{17} already has this name/,
        },
        {
            title: 'KeyStoreName used by a CONNECTED store on the same cluster',
            setup: (aws) => aws.kms.addStore({ name: 'payments-keystore', clusterId: CLUSTER, state: 'CONNECTED' }),
            code: HandlerErrorCode.AlreadyExists,
            message: /KeyStoreName payments-keystore: .* already has this name/,
        },
        {
            title: 'cluster already used by another store',
            setup: (aws) => aws.kms.addStore({ name: 'legacy-store', clusterId: CLUSTER }),
            code: HandlerErrorCode.AlreadyExists,
            message: new RegExp(`CloudHsmClusterId ${CLUSTER}: the cluster is already associated with custom key store cks-`),
        },
        {
            title: 'cluster does not exist',
            props: { cloudHsmClusterId: 'cluster-nosuchclust2' },
            code: HandlerErrorCode.InvalidRequest,
            message: /CloudHsmClusterId cluster-nosuchclust2: no such CloudHSM cluster/,
        },
        {
            title: 'cluster not ACTIVE',
            setup: (aws) => aws.hsm.addCluster({ id: 'cluster-uninitclus23', state: 'INITIALIZED' }),
            props: { cloudHsmClusterId: 'cluster-uninitclus23' },
            code: HandlerErrorCode.InvalidRequest,
            message: /the cluster is INITIALIZED; it must be ACTIVE/,
        },
        {
            title: 'cluster with one HSM',
            setup: (aws) => aws.hsm.addCluster({ id: 'cluster-onehsmclus23', hsms: hsmsIn(['us-east-1a']) }),
            props: { cloudHsmClusterId: 'cluster-onehsmclus23' },
            code: HandlerErrorCode.InvalidRequest,
            message: /the cluster has 1 active HSM\(s\) in 1 Availability Zone\(s\); KMS needs at least two active HSMs in different Availability Zones/,
        },
        {
            title: 'cluster with two HSMs in one AZ',
            setup: (aws) => aws.hsm.addCluster({ id: 'cluster-oneazclust23', hsms: hsmsIn(['us-east-1a', 'us-east-1a']) }),
            props: { cloudHsmClusterId: 'cluster-oneazclust23' },
            code: HandlerErrorCode.InvalidRequest,
            message: /the cluster has 2 active HSM\(s\) in 1 Availability Zone\(s\)/,
        },
        {
            title: 'cluster whose second HSM is still being created',
            setup: (aws) =>
                aws.hsm.addCluster({ id: 'cluster-creatingcl23', hsms: [...hsmsIn(['us-east-1a']), ...hsmsIn(['us-east-1b'], 'x', 'CREATE_IN_PROGRESS')] }),
            props: { cloudHsmClusterId: 'cluster-creatingcl23' },
            code: HandlerErrorCode.InvalidRequest,
            message: /1 active HSM\(s\) in 1 Availability Zone/,
        },
        {
            title: 'admin password secret missing',
            props: { cloudHsmAdminPasswordSecretName: 'prod/cloudhsm/no-such-admin' },
            code: HandlerErrorCode.InvalidRequest,
            message: /CloudHsmAdminPasswordSecretName prod\/cloudhsm\/no-such-admin: no such secret in Secrets Manager/,
        },
        {
            title: 'admin password secret scheduled for deletion',
            setup: (aws) => aws.secrets.scheduleDeletion(ADMIN_SECRET),
            code: HandlerErrorCode.InvalidRequest,
            message: /CloudHsmAdminPasswordSecretName prod\/cloudhsm\/admin-password: the secret is scheduled for deletion/,
        },
        {
            title: 'CA certificate secret missing',
            props: { cloudHsmCustCaCertSecretName: 'prod/cloudhsm/no-such-ca' },
            code: HandlerErrorCode.InvalidRequest,
            message: /CloudHsmCustCaCertSecretName prod\/cloudhsm\/no-such-ca: no such secret/,
        },
        {
            title: 'CA secret that is not a PEM certificate',
            setup: (aws) => aws.secrets.put('prod/cloudhsm/not-a-cert', 'just some text', { public: true }),
            props: { cloudHsmCustCaCertSecretName: 'prod/cloudhsm/not-a-cert' },
            code: HandlerErrorCode.InvalidRequest,
            message: /the secret must hold the PEM of the cluster's issuing CA certificate/,
        },
        {
            title: 'CA secret with a PEM that does not parse',
            setup: (aws) =>
                aws.secrets.put('prod/cloudhsm/bad-cert', '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----', { public: true }),
            props: { cloudHsmCustCaCertSecretName: 'prod/cloudhsm/bad-cert' },
            code: HandlerErrorCode.InvalidRequest,
            message: /does not parse as an X\.509 certificate/,
        },
        {
            title: 'client instance offline',
            setup: (aws) => aws.ssm.addInstance('i-0fedcba9876543210', 'ConnectionLost'),
            props: { clientInstanceId: 'i-0fedcba9876543210' },
            code: HandlerErrorCode.InvalidRequest,
            message: /ClientInstanceId i-0fedcba9876543210: its SSM ping status is ConnectionLost/,
        },
        {
            title: 'client instance unknown to SSM',
            props: { clientInstanceId: 'i-0aaaaaaaaaaaaaaaa' },
            code: HandlerErrorCode.InvalidRequest,
            message: /ClientInstanceId i-0aaaaaaaaaaaaaaaa: SSM does not know it/,
        },
    ];

    test.each(cases)('$title', async ({ setup, props, code, message }) => {
        const aws = standardWorld();
        setup?.(aws);
        const storesBefore = aws.kms.all().map((s) => ({ ...s }));
        const r = await createOp(aws, desiredProps(props));
        expect(summarize(r)).toContain('FAILED');
        expect(r.final.errorCode).toBe(code);
        expect(r.final.message).toMatch(message);
        expect(r.final.message).toMatch(/^Invalid key store properties: /);
        expect(r.invocations).toBe(1);
        // nothing was made, nothing was changed
        expect(aws.log.count('secrets.create')).toBe(0);
        expect(aws.log.count('kms.createStore')).toBe(0);
        expect(aws.log.count('ssm.sendShellScript')).toBe(0);
        expect(aws.log.mutating()).toEqual([]);
        expect(aws.kms.all()).toEqual(storesBefore);
    });

    test('several problems are reported in one message, with the code of the first', async () => {
        const aws = standardWorld();
        aws.kms.addStore({ name: 'payments-keystore', clusterId: OTHER_CLUSTER });
        aws.hsm.addCluster({ id: 'cluster-onehsmclus23', hsms: hsmsIn(['us-east-1a']) });
        const r = await createOp(
            aws,
            desiredProps({
                cloudHsmClusterId: 'cluster-onehsmclus23',
                clientInstanceId: 'i-0aaaaaaaaaaaaaaaa',
                cloudHsmCustCaCertSecretName: 'prod/cloudhsm/no-such-ca',
            }),
        );
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.AlreadyExists);
        const m = r.final.message;
        expect(m).toMatch(/KeyStoreName payments-keystore: .* already has this name/);
        expect(m).toMatch(/CloudHsmClusterId cluster-onehsmclus23: the cluster has 1 active HSM/);
        expect(m).toMatch(/CloudHsmCustCaCertSecretName prod\/cloudhsm\/no-such-ca: no such secret/);
        expect(m).toMatch(/ClientInstanceId i-0aaaaaaaaaaaaaaaa: SSM does not know it/);
        expect(aws.log.mutating()).toEqual([]);
    });

    test('a store with this name left DISCONNECTED on this cluster by someone else: KMS refuses; the message names it, its state, no keys and the two ways out', async () => {
        const aws = standardWorld();
        const foreign = aws.kms.addStore({
            name: 'payments-keystore',
            clusterId: CLUSTER,
            state: 'DISCONNECTED',
            trustAnchor: CA_PEM,
            password: 'someone-elses-pw',
        });
        const r = await createOp(aws);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.AlreadyExists);
        expect(aws.log.of('kms.createStore')).toHaveLength(1);
        expect(r.final.message).toContain(`custom key store ${foreign.id} (named payments-keystore), which is DISCONNECTED and holds no KMS keys`);
        expect(r.final.message).toContain(`aws kms delete-custom-key-store --custom-key-store-id ${foreign.id} --region us-east-1`);
        expect(r.final.message).toContain(`import it into the stack as this resource by its CustomKeyStoreId ${foreign.id}`);
        expect(aws.kms.all()).toEqual([foreign]);
        expect(aws.secrets.madeByHandler()).toHaveLength(1);
        expect(aws.secrets.leftover()).toEqual([]);
        expect(aws.ssm.actionsSent()).toEqual([]);
    });

    test("a cluster KMS considers in use (related to a store's cluster): AlreadyExists, nothing left behind", async () => {
        const aws = standardWorld();
        // a store on the related cluster (same backup family) that validation cannot see as "this cluster"
        existingStore(aws, { name: 'legacy', clusterId: 'cluster-kmsrelated45' });
        // the related cluster shares its users (kmsuser among them): adopting it lets the create reach KMS
        const r = await createOp(aws, desiredProps({ adoptExistingKmsUser: true }));
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.AlreadyExists);
        expect(r.final.message).toContain('CloudHsmClusterInUseException');
        expect(aws.kms.all()).toHaveLength(1);
        expect(aws.secrets.leftover()).toEqual([]);
    });
});
