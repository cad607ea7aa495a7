/**
 * End to end: SSM's executionTimeout kills the kmsuser script (issue 17, item 6). The AWS-RunShellScript
 * executionTimeout stops a script with SIGKILL to its process group (amazon-ssm-agent, agent/executers), so a script
 * killed in the middle of a cloudhsm-cli call prints no result. The simulator kills at executionTimeout in simulated
 * time: the stand-in call that would run past it kills the script there, and a call longer than the `timeout` the
 * script wraps it in is stopped at that limit (exit 124). The handler sends an executionTimeout above the longest the
 * script can take with its own per-call limits, the script ends TIMED_OUT naming a call it had to stop, and a script
 * SSM killed all the same ends with a message that says so.
 */
import { ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { defaultProperties } from '../../local/harness';
import { DEFAULT_CONFIG } from '../../local/sim/state';
import { directKms, E2E, kmsuserOn, liveBootstrapSecrets, requestsOf, S, useE2E, waitUntil } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const storeOf = async (id: string) => (await h.sim.control.state()).stores.find((s) => s.id === id);

/** A store FAILED with INVALID_CREDENTIALS (kmsuser's password changed by hand): its update repairs kmsuser by Run Command. */
async function storeToRepair(): Promise<{ id: string; props: Record<string, unknown> }> {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    expect(created.status).toBe('SUCCESS');
    const id = created.model?.CustomKeyStoreId as string;
    const kms = directKms(h);
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitUntil(h, async () => (await storeOf(id))?.connectionState === 'DISCONNECTED');
    await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'ChangedByHand1' });
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitUntil(h, async () => (await storeOf(id))?.connectionState === 'FAILED');
    kms.destroy();
    return { id, props };
}

/** Each cloudhsm-cli call takes this many simulated seconds (a slow or unreachable cluster) for the rest of the test. */
async function withCliCallsOf<T>(seconds: number, fn: () => Promise<T>): Promise<T> {
    await h.sim.control.config({ commandSecondsPerCliCall: seconds });
    try {
        return await fn();
    } finally {
        await h.sim.control.config({ commandSecondsPerCliCall: DEFAULT_CONFIG.commandSecondsPerCliCall }); // settings outlive a reset
    }
}

const resetCommands = async () => (await h.sim.control.state()).commands.filter((c) => / kmsuser reset /.test(c.comment));

test('a slow cluster (a minute per cloudhsm-cli call): the repair script runs past two minutes inside its executionTimeout, and the update succeeds', async () => {
    const { id, props } = await storeToRepair();
    const r = await withCliCallsOf(60, () => h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props)));
    expect(r.status).toBe('SUCCESS');
    const [reset] = await resetCommands();
    expect(reset.parameters.executionTimeout).toEqual(['600']);
    expect(reset.invocations[0].status).toBe('Success');
    // user list, two secret reads, user change-password: more than the 120 s the command used to be allowed
    const started = new Date(reset.invocations[0].startedAt!).getTime();
    expect(new Date(reset.invocations[0].endedAt!).getTime() - started).toBeGreaterThan(120_000);
    const state = await h.sim.control.state();
    expect(state.stores[0]).toMatchObject({ id, connectionState: 'CONNECTED' });
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
});

test('a cloudhsm-cli call that never answers: the script stops it at its own limit and ends TIMED_OUT, naming the call; the update fails saying so', async () => {
    const { id, props } = await storeToRepair();
    const r = await withCliCallsOf(1000, () => h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props)));
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('GeneralServiceException');
    expect(r.message).toContain('(TIMED_OUT)');
    expect(r.message).toContain('cloudhsm-cli user list did not answer within 120 s, so the script stopped it');
    expect(r.message).toContain('TCP 2223-2225');
    const [reset] = await resetCommands();
    // the script reported its own result: SSM did not have to kill it
    expect(reset.invocations[0].status).toBe('Failed');
    expect(reset.invocations[0].stdout).toMatch(/KMSUSER_RESULT=TIMED_OUT\n$/);
    const state = await h.sim.control.state();
    expect(kmsuserOn(state, S.clusterId)?.password).toBe('ChangedByHand1');
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('a script SSM kills at its executionTimeout (no result line): the update fails with a message that says SSM stopped it, and what to check', async () => {
    const { id, props } = await storeToRepair();
    await h.sim.control.addFault({ kind: 'commandResult', status: 'TimedOut', instanceId: S.instanceId, stdout: '{"error_code": 0, "data": {"users": [' });
    const r = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props));
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('GeneralServiceException');
    expect(r.message).toContain(`SSM stopped the kmsuser script on ${S.instanceId} when its executionTimeout of 600 s ran out (ExecutionTimedOut)`);
    expect(r.message).toContain('cloudhsm-cli user list on the instance whether kmsuser is absent or on every HSM');
    expect(r.message).toContain('aws ssm get-command-invocation --command-id');
    expect(requestsOf(await h.sim.control.state(), 'UpdateCustomKeyStore')).toEqual([]);
    expect(liveBootstrapSecrets(await h.sim.control.state())).toEqual([]);
});
