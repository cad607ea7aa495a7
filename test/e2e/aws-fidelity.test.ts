/**
 * End to end, the handler paths that issue 12's AWS behaviours open: Connect refusing at once (create, update
 * after a move, the delete's reconnect after a key race), InvalidInstanceId from the instance check, a bootstrap
 * secret name still being purged, and GetCommandInvocation's InvocationDoesNotExist right after SendCommand.
 */
import { ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand, KMSClient } from '@aws-sdk/client-kms';
import { OperationResult } from '../../local/driver';
import { defaultProperties } from '../../local/harness';
import { DEFAULT_CONFIG } from '../../local/sim/state';
import { E2E, kmsuserOn, liveBootstrapSecrets, requestsOf, S, useE2E, waitUntil } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});
afterEach(async () => {
    await h.sim.control.config({ secretPurgeSeconds: DEFAULT_CONFIG.secretPurgeSeconds, connectSeconds: DEFAULT_CONFIG.connectSeconds });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STORE_ID = /cks-[0-9a-f]{17}/;

/**
 * Holds the next call of `operation` in the simulator for a moment and runs `change` while it is held, so the
 * world changes between what the handler last looked at and the call it then makes. Returns when `change` ran.
 */
async function whileHeld(service: 'kms' | 'ssm' | 'secretsmanager', operation: string, change: () => Promise<unknown>): Promise<() => Promise<void>> {
    const since = (await h.sim.control.requests()).at(-1)?.seq ?? 0;
    await h.sim.control.addFault({ service, operation, delayMs: 1500 });
    const watching = (async () => {
        for (let i = 0; i < 6000; i++) {
            if ((await h.sim.control.requests({ service, operation, since })).length) return void (await change());
            await sleep(5);
        }
        throw new Error(`${operation} was never called`);
    })();
    return () => watching;
}

const kms = () => new KMSClient({ region: S.region, endpoint: h.sim.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } });

describe('ConnectCustomKeyStore refuses at once', () => {
    test.each([
        ['not ACTIVE', 'CloudHsmClusterNotActiveException', /initialize and activate it/, { id: S.clusterId, state: 'UPDATE_IN_PROGRESS' }],
        [
            'without an active HSM',
            'CloudHsmClusterInvalidConfigurationException',
            /active HSMs/,
            { id: S.clusterId, hsms: [{ az: 'us-east-1a', state: 'DELETE_IN_PROGRESS' }] },
        ],
    ])('create: a cluster %s when the store connects fails with the cause and remedy and rolls everything back', async (_what, error, remedy, change) => {
        const done = await whileHeld('kms', 'ConnectCustomKeyStore', () => h.sim.control.putCluster(change));
        const r = await h.run(h.driver.create(defaultProperties()));
        await done();
        expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
        expect(r.message).toMatch(new RegExp(`Connecting key store ${STORE_ID.source} to CloudHSM cluster ${S.clusterId} failed with ${error}`));
        expect(r.message).toMatch(remedy);
        expect(r.message).toMatch(new RegExp(`Rolled back: key store ${STORE_ID.source} was deleted`));
        expect(r.message).toMatch(/kmsuser was removed from the cluster/);
        const state = await h.sim.control.state();
        expect(requestsOf(state, 'ConnectCustomKeyStore').map((q) => q.errorType)).toEqual([error]);
        expect(state.stores).toEqual([]);
        expect(liveBootstrapSecrets(state)).toEqual([]);
        expect(kmsuserOn(state, S.clusterId)).toBeUndefined();
    });

    test('update: a move whose new cluster stops being ACTIVE fails naming both ids; rolling the update back reconnects', async () => {
        const props = defaultProperties();
        const created = await h.run(h.driver.create(props));
        expect(created.status).toBe('SUCCESS');
        const id = created.model?.CustomKeyStoreId as string;
        const moved = defaultProperties({ CloudHsmClusterId: S.relatedClusterId, ClientInstanceId: S.relatedInstanceId });
        const done = await whileHeld('kms', 'ConnectCustomKeyStore', () => h.sim.control.putCluster({ id: S.relatedClusterId, state: 'UPDATE_IN_PROGRESS' }));
        const r = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, moved));
        await done();
        expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
        expect(r.message).toContain(`Connecting key store ${id} to CloudHSM cluster ${S.relatedClusterId} failed with CloudHsmClusterNotActiveException`);
        expect(r.message).toMatch(/initialize and activate it.*The key store is DISCONNECTED\./);
        let state = await h.sim.control.state();
        expect(state.stores[0]).toMatchObject({ id, clusterId: S.relatedClusterId, connectionState: 'DISCONNECTED' });
        expect(liveBootstrapSecrets(state)).toEqual([]);

        // CloudFormation's update rollback: back to the original cluster, connected again.
        const back = await h.run(h.driver.update({ ...moved, CustomKeyStoreId: id }, props));
        expect(back.status).toBe('SUCCESS');
        expect(back.model).toMatchObject({ CloudHsmClusterId: S.clusterId, ConnectionState: 'CONNECTED' });
        state = await h.sim.control.state();
        expect(state.stores[0]).toMatchObject({ clusterId: S.clusterId, connectionState: 'CONNECTED' });
    });

    test('delete: keys appear while the store is deleted and the reconnect is refused: FAILED, store and key kept, remedy given', async () => {
        const props = defaultProperties();
        const created = await h.run(h.driver.create(props));
        const id = created.model?.CustomKeyStoreId as string;
        const done = await whileHeld('kms', 'DeleteCustomKeyStore', async () => {
            await h.sim.control.putKey({ customKeyStoreId: id });
            await h.sim.control.putCluster({ id: S.clusterId, state: 'UPDATE_IN_PROGRESS' });
        });
        const r = await h.run(h.driver.delete({ ...props, CustomKeyStoreId: id }));
        await done();
        expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
        expect(r.message).toContain(`Key store ${id} gained KMS keys while it was being deleted, so it was kept, but it could not be reconnected`);
        expect(r.message).toContain(`CloudHSM cluster ${S.clusterId} failed with CloudHsmClusterNotActiveException`);
        expect(r.message).toContain(`connect the key store (ConnectCustomKeyStore ${id}), then retry the delete`);
        let state = await h.sim.control.state();
        expect(requestsOf(state, 'DeleteCustomKeyStore').map((q) => q.errorType)).toEqual(['CustomKeyStoreHasCMKsException']);
        expect(state.stores[0]).toMatchObject({ id, connectionState: 'DISCONNECTED' });
        expect(state.keys.filter((k) => k.customKeyStoreId === id)).toHaveLength(1);
        expect(kmsuserOn(state, S.clusterId)).toBeDefined();

        // Following the message: fix the cluster, connect, retry the delete, which keeps the store with its key.
        await h.sim.control.putCluster({ id: S.clusterId, state: 'ACTIVE' });
        const client = kms();
        await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        await waitUntil(h, async () => (await h.sim.control.state()).stores[0].connectionState === 'CONNECTED');
        client.destroy();
        const retried = await h.run(h.driver.delete({ ...props, CustomKeyStoreId: id }));
        expect(retried.status).toBe('SUCCESS');
        expect(retried.message).toMatch(/holds 1 KMS key/);
        state = await h.sim.control.state();
        expect(state.stores[0]).toMatchObject({ id, connectionState: 'CONNECTED' });
    });
});

test('an instance id SSM does not know (InvalidInstanceId) fails validation with a clear message and makes nothing', async () => {
    const unknown = 'i-00000000000000bad';
    const r = await h.run(h.driver.create(defaultProperties({ ClientInstanceId: unknown })));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(r.message).toContain(`ClientInstanceId ${unknown}: SSM does not know it`);
    expect(r.message).toMatch(/online in SSM with cloudhsm-cli/);
    const state = await h.sim.control.state();
    expect(requestsOf(state, 'DescribeInstanceInformation').map((q) => q.errorType)).toEqual(['InvalidInstanceId']);
    for (const op of ['CreateSecret', 'CreateCustomKeyStore', 'SendCommand']) expect(requestsOf(state, op)).toEqual([]);
});

type Response = { status: string; callbackDelaySeconds?: number; callbackContext?: unknown; resourceModel?: unknown; message?: string };

/**
 * Lambda retries an invocation whose response was lost with the same payload (same clientRequestToken); this sends
 * it again and follows it as CloudFormation would. Every exchange joins the leak scan of useE2E.
 */
function resend(sent: { action?: string }): Promise<Response> {
    return h.clock.run(() => resendOnce(sent));
}

async function resendOnce(sent: { action?: string }): Promise<Response> {
    let request = JSON.parse(JSON.stringify(sent));
    const events: OperationResult['events'] = [];
    h.results.push({
        action: sent.action,
        status: 'SUCCESS',
        message: '',
        invokedHandler: true,
        elapsedRealMs: 0,
        elapsedSimSeconds: 0,
        events,
    } as OperationResult);
    for (let i = 0; i < 200; i++) {
        const response: Response = JSON.parse(JSON.stringify(await h.entrypoint(request, {})));
        events.push({ action: request.action, attempt: i + 1, request, response, elapsedRealMs: 0, elapsedSimSeconds: 0 } as OperationResult['events'][number]);
        if (response.status !== 'IN_PROGRESS') return response;
        await h.clock.sleep((response.callbackDelaySeconds ?? 0) * 1000);
        request = {
            ...request,
            callbackContext: response.callbackContext,
            requestData: { ...request.requestData, resourceProperties: response.resourceModel },
        };
    }
    throw new Error('still IN_PROGRESS after 200 invocations');
}

test('a create request sent again after its rollback waits until the bootstrap secret name is free, then succeeds', async () => {
    // 15 simulated seconds for Secrets Manager to finish a forced deletion: before the store exists the wait
    // must fit in one invocation (an IN_PROGRESS needs the store's id)
    await h.sim.control.config({ secretPurgeSeconds: 15 });
    // a transient KMS failure (the SDK's 3 attempts) fails the first invocation after the bootstrap secret was made
    await h.sim.control.addFault({ service: 'kms', operation: 'CreateCustomKeyStore', error: 'KMSInternalException', times: 3 });
    const first = await h.run(h.driver.create(defaultProperties()));
    expect(first).toMatchObject({ status: 'FAILED', errorCode: 'ServiceInternalError' });
    expect(first.events).toHaveLength(1);
    const purging = (await h.sim.control.state()).secrets.filter((s) => s.name.startsWith('custom-kms-cloudhsmkeystore/'));
    expect(purging.map((s) => s.deleted)).toEqual([true]);

    // Its response is lost and the invocation sent again: same clientRequestToken, so the same bootstrap secret name,
    // which the rollback has just force-deleted.
    const response = await resend(first.events[0].request);
    expect([response.status, response.message]).toEqual(['SUCCESS', expect.any(String)]);
    expect(response.resourceModel).toMatchObject({ ConnectionState: 'CONNECTED' });
    expect(h.logs.join('\n')).toMatch(/create\/bootstrapSecret: wait/);
    const state = await h.sim.control.state();
    const bootstrapCalls = state.requests.filter((q) => q.service === 'secretsmanager' && JSON.stringify(q.body).includes(purging[0].name));
    expect(bootstrapCalls.filter((q) => q.operation === 'CreateSecret').map((q) => q.errorType ?? 'ok')).toEqual(['ok', 'ok']);
    expect(state.stores).toHaveLength(1);
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('a kmsuser repair retried after its rollback waits until the bootstrap secret name is free, then repairs and connects', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = created.model?.CustomKeyStoreId as string;
    // kmsuser's password changed by hand: the store ends FAILED with INVALID_CREDENTIALS
    const client = kms();
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitUntil(h, async () => (await h.sim.control.state()).stores[0].connectionState === 'DISCONNECTED');
    await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'ChangedByHand1' });
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitUntil(h, async () => (await h.sim.control.state()).stores[0].connectionState === 'FAILED');
    client.destroy();

    await h.sim.control.config({ secretPurgeSeconds: 200, connectSeconds: 30 });
    // SSM fails the repair's SendCommand (all the SDK's 3 attempts) after the repair's bootstrap secret was made
    await h.sim.control.addFault({ service: 'ssm', operation: 'SendCommand', error: 'InternalServerError', times: 3 });
    const first = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props));
    expect(first).toMatchObject({ status: 'FAILED', errorCode: 'ServiceInternalError' });
    let state = await h.sim.control.state();
    const repairSecrets = state.secrets.filter((s) => s.name.startsWith('custom-kms-cloudhsmkeystore/'));
    expect(repairSecrets.map((s) => s.deleted)).toEqual([true]); // the repair's, force-deleted by the rollback and still purging

    // The last invocation is sent again (its response lost): the repair runs again under the same name.
    const response = await resend(first.events[first.events.length - 1].request);
    expect([response.status, response.message]).toEqual(['SUCCESS', expect.any(String)]);
    expect(response.resourceModel).toMatchObject({ ConnectionState: 'CONNECTED' });
    expect(h.logs.join('\n')).toMatch(/update\/repairBootstrapSecret: wait/);
    state = await h.sim.control.state();
    expect(state.stores[0]).toMatchObject({ id, connectionState: 'CONNECTED' });
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('GetCommandInvocation says InvocationDoesNotExist right after SendCommand: the kmsuser wait polls until it is visible', async () => {
    const config = await h.sim.control.config({});
    expect(config.commandVisibilitySeconds).toBe(DEFAULT_CONFIG.commandVisibilitySeconds);
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.status).toBe('SUCCESS');
    const state = await h.sim.control.state();
    const sent = requestsOf(state, 'SendCommand')[0];
    const polls = requestsOf(state, 'GetCommandInvocation');
    expect(polls[0].errorType).toBe('InvocationDoesNotExist');
    const firstSeen = polls.find((q) => !q.errorType);
    expect(new Date(firstSeen!.time).getTime() - new Date(sent.time).getTime()).toBeGreaterThanOrEqual(DEFAULT_CONFIG.commandVisibilitySeconds * 1000);
    expect(h.logs.join('\n')).toMatch(/create\/awaitKmsUser: wait/);
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
});
