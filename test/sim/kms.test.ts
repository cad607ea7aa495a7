import {
    ConnectCustomKeyStoreCommand,
    CreateCustomKeyStoreCommand,
    CreateKeyCommand,
    DeleteCustomKeyStoreCommand,
    DescribeCustomKeyStoresCommand,
    DescribeKeyCommand,
    DisconnectCustomKeyStoreCommand,
    ListKeysCommand,
    paginateDescribeCustomKeyStores,
    paginateListKeys,
    ScheduleKeyDeletionCommand,
    UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SCENARIO as D } from '../../local/sim';
import { errorOf, Harness, harness, settle } from './helpers';

let h: Harness;
let ca: string;
let otherCa: string;
beforeAll(async () => {
    h = await harness();
});
afterAll(() => h.close());
beforeEach(async () => {
    await h.sim.control.reset('default');
    await h.sim.control.config({ connectSeconds: 200, disconnectSeconds: 20 });
    ca = (await h.sm.send(new GetSecretValueCommand({ SecretId: D.caSecretName }))).SecretString!;
    otherCa = (await h.sm.send(new GetSecretValueCommand({ SecretId: D.unrelatedCaSecretName }))).SecretString!;
});

const create = (over: Record<string, string> = {}) =>
    h.kms.send(
        new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: 'ks1',
            CloudHsmClusterId: D.clusterId,
            TrustAnchorCertificate: ca,
            KeyStorePassword: 'Bootstrap123',
            ...over,
        }),
    );
const connect = (id: string) => h.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
const disconnect = (id: string) => h.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
const describe = async (id: string) => (await h.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores![0]!;
const kmsuser = async (clusterId = D.clusterId) =>
    (await h.sim.control.state()).clusters.find((c) => c.id === clusterId)!.users.find((u) => u.username === 'kmsuser');
const addKmsUser = (password: string, extra: Record<string, unknown> = {}) =>
    h.sim.control.putUser(D.clusterId, { username: 'kmsuser', role: 'crypto-user', password, ...extra });

/** Connect, wait for the outcome, and return ConnectionState / ConnectionErrorCode. */
async function connectOutcome(id: string) {
    await connect(id);
    const s = await settle(h, id);
    return { state: s.ConnectionState, code: s.ConnectionErrorCode };
}
async function disconnectAndWait(id: string) {
    await disconnect(id);
    return settle(h, id);
}

test('create: DISCONNECTED store with a cks- id; describe by id and by name', async () => {
    const { CustomKeyStoreId: id } = await create();
    expect(id).toMatch(/^cks-[0-9a-f]{17}$/);
    const s = await describe(id!);
    expect(s).toMatchObject({
        CustomKeyStoreName: 'ks1',
        CloudHsmClusterId: D.clusterId,
        ConnectionState: 'DISCONNECTED',
        CustomKeyStoreType: 'AWS_CLOUDHSM',
        TrustAnchorCertificate: ca,
    });
    expect(s.ConnectionErrorCode).toBeUndefined();
    expect(s.CreationDate).toBeInstanceOf(Date);
    const byName = await h.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: 'ks1' }));
    expect(byName.CustomKeyStores!.map((x) => x.CustomKeyStoreId)).toEqual([id]);
});

test('create: an identical retry of a DISCONNECTED store returns the same id; a different one is a name clash', async () => {
    const { CustomKeyStoreId: id } = await create();
    expect((await create()).CustomKeyStoreId).toBe(id);
    expect((await errorOf(create({ KeyStorePassword: 'Different123' }))).name).toBe('CustomKeyStoreNameInUseException');
});

test('create: cluster checks, trust anchor, cluster in use (also a related cluster)', async () => {
    const c = h.sim.control;
    await c.putCluster({ id: 'cluster-notactiveabcd', state: 'INITIALIZED' });
    await c.putCluster({ id: 'cluster-oneazonlyabcd', hsms: [{ az: 'us-east-1a' }, { az: 'us-east-1a' }] });
    await c.putCluster({ id: 'cluster-onehsmdownabc', hsms: [{ az: 'us-east-1a' }, { az: 'us-east-1b', state: 'DEGRADED' }] });
    const name = (n: number) => ({ CustomKeyStoreName: `x${n}` });
    expect((await errorOf(create({ ...name(1), CloudHsmClusterId: 'cluster-doesnotexist2' }))).name).toBe('CloudHsmClusterNotFoundException');
    expect((await errorOf(create({ ...name(2), CloudHsmClusterId: 'cluster-notactiveabcd' }))).name).toBe('CloudHsmClusterNotActiveException');
    expect((await errorOf(create({ ...name(3), CloudHsmClusterId: 'cluster-oneazonlyabcd' }))).name).toBe('CloudHsmClusterInvalidConfigurationException');
    expect((await errorOf(create({ ...name(4), CloudHsmClusterId: 'cluster-onehsmdownabc' }))).name).toBe('CloudHsmClusterInvalidConfigurationException');
    expect((await errorOf(create({ ...name(5), TrustAnchorCertificate: otherCa }))).name).toBe('IncorrectTrustAnchorException');
    await create();
    expect((await errorOf(create({ ...name(6) }))).name).toBe('CloudHsmClusterInUseException');
    expect((await errorOf(create({ ...name(7), CloudHsmClusterId: D.relatedClusterId }))).name).toBe('CloudHsmClusterInUseException');
    // The unrelated cluster is free.
    await create({ ...name(8), CloudHsmClusterId: D.unrelatedClusterId, TrustAnchorCertificate: otherCa });
});

test('create: AWS-style ValidationException, never echoing the password', async () => {
    const e = await errorOf(create({ KeyStorePassword: 'short6' }));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toBe(
        "1 validation error detected: Value at 'keyStorePassword' failed to satisfy constraint: Member must have length greater than or equal to 7",
    );
    const e2 = await errorOf(create({ CloudHsmClusterId: 'cluster-1', CustomKeyStoreName: '' }));
    expect(e2.message).toMatch(
        /^3 validation errors detected: .*'customKeyStoreName'.*'cloudHsmClusterId'.*length greater than or equal to 19.*regular expression pattern/,
    );
    expect(e2.$metadata?.httpStatusCode).toBe(400);
});

test('create: quota of 10 stores -> LimitExceededException; DescribeCustomKeyStores pages through all of them', async () => {
    for (let i = 0; i < 10; i++) {
        const id = `cluster-quota${'abcdefghijk'[i]}abcdef`;
        const cl = await h.sim.control.putCluster({ id });
        await create({ CustomKeyStoreName: `ks-${i}`, CloudHsmClusterId: id, TrustAnchorCertificate: cl.caPem });
    }
    const extra = await h.sim.control.putCluster({ id: 'cluster-quotaextraone' });
    expect((await errorOf(create({ CustomKeyStoreName: 'ks-10', CloudHsmClusterId: extra.id, TrustAnchorCertificate: extra.caPem }))).name).toBe(
        'LimitExceededException',
    );

    const pages = [];
    for await (const p of paginateDescribeCustomKeyStores({ client: h.kms, pageSize: 3 }, {})) pages.push(p);
    expect(pages.map((p) => p.CustomKeyStores!.length)).toEqual([3, 3, 3, 1]);
    expect(pages.map((p) => p.Truncated)).toEqual([true, true, true, false]);
    expect(pages[3]!.NextMarker).toBeUndefined();
    expect(pages.flatMap((p) => p.CustomKeyStores!.map((s) => s.CustomKeyStoreName))).toEqual([...Array(10).keys()].map((i) => `ks-${i}`));
    expect((await errorOf(h.kms.send(new DescribeCustomKeyStoresCommand({ Marker: 'not-a-marker' })))).name).toBe('InvalidMarkerException');
    expect((await errorOf(h.kms.send(new DescribeCustomKeyStoresCommand({ Limit: 0 })))).name).toBe('ValidationException');
});

test('describe: unknown id or name -> CustomKeyStoreNotFoundException; no filter -> empty list', async () => {
    expect((await errorOf(describe('cks-00000000000000000'))).name).toBe('CustomKeyStoreNotFoundException');
    expect((await errorOf(h.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: 'nope' })))).name).toBe('CustomKeyStoreNotFoundException');
    const all = await h.kms.send(new DescribeCustomKeyStoresCommand({}));
    expect(all).toMatchObject({ CustomKeyStores: [], Truncated: false });
});

test('state machine: connect -> CONNECTED rotates kmsuser password, logs it in; disconnect logs it out', async () => {
    // On virtual time nothing moves until somebody sleeps on the clock: CONNECTING / DISCONNECTING right after the
    // call are certain, and the transitions come exactly connectSeconds / disconnectSeconds later.
    await h.sim.control.config({ connectSeconds: 500, disconnectSeconds: 800 });
    const { CustomKeyStoreId: id } = await create();
    await addKmsUser('Bootstrap123');
    await h.clock.run(async () => {
        await connect(id!);
        expect((await describe(id!)).ConnectionState).toBe('CONNECTING');
        await h.clock.sleep(500_000 - 1);
        expect((await describe(id!)).ConnectionState).toBe('CONNECTING');
        await h.clock.sleep(1);
        expect((await describe(id!)).ConnectionState).toBe('CONNECTED');
    });
    const u = await kmsuser();
    expect(u).toMatchObject({ loggedIn: true, locked: false, failedLogins: 0 });
    expect(u!.password).not.toBe('Bootstrap123');
    expect(u!.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await h.sim.control.state()).stores[0]!.password).toBe(u!.password);

    await connect(id!); // no-op when CONNECTED
    expect((await describe(id!)).ConnectionState).toBe('CONNECTED');
    expect((await errorOf(h.kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id })))).name).toBe('CustomKeyStoreInvalidStateException');
    expect((await errorOf(h.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: 'Another123' })))).name).toBe(
        'CustomKeyStoreInvalidStateException',
    );
    expect((await errorOf(h.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, CloudHsmClusterId: D.relatedClusterId })))).name).toBe(
        'CustomKeyStoreInvalidStateException',
    );
    await h.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: 'renamed' })); // allowed while CONNECTED
    expect((await describe(id!)).CustomKeyStoreName).toBe('renamed');

    await h.clock.run(async () => {
        await disconnect(id!);
        expect((await describe(id!)).ConnectionState).toBe('DISCONNECTING');
        expect((await errorOf(disconnect(id!))).name).toBe('CustomKeyStoreInvalidStateException');
        expect((await errorOf(connect(id!))).name).toBe('CustomKeyStoreInvalidStateException');
        await h.clock.sleep(800_000 - 1);
        expect((await describe(id!)).ConnectionState).toBe('DISCONNECTING');
        await h.clock.sleep(1);
        expect((await describe(id!)).ConnectionState).toBe('DISCONNECTED');
    });
    expect((await kmsuser())!.loggedIn).toBe(false);
    expect((await errorOf(disconnect(id!))).name).toBe('CustomKeyStoreInvalidStateException');

    // Reconnect: KMS uses the password it rotated to.
    expect(await connectOutcome(id!)).toEqual({ state: 'CONNECTED', code: undefined });
    await disconnectAndWait(id!);
    await h.kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    expect((await errorOf(describe(id!))).name).toBe('CustomKeyStoreNotFoundException');
    expect((await errorOf(connect(id!))).name).toBe('CustomKeyStoreNotFoundException');
});

test('connect failures follow the cluster user table; FAILED needs a disconnect first', async () => {
    const { CustomKeyStoreId: id } = await create();
    expect(await connectOutcome(id!)).toEqual({ state: 'FAILED', code: 'USER_NOT_FOUND' });
    expect((await errorOf(connect(id!))).name).toBe('CustomKeyStoreInvalidStateException');
    const d = await disconnectAndWait(id!);
    expect(d.ConnectionState).toBe('DISCONNECTED');
    expect(d.ConnectionErrorCode).toBeUndefined();

    await addKmsUser('Bootstrap123', { loggedIn: true });
    expect(await connectOutcome(id!)).toEqual({ state: 'FAILED', code: 'USER_LOGGED_IN' });
    await disconnectAndWait(id!);

    await addKmsUser('SomethingElse1', { loggedIn: false });
    for (let i = 1; i <= 5; i++) {
        expect(await connectOutcome(id!)).toEqual({ state: 'FAILED', code: 'INVALID_CREDENTIALS' });
        expect((await kmsuser())!.failedLogins).toBe(i);
        await disconnectAndWait(id!);
    }
    expect((await kmsuser())!.locked).toBe(true);
    expect(await connectOutcome(id!)).toEqual({ state: 'FAILED', code: 'USER_LOCKED_OUT' });
    await disconnectAndWait(id!);

    // Repair as the runbook says: new password in the cluster, UpdateCustomKeyStore(KeyStorePassword), connect.
    await addKmsUser('Repaired1234', { locked: false, failedLogins: 0 });
    await h.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: 'Repaired1234' }));
    expect(await connectOutcome(id!)).toEqual({ state: 'CONNECTED', code: undefined });
});

test('connect failures from the cluster itself: HSMs gone while connecting, cluster gone', async () => {
    const { CustomKeyStoreId: id } = await create();
    await addKmsUser('Bootstrap123');
    await connect(id!);
    // Nothing moves until somebody sleeps on the clock: the HSMs certainly go while the store is CONNECTING.
    expect((await describe(id!)).ConnectionState).toBe('CONNECTING');
    await h.sim.control.putCluster({ id: D.clusterId, hsms: [{ az: 'us-east-1a', state: 'DELETED' }] });
    const s = await settle(h, id!);
    expect({ state: s.ConnectionState, code: s.ConnectionErrorCode }).toEqual({ state: 'FAILED', code: 'INSUFFICIENT_CLOUDHSM_HSMS' });
    await disconnectAndWait(id!);
    await h.sim.control.deleteCluster(D.clusterId);
    expect(await connectOutcome(id!)).toEqual({ state: 'FAILED', code: 'CLUSTER_NOT_FOUND' });
});

test('update: cluster move only to a related cluster, only while DISCONNECTED', async () => {
    const { CustomKeyStoreId: id } = await create();
    const upd = (CloudHsmClusterId: string) => h.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, CloudHsmClusterId }));
    expect((await errorOf(upd(D.unrelatedClusterId))).name).toBe('CloudHsmClusterNotRelatedException');
    expect((await errorOf(upd('cluster-doesnotexist2'))).name).toBe('CloudHsmClusterNotFoundException');
    await upd(D.relatedClusterId);
    expect((await describe(id!)).CloudHsmClusterId).toBe(D.relatedClusterId);
    await create({ CustomKeyStoreName: 'ks2', CloudHsmClusterId: D.unrelatedClusterId, TrustAnchorCertificate: otherCa });
    expect((await errorOf(h.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: 'ks2' })))).name).toBe(
        'CustomKeyStoreNameInUseException',
    );
    expect((await errorOf(h.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: 'cks-00000000000000000', NewCustomKeyStoreName: 'z' })))).name).toBe(
        'CustomKeyStoreNotFoundException',
    );
});

test('keys: CreateKey needs CONNECTED; Unavailable when disconnected; a key pending deletion still blocks DeleteCustomKeyStore', async () => {
    const { CustomKeyStoreId: id } = await create();
    const mk = () => h.kms.send(new CreateKeyCommand({ CustomKeyStoreId: id, Origin: 'AWS_CLOUDHSM' }));
    expect((await errorOf(mk())).name).toBe('CustomKeyStoreInvalidStateException');
    await addKmsUser('Bootstrap123');
    expect((await connectOutcome(id!)).state).toBe('CONNECTED');
    const { KeyMetadata: k } = await mk();
    expect(k).toMatchObject({ CustomKeyStoreId: id, CloudHsmClusterId: D.clusterId, Origin: 'AWS_CLOUDHSM', KeyState: 'Enabled' });
    await h.kms.send(new CreateKeyCommand({})); // an ordinary key, outside the store
    await disconnectAndWait(id!);
    const dk = await h.kms.send(new DescribeKeyCommand({ KeyId: k!.Arn }));
    expect(dk.KeyMetadata!.KeyState).toBe('Unavailable');
    expect((await errorOf(h.kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id })))).name).toBe('CustomKeyStoreHasCMKsException');
    const sch = await h.kms.send(new ScheduleKeyDeletionCommand({ KeyId: k!.KeyId, PendingWindowInDays: 7 }));
    expect(sch.KeyState).toBe('PendingDeletion');
    expect((await h.kms.send(new DescribeKeyCommand({ KeyId: k!.KeyId }))).KeyMetadata!.KeyState).toBe('PendingDeletion');
    expect((await errorOf(h.kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id })))).name).toBe('CustomKeyStoreHasCMKsException');
    expect((await errorOf(h.kms.send(new DescribeKeyCommand({ KeyId: '11111111-2222-3333-4444-555555555555' })))).name).toBe('NotFoundException');
});

test('ListKeys pages with Limit/Marker through the SDK paginator', async () => {
    const { CustomKeyStoreId: id } = await create();
    for (let i = 0; i < 5; i++) await h.sim.control.putKey({ customKeyStoreId: id });
    for (let i = 0; i < 2; i++) await h.sim.control.putKey({});
    const sizes: number[] = [];
    const keyIds: string[] = [];
    for await (const p of paginateListKeys({ client: h.kms, pageSize: 3 }, {})) {
        sizes.push(p.Keys!.length);
        keyIds.push(...p.Keys!.map((k) => k.KeyId!));
    }
    expect(sizes).toEqual([3, 3, 1]);
    const inStore = [];
    for (const k of keyIds) if ((await h.kms.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata!.CustomKeyStoreId === id) inStore.push(k);
    expect(inStore).toHaveLength(5);
    const dflt = await h.kms.send(new ListKeysCommand({}));
    expect(dflt).toMatchObject({ Truncated: false });
    expect(dflt.Keys).toHaveLength(7);
    expect((await errorOf(h.kms.send(new ListKeysCommand({ Limit: 1001 })))).name).toBe('ValidationException');
});
