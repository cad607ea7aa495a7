/**
 * End to end: KMS and Run Command are eventually consistent (issue 17, item 2). The simulator's
 * DescribeCustomKeyStores shows a key store as it was for `kmsStaleSeconds` after a ConnectCustomKeyStore,
 * DisconnectCustomKeyStore or UpdateCustomKeyStore, and a connect asked for inside that window after an update still
 * logs in with the old password; ListCommands lists a command, as GetCommandInvocation shows its invocation, only
 * `commandVisibilitySeconds` after SendCommand. The handler keeps the time of each of its own calls in the
 * callbackContext, reads the old state as "not yet" for a bounded window, waits a few seconds between an update and a
 * connect, and keeps the CommandId in the callbackContext as soon as SendCommand answers.
 */
import { ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { Driver, Entrypoint } from '../../local/driver';
import { defaultProperties } from '../../local/harness';
import { DEFAULT_CONFIG } from '../../local/sim/state';
import { directKms, E2E, kmsuserOn, leftovers, liveBootstrapSecrets, requestsOf, S, useE2E, waitUntil } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

/** Sets simulator settings for one test (they outlive a reset) and puts the defaults back after it. */
async function withConfig<T>(patch: Parameters<E2E['sim']['control']['config']>[0], fn: () => Promise<T>): Promise<T> {
    await h.sim.control.config(patch);
    try {
        return await fn();
    } finally {
        await h.sim.control.config({
            kmsStaleSeconds: DEFAULT_CONFIG.kmsStaleSeconds,
            commandVisibilitySeconds: DEFAULT_CONFIG.commandVisibilitySeconds,
        });
    }
}

const at = (q: { time: string | number }) => new Date(q.time).getTime();

/** DescribeCustomKeyStores calls made inside the stale window after `op`: the simulator answered each with the state from before. */
async function staleReadsAfter(op: string, windowSeconds: number): Promise<number> {
    const state = await h.sim.control.state();
    const calls = requestsOf(state, op).filter((q) => q.status === 200);
    return requestsOf(state, 'DescribeCustomKeyStores').filter((d) => calls.some((c) => at(d) >= at(c) && at(d) < at(c) + windowSeconds * 1000)).length;
}

test('create: DISCONNECTED read right after its Connect is "not yet"; the create waits for CONNECTED and succeeds', async () => {
    await withConfig({ kmsStaleSeconds: 20 }, async () => {
        const r = await h.run(h.driver.create(defaultProperties()));
        expect(r.status).toBe('SUCCESS');
        expect(r.model).toMatchObject({ ConnectionState: 'CONNECTED' });
        // the handler did read the store inside the window, and was shown DISCONNECTED there
        expect(await staleReadsAfter('ConnectCustomKeyStore', 20)).toBeGreaterThan(0);
        const state = await h.sim.control.state();
        expect(state.stores[0].connectionState).toBe('CONNECTED');
        expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
        expect(liveBootstrapSecrets(state)).toEqual([]);
    });
});

test('delete: CONNECTED read right after its Disconnect is "not yet"; the store is disconnected and deleted', async () => {
    await withConfig({ kmsStaleSeconds: 20 }, async () => {
        const created = await h.run(h.driver.create(defaultProperties()));
        expect(created.status).toBe('SUCCESS');
        const r = await h.run(h.driver.delete(created.model!));
        expect(r.status).toBe('SUCCESS');
        expect(r.message).toContain('was disconnected and deleted');
        expect(await staleReadsAfter('DisconnectCustomKeyStore', 20)).toBeGreaterThan(0);
        const state = await h.sim.control.state();
        expect(state.stores).toEqual([]);
        expect(leftovers(state)).toEqual([]);
    });
});

test('rename of a CONNECTED store: the SUCCESS model shows the new name, read back once KMS shows it', async () => {
    await withConfig({ kmsStaleSeconds: 20 }, async () => {
        const props = defaultProperties();
        const created = await h.run(h.driver.create(props));
        const id = created.model?.CustomKeyStoreId as string;
        const renamed = { ...props, KeyStoreName: 'RenamedKeyStore' };
        // the driver checks the contract: SUCCESS must carry the KeyStoreName the template asks for
        const r = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, renamed));
        expect(r.status).toBe('SUCCESS');
        expect(r.model).toMatchObject({ CustomKeyStoreId: id, KeyStoreName: 'RenamedKeyStore', ConnectionState: 'CONNECTED' });
        expect(await staleReadsAfter('UpdateCustomKeyStore', 20)).toBeGreaterThan(0);
    });
});

test('kmsuser repair: the update waits a few seconds after UpdateCustomKeyStore before it connects, so KMS uses the new password', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = created.model?.CustomKeyStoreId as string;
    // kmsuser's password changed by hand: the store ends FAILED with INVALID_CREDENTIALS
    const kms = directKms(h);
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitUntil(h, async () => (await h.sim.control.state()).stores[0].connectionState === 'DISCONNECTED');
    await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'ChangedByHand1' });
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitUntil(h, async () => (await h.sim.control.state()).stores[0].connectionState === 'FAILED');
    kms.destroy();

    const r = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props));
    expect(r.status).toBe('SUCCESS');
    expect(r.model).toMatchObject({ ConnectionState: 'CONNECTED' });
    const state = await h.sim.control.state();
    expect(state.stores[0]).toMatchObject({ id, connectionState: 'CONNECTED' });
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    // the connect came after the simulator's stale window had passed since the password update
    const update = requestsOf(state, 'UpdateCustomKeyStore').filter((q) => q.status === 200);
    const connect = requestsOf(state, 'ConnectCustomKeyStore').filter((q) => q.status === 200);
    expect(at(connect[connect.length - 1]) - at(update[update.length - 1])).toBeGreaterThanOrEqual(DEFAULT_CONFIG.kmsStaleSeconds * 1000);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

/**
 * A driver whose entrypoint loses the response of the first invocation that waits on the kmsuser create command
 * (its Lambda ran out of time while polling, say) and, as CloudFormation does, calls again with the same request.
 */
function losingTheWaitingInvocation(): { driver: Driver; lost: () => boolean } {
    let lost = false;
    const entrypoint: Entrypoint = async (event, context) => {
        const again = JSON.parse(JSON.stringify(event)) as typeof event;
        const before = (await h.sim.control.state()).requests.length;
        const response = await h.entrypoint(event, context);
        if (lost) return response;
        const state = await h.sim.control.state();
        const createCommands = new Set(state.commands.filter((c) => / kmsuser create /.test(c.comment)).map((c) => c.commandId));
        const waited = state.requests
            .slice(before)
            .some((q) => q.operation === 'GetCommandInvocation' && createCommands.has((q.body as { CommandId?: string }).CommandId ?? ''));
        if (!waited) return response;
        lost = true;
        return h.entrypoint(again, context);
    };
    const driver = new Driver({
        entrypoint,
        schema: h.schema,
        clock: h.clock,
        region: S.region,
        accountId: S.accountId,
        logicalResourceId: 'LostWaitKeyStore',
        log: () => undefined,
    });
    return { driver, lost: () => lost };
}

test('Run Command: the CommandId is in the callbackContext once SendCommand answers; an invocation lost while it waits sends nothing twice', async () => {
    // ListCommands (and GetCommandInvocation) see a command only 25 s after SendCommand: longer than an invocation waits
    await withConfig({ commandVisibilitySeconds: 25 }, async () => {
        const { driver, lost } = losingTheWaitingInvocation();
        const r = await h.run(driver.create(defaultProperties()));
        expect(lost()).toBe(true);
        expect(r.status).toBe('SUCCESS');
        const state = await h.sim.control.state();
        const sent = state.commands.filter((c) => / kmsuser create /.test(c.comment));
        expect(sent).toHaveLength(1);
        // every IN_PROGRESS after the send carried the command's id
        const after = r.events.filter((e) => e.response.status === 'IN_PROGRESS' && /awaitKmsUser|sendKmsUser/.test(String(e.response.callbackContext?.phase)));
        expect(after.length).toBeGreaterThan(0);
        for (const e of after) expect((e.response.callbackContext as { command?: { id?: string } }).command?.id).toBe(sent[0].commandId);
        expect(state.stores[0].connectionState).toBe('CONNECTED');
        expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    });
});
