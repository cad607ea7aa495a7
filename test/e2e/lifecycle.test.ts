/**
 * End to end: the real handler through `entrypoint`, real SDK v3 clients over HTTP, the loopback simulator
 * whose Run Command executes the handler's script with the stand-in cloudhsm-cli. The driver checks the
 * CloudFormation handler contract on every response.
 */
import { ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand, KMSClient } from '@aws-sdk/client-kms';
import { defaultProperties } from '../../local/harness';
import { E2E, kmsuserOn, liveBootstrapSecrets, requestsOf, S, useE2E, waitUntil } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const waitFor = (check: () => Promise<boolean>) => waitUntil(h, check);

test('the cfn test contract sequence passes and leaves nothing behind', async () => {
    const report = await h.driver.contractSequence(defaultProperties(), defaultProperties({ KeyStoreName: 'ExampleKeyStoreRenamed' }));
    for (const s of report.steps) if (s.result) h.results.push(s.result);
    expect(report.steps.filter((s) => !s.passed).map((s) => `${s.step}: ${s.reason}`)).toEqual([]);
    expect(report.passed).toBe(true);
    const state = await h.sim.control.state();
    expect(state.stores).toEqual([]);
    expect(kmsuserOn(state, S.clusterId)).toBeUndefined();
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('create connects with a kmsuser whose password KMS has rotated, and the bootstrap secret is gone', async () => {
    const created = await h.run(h.driver.create(defaultProperties()));
    expect(created.status).toBe('SUCCESS');
    expect(created.model).toMatchObject({ KeyStoreName: 'ExampleKeyStore', CloudHsmClusterId: S.clusterId, ConnectionState: 'CONNECTED' });
    expect(created.events[0].response.status).toBe('IN_PROGRESS');
    const state = await h.sim.control.state();
    const store = state.stores[0];
    const kmsuser = kmsuserOn(state, S.clusterId);
    expect(kmsuser).toMatchObject({ role: 'crypto-user', loggedIn: true });
    expect(kmsuser?.password).toBe(store.password);
    const bootstraps = state.secrets.filter((s) => s.name.startsWith('custom-kms-cloudhsmkeystore/'));
    expect(bootstraps.every((s) => s.deleted)).toBe(true);
    expect(requestsOf(state, 'SendCommand')).toHaveLength(2); // the preflight check, then the create
    expect(requestsOf(state, 'CreateCustomKeyStore')).toHaveLength(1);
    expect(requestsOf(state, 'GetSecretValue').map((r) => (r.body as { SecretId: string }).SecretId)).not.toContain(S.adminSecretName);
});

test('moving to a related cluster disconnects, updates, repairs kmsuser there and reconnects', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = { CustomKeyStoreId: created.model?.CustomKeyStoreId };
    const moved = defaultProperties({ CloudHsmClusterId: S.relatedClusterId, ClientInstanceId: S.relatedInstanceId });
    const r = await h.run(h.driver.update({ ...props, ...id }, moved));
    expect(r.status).toBe('SUCCESS');
    expect(r.model).toMatchObject({ CloudHsmClusterId: S.relatedClusterId, ConnectionState: 'CONNECTED' });
    const state = await h.sim.control.state();
    expect(state.stores[0]).toMatchObject({ clusterId: S.relatedClusterId, connectionState: 'CONNECTED' });
    expect(kmsuserOn(state, S.relatedClusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
    const deleted = await h.run(h.driver.delete({ ...moved, ...id }));
    expect(deleted.status).toBe('SUCCESS');
    expect((await h.sim.control.state()).stores).toEqual([]);
});

test('an update to an unrelated cluster fails with a clear message and keeps the store connected', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = { CustomKeyStoreId: created.model?.CustomKeyStoreId };
    const r = await h.run(h.driver.update({ ...props, ...id }, defaultProperties({ CloudHsmClusterId: S.unrelatedClusterId })));
    expect(r.status).toBe('FAILED');
    expect(r.message).toMatch(/CloudHsmClusterNotRelatedException|related/);
});

/**
 * Creates a store, lets `placeKeys` put KMS keys in the account, deletes the store, and checks what every such
 * delete must do: SUCCESS naming the one key in the store, which is left CONNECTED. Returns the delete's AWS calls.
 */
async function deleteStoreHoldingOneKey(placeKeys: (storeId: string) => Promise<void>) {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    expect({ status: created.status, message: created.message }).toMatchObject({ status: 'SUCCESS' });
    const id = created.model?.CustomKeyStoreId as string;
    await placeKeys(id);
    const before = (await h.sim.control.state()).requests.length;
    const r = await h.run(h.driver.delete({ ...props, CustomKeyStoreId: id }));
    expect(r.status).toBe('SUCCESS');
    expect(r.message).toMatch(/holds 1 KMS key/);
    const state = await h.sim.control.state();
    expect(state.stores[0]).toMatchObject({ id, connectionState: 'CONNECTED' });
    return state.requests.slice(before);
}

test('a store that holds KMS keys is left connected and untouched by a delete', async () => {
    const during = (await deleteStoreHoldingOneKey(async (id) => void (await h.sim.control.putKey({ customKeyStoreId: id })))).map((q) => q.operation);
    expect(during).not.toContain('DisconnectCustomKeyStore');
    expect(during).not.toContain('DeleteCustomKeyStore');
    expect(during).not.toContain('SendCommand');
});

test('the delete scan finds one key hidden among thousands, on a later ListKeys page', async () => {
    let hidden = '';
    const during = await deleteStoreHoldingOneKey(async (id) => {
        await h.sim.control.putKeys(2400);
        hidden = (await h.sim.control.putKey({ customKeyStoreId: id })).keyId;
        await h.sim.control.putKeys(1600);
    });
    const described = during.filter((q) => q.operation === 'DescribeKey').map((q) => (q.body as { KeyId: string }).KeyId);
    expect(described).toContain(hidden);
    expect(new Set(described).size).toBe(4001);
    expect(during.filter((q) => q.operation === 'ListKeys')).toHaveLength(5);
    expect(during.map((q) => q.operation)).not.toContain('DisconnectCustomKeyStore');
});

test('DeleteKeyStoreUponStackDeletion false disconnects and keeps the store and kmsuser', async () => {
    const props = defaultProperties({ DeleteKeyStoreUponStackDeletion: false });
    const created = await h.run(h.driver.create(props));
    const r = await h.run(h.driver.delete({ ...props, CustomKeyStoreId: created.model?.CustomKeyStoreId }));
    expect(r.status).toBe('SUCCESS');
    const state = await h.sim.control.state();
    expect(state.stores[0]).toMatchObject({ connectionState: 'DISCONNECTED' });
    expect(kmsuserOn(state, S.clusterId)).toBeDefined();
});

test('an update repairs a store FAILED with INVALID_CREDENTIALS', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = created.model?.CustomKeyStoreId as string;
    const kms = new KMSClient({ region: S.region, endpoint: h.sim.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } });
    const stateOf = async () => (await h.sim.control.state()).stores[0];
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitFor(async () => (await stateOf()).connectionState === 'DISCONNECTED');
    await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'ChangedByHand1' });
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitFor(async () => (await stateOf()).connectionState === 'FAILED');
    expect(await stateOf()).toMatchObject({ connectionState: 'FAILED', connectionErrorCode: 'INVALID_CREDENTIALS' });

    const read = await h.run(h.driver.read({ CustomKeyStoreId: id }));
    expect(read.model?.ConnectionState).toBe('FAILED');
    const r = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props));
    expect(r.status).toBe('SUCCESS');
    expect(r.model?.ConnectionState).toBe('CONNECTED');
    const state = await h.sim.control.state();
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('LIST pages through entrypoint despite the library dropping nextToken', async () => {
    const created = await h.run(h.driver.create(defaultProperties()));
    expect(created.status).toBe('SUCCESS');
    const kms = new KMSClient({ region: S.region, endpoint: h.sim.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } });
    const state = await h.sim.control.state();
    const other = state.clusters.find((c) => c.id === S.unrelatedClusterId);
    const second = await kms.send(
        new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: 'Other',
            CloudHsmClusterId: S.unrelatedClusterId,
            TrustAnchorCertificate: other?.caPem,
            KeyStorePassword: 'SomePassword1',
        }),
    );
    await h.sim.control.config({ describeStoresPageSize: 1 });
    const listed = await h.run(h.driver.list());
    expect(listed.status).toBe('SUCCESS');
    expect(listed.events.length).toBe(2);
    expect(listed.models?.map((m) => m.CustomKeyStoreId).sort()).toEqual([created.model?.CustomKeyStoreId, second.CustomKeyStoreId].sort());
});
