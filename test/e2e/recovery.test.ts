/**
 * End to end against the simulator: a lost first response (the create made its store, CloudFormation never
 * heard, and creates again with a new token), importing a leftover store, and races: two stacks creating on
 * one cluster at once, and a KMS key created while a delete scans or disconnects.
 */
import { ConnectCustomKeyStoreCommand, KMSClient } from '@aws-sdk/client-kms';
import { Driver, OperationResult } from '../../local/driver';
import { buildHandlerRequest, defaultStackId, lambdaContext, newBearerToken } from '../../local/handler-request';
import { defaultProperties } from '../../local/harness';
import { recordName } from '../../src/keystore/record';
import { count } from '../reliability/figures';
import { E2E, kmsuserOn, leftovers, liveBootstrapSecrets, requestsOf, S, useE2E, waitUntil } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const STACK = defaultStackId(S.region, S.accountId, 'payments');

/** A second CloudFormation (another stack, or the same one) calling the same handler. */
function driverFor(stackId: string, logicalResourceId: string): Driver {
    return new Driver({
        entrypoint: h.entrypoint,
        schema: h.schema,
        clock: h.clock,
        region: S.region,
        accountId: S.accountId,
        stackId,
        logicalResourceId,
        log: () => undefined,
    });
}

/** Runs a create for `invocations` invocations and drops it: its answers never reach CloudFormation. */
async function lostCreate(props: Record<string, unknown>, invocations: number, logicalResourceId = 'KeyStore'): Promise<void> {
    const bearerToken = newBearerToken();
    let resourceProperties = props;
    let callbackContext: Record<string, unknown> | null = null;
    // At least `invocations`, and on while the kmsuser step is still running (how long the script takes depends on
    // the machine), so the lost attempt always leaves kmsuser made.
    for (let i = 0; i < invocations || (i < invocations + 20 && /KmsUser$/.test(String(callbackContext?.phase))); i++) {
        const request = buildHandlerRequest({
            action: 'CREATE',
            bearerToken,
            resourceProperties,
            callbackContext,
            resourceType: h.schema.typeName,
            region: S.region,
            accountId: S.accountId,
            stackId: STACK,
            logicalResourceId,
        });
        const response = JSON.parse(JSON.stringify(await h.entrypoint(request, lambdaContext())));
        expect(response.status).toBe('IN_PROGRESS');
        resourceProperties = response.resourceModel;
        callbackContext = response.callbackContext;
    }
}

test('lost first response: the retry with a new token resumes the store the same resource made, and connects it', async () => {
    count('faultCases');
    // fail the first connect attempt's call so the lost attempt leaves kmsuser made and the store DISCONNECTED
    await h.sim.control.addFault({ service: 'kms', operation: 'ConnectCustomKeyStore', error: 'ThrottlingException', times: -1 });
    await lostCreate(defaultProperties(), 2);
    let state = await h.sim.control.state();
    expect(state.stores).toHaveLength(1);
    const id = state.stores[0].id;
    expect(state.stores[0].connectionState).toBe('DISCONNECTED');
    expect(kmsuserOn(state, S.clusterId)).toBeDefined();
    await h.sim.control.clearFaults();

    const r = await h.run(driverFor(STACK, 'KeyStore').create(defaultProperties()));
    expect(r).toMatchObject({ status: 'SUCCESS', model: { CustomKeyStoreId: id, ConnectionState: 'CONNECTED' } });
    expect(r.message).toContain(`Resumed key store ${id}`);
    state = await h.sim.control.state();
    expect(state.stores).toHaveLength(1);
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
    expect(JSON.parse(state.parameters[recordName(id)])).toMatchObject({ KmsUser: 'CREATED', StackId: STACK, LogicalResourceId: 'KeyStore' });
});

test('lost first response seen from another stack: AlreadyExists with the id, state, no keys and both ways out; then import + update connects it', async () => {
    count('faultCases');
    await lostCreate(defaultProperties(), 1);
    let state = await h.sim.control.state();
    const id = state.stores[0].id;
    const seqBefore = state.requests.length ? state.requests[state.requests.length - 1].seq : 0;

    const other = driverFor(defaultStackId(S.region, S.accountId, 'other'), 'KeyStore');
    const r = await h.run(other.create(defaultProperties({ KeyStoreName: 'AnotherName' })));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'AlreadyExists' });
    expect(r.message).toContain(`custom key store ${id} (named ExampleKeyStore), which is DISCONNECTED and holds no KMS keys`);
    expect(r.message).toContain(`aws kms delete-custom-key-store --custom-key-store-id ${id} --region ${S.region}`);
    expect(r.message).toContain(`by its CustomKeyStoreId ${id}`);
    const after = (await h.sim.control.requests({ since: seqBefore })).map((q) => q.operation);
    for (const op of after) expect(op).toMatch(/^(Describe|List|Get)|^SendCommand$/);

    // import: CloudFormation reads the store by its id, then the next stack update brings it to CONNECTED
    const read = await h.run(other.read({ CustomKeyStoreId: id }));
    expect(read).toMatchObject({ status: 'SUCCESS', model: { ConnectionState: 'DISCONNECTED' } });
    const imported = { ...defaultProperties(), CustomKeyStoreId: id };
    const u = await h.run(other.update(imported, defaultProperties()));
    expect(u).toMatchObject({ status: 'SUCCESS', model: { CustomKeyStoreId: id, ConnectionState: 'CONNECTED' } });
    state = await h.sim.control.state();
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('an imported FAILED store (USER_NOT_FOUND) is repaired and connected by the next update', async () => {
    count('faultCases');
    await lostCreate(defaultProperties(), 1);
    const id = (await h.sim.control.state()).stores[0].id;
    // someone tried to connect it by hand: KMS finds no kmsuser, and the store ends FAILED
    const kms = new KMSClient({ region: S.region, endpoint: h.sim.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitUntil(h, async () => (await h.sim.control.state()).stores[0].connectionState === 'FAILED', 'FAILED');
    const importer = driverFor(defaultStackId(S.region, S.accountId, 'importer'), 'Imported');
    const imported = { ...defaultProperties(), CustomKeyStoreId: id };
    const u = await h.run(importer.update(imported, defaultProperties()));
    expect(u).toMatchObject({ status: 'SUCCESS', model: { CustomKeyStoreId: id, ConnectionState: 'CONNECTED' } });
    const state = await h.sim.control.state();
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('race: two stacks create key stores on one cluster at once; one wins, the loser fails clearly and its rollback touches nothing of the winner', async () => {
    const a = driverFor(defaultStackId(S.region, S.accountId, 'stack-a'), 'KeyStoreA');
    const b = driverFor(defaultStackId(S.region, S.accountId, 'stack-b'), 'KeyStoreB');
    count('races');
    const results = await Promise.all([
        h.run(a.create(defaultProperties({ KeyStoreName: 'StoreA' }))),
        h.run(b.create(defaultProperties({ KeyStoreName: 'StoreB' }))),
    ]);
    const won = results.filter((r) => r.status === 'SUCCESS');
    const lost = results.filter((r) => r.status === 'FAILED');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = won[0].model!.CustomKeyStoreId as string;
    expect(lost[0].errorCode).toBe('AlreadyExists');
    expect(lost[0].message).toMatch(new RegExp(`${winner}|CloudHsmClusterInUseException`));
    expect(lost[0].message).toMatch(/another cluster/);
    const state = await h.sim.control.state();
    expect(state.stores.map((s) => [s.id, s.connectionState])).toEqual([[winner, 'CONNECTED']]);
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(state.parameters[recordName(winner)]).toBeDefined();
    for (const op of ['DisconnectCustomKeyStore', 'DeleteCustomKeyStore', 'DeleteParameter']) expect(requestsOf(state, op)).toEqual([]);
    expect(state.commands.filter((c) => / kmsuser (rollback|delete) /.test(c.comment))).toEqual([]);
    expect(leftovers(state, { keep: [winner] })).toEqual([]);
});

async function createdStore(): Promise<{ id: string; created: OperationResult }> {
    const created = await h.run(h.driver.create(defaultProperties()));
    expect(created.status).toBe('SUCCESS');
    return { id: created.model!.CustomKeyStoreId as string, created };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 2000; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`timed out waiting for ${what}`);
}

test('race: a KMS key created while the delete is scanning keys: the store ends connected and the key usable', async () => {
    count('races');
    const { id, created } = await createdStore();
    await h.sim.control.putKey({}); // an unrelated key, so the scan describes something
    await h.sim.control.addFault({ service: 'kms', operation: 'DescribeKey', delayMs: 400 });
    const since = (await h.sim.control.requests()).slice(-1)[0].seq;
    const deleting = h.run(h.driver.delete(created.model!));
    await until(async () => (await h.sim.control.requests({ operation: 'DescribeKey', since })).length > 0, 'the scan');
    const key = await h.sim.control.putKey({ customKeyStoreId: id });
    const r = await deleting;
    expect(r.status).toBe('SUCCESS');
    expect(r.message).toMatch(/gained KMS keys while it was being deleted, so it was reconnected/);
    const state = await h.sim.control.state();
    expect(state.stores.map((s) => s.connectionState)).toEqual(['CONNECTED']);
    expect(state.keys.find((k) => k.keyId === key.keyId)?.keyState).toBe('Enabled');
});

test('race: a KMS key created while the delete is disconnecting: the store ends connected and the key usable', async () => {
    count('races');
    const { id, created } = await createdStore();
    const saved = await h.sim.control.config();
    await h.sim.control.config({ disconnectSeconds: 200 });
    try {
        const deleting = h.run(h.driver.delete(created.model!));
        await until(async () => (await h.sim.control.state()).stores[0]?.connectionState === 'DISCONNECTING', 'DISCONNECTING');
        const key = await h.sim.control.putKey({ customKeyStoreId: id });
        const r = await deleting;
        expect(r.status).toBe('SUCCESS');
        expect(r.message).toMatch(/reconnected/);
        const state = await h.sim.control.state();
        expect(state.stores.map((s) => s.connectionState)).toEqual(['CONNECTED']);
        expect(state.keys.find((k) => k.keyId === key.keyId)?.keyState).toBe('Enabled');
        expect(kmsuserOn(state, S.clusterId)).toBeDefined();
    } finally {
        await h.sim.control.config({ disconnectSeconds: saved.disconnectSeconds });
    }
});

test.each(['single', 'multi'] as const)('a client instance whose cloudhsm-cli has a %s-cluster configuration: create and delete work', async (cliConfig) => {
    await h.sim.control.putInstance({ id: S.instanceId, cliConfig });
    const created = await h.run(h.driver.create(defaultProperties()));
    expect(created).toMatchObject({ status: 'SUCCESS', model: { ConnectionState: 'CONNECTED' } });
    const deleted = await h.run(h.driver.delete(created.model!));
    expect(deleted.status).toBe('SUCCESS');
    const state = await h.sim.control.state();
    expect(kmsuserOn(state, S.clusterId)).toBeUndefined();
    expect(leftovers(state)).toEqual([]);
});
