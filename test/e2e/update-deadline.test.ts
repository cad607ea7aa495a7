/**
 * End to end: the update's worst case against CloudFormation's timeoutInMinutes, which the driver enforces in
 * simulated time. An update that moves the store and then repairs kmsuser may spend every phase budget; the handler
 * must answer with its own message before CloudFormation's timeout ends the update with none, also when
 * CloudFormation calls back later than the handler asked ("no less than" callbackDelaySeconds).
 */
import { defaultProperties } from '../../local/harness';
import { DEFAULT_CONFIG } from '../../local/sim/state';
import { E2E, liveBootstrapSecrets, requestsOf, S, useE2E } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const SETTINGS = ['disconnectSeconds', 'commandRunDelaySeconds', 'commandBaseSeconds', 'connectSeconds'] as const;
// Settings outlive the simulator's reset: put back the defaults this file changes.
afterEach(async () => {
    await h.sim.control.config(Object.fromEntries(SETTINGS.map((k) => [k, DEFAULT_CONFIG[k]])));
});

/**
 * The longest update: a move to a related cluster whose connect fails on kmsuser's credentials, so kmsuser is repaired
 * and the store connected again, which fails as well: two disconnects, a kmsuser command, two connects. Each phase
 * counts its budget (10, 13 and 25 minutes) in the waits it asked for, and CloudFormation calls back
 * `callbackLatencySeconds` later than asked, so each wait here lasts as long as it can while the phase still counts
 * it within budget (a waited second costs (30 + latency) / 30 seconds: 25 s inline and a 5 s callback delay a round).
 * The kmsuser command is delivered late and runs close to its 600 s executionTimeout.
 */
async function slowestUpdate(callbackLatencySeconds: number) {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    expect(created.status).toBe('SUCCESS');
    const id = created.model?.CustomKeyStoreId as string;
    const stretch = (budgetSeconds: number) => Math.floor((budgetSeconds * (30 + callbackLatencySeconds)) / 30) - 20;
    await h.sim.control.config({
        disconnectSeconds: stretch(600),
        connectSeconds: stretch(1500),
        commandRunDelaySeconds: 100,
        commandBaseSeconds: 560,
    });
    await h.sim.control.addFault({ kind: 'connectFailure', connectionErrorCode: 'INVALID_CREDENTIALS', times: 2 });
    const moved = { ...props, CloudHsmClusterId: S.relatedClusterId, ClientInstanceId: S.relatedInstanceId };
    const r = await h.run(h.driver.withCallbackLatency(callbackLatencySeconds).update({ ...props, CustomKeyStoreId: id }, moved));
    return { id, r };
}

test("the longest update, with CloudFormation calling back 5 s late, ends with the handler's own message before CloudFormation's timeout", async () => {
    const { r } = await slowestUpdate(5);
    expect(r.timedOut).toBeUndefined();
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('NotStabilized');
    expect(r.message).toMatch(/failed to connect \(ConnectionErrorCode INVALID_CREDENTIALS\)\. KMS could not log in as kmsuser/);
    expect(r.elapsedSimSeconds).toBeGreaterThan(90 * 60); // longer than the update's old timeoutInMinutes
    expect(r.elapsedSimSeconds).toBeLessThan(h.schema.timeoutInMinutes('update') * 60);
    const state = await h.sim.control.state();
    expect(requestsOf(state, 'SendCommand')).toHaveLength(3); // the create's check and kmsuser, then the one repair
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test("when CloudFormation calls back later still, the update's own deadline ends it, saying what it waited for, before CloudFormation's timeout", async () => {
    const { id, r } = await slowestUpdate(20);
    expect(r.timedOut).toBeUndefined();
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('NotStabilized');
    expect(r.message).toMatch(
        /^The update stopped after 11\d minutes, the most this handler gives one update \(so that it answers before CloudFormation's own timeout\)\. When it stopped: /,
    );
    expect(r.message).toMatch(new RegExp(`Waiting for (the kmsuser command|key store ${id})`));
    expect(r.elapsedSimSeconds).toBeLessThan(h.schema.timeoutInMinutes('update') * 60);
    expect(liveBootstrapSecrets(await h.sim.control.state())).toEqual([]);
});
