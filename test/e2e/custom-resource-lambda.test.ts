/**
 * End to end through the custom resource protocol: what Lambda's asynchronous invocation does to the provider's
 * chain of self-invocations. The simulated Lambda may deliver an event twice (invocation-async-error-handling)
 * and counts each chain's invocations in the X-Ray trace header's Lineage, stopping a chain past 16
 * (invocation-recursion); the harness registers the function with Lambda's default recursive loop setting,
 * Terminate, and the provider template's 900 s timeout.
 */
import { isContinuation } from '../../src/custom-resource/event';
import { MAX_INVOCATIONS } from '../../src/custom-resource/operation';
import { defaultProperties } from '../../local/harness';
import { RECURSION_LIMIT } from '../../local/sim/lambda';
import { liveBootstrapSecrets, requestsOf } from './support';
import { CrE2E, useCrE2E } from './custom-resource-support';

jest.setTimeout(180_000);

const CLAIM_PREFIX = 'custom-kms-cloudhsmkeystore/custom-resource-requests/';

const e2e = useCrE2E();
let h: CrE2E;
beforeEach(() => {
    h = e2e();
});

test.each([0, 60])('a continuation that Lambda delivers twice (the second %i s later) runs once: one chain, one answer', async (delaySeconds) => {
    h.sim.sim.lambda.deliverTwice({ delaySeconds, match: (p) => isContinuation(p) && p.hop === 1 });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.status).toBe('SUCCESS');
    expect(h.driver.responsesTo(r.request)).toHaveLength(1);
    const duplicates = r.invocations.filter((i) => i.duplicate);
    expect(duplicates).toHaveLength(1);
    expect(duplicates[0].error).toBeUndefined();
    expect(h.logs.join('\n')).toMatch(/Invocation 2 of request \S+ was delivered again; it is already being handled/);
    const state = await h.sim.control.state();
    expect(requestsOf(state, 'SendCommand')).toHaveLength(2); // the preflight check, then the create: once each
    expect(requestsOf(state, 'ConnectCustomKeyStore')).toHaveLength(1);
    expect(requestsOf(state, 'CreateCustomKeyStore')).toHaveLength(1);
    expect(state.stores).toHaveLength(1);
    expect(liveBootstrapSecrets(state)).toEqual([]);
    // Every invocation claimed itself, and every claim was released once its invocation answered or handed on.
    const claims = state.secrets.filter((s) => s.name.startsWith(CLAIM_PREFIX));
    expect(claims).toHaveLength(r.invocations.filter((i) => !i.duplicate).length);
    expect(claims.every((c) => c.deleted)).toBe(true);
});

test("the chain's invocations carry one trace header whose Lineage counts them, as Lambda's recursive loop detection sees them", async () => {
    await h.sim.control.config({ connectSeconds: 1440, commandBaseSeconds: 300 });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.reason).toBeUndefined();
    expect(r.status).toBe('SUCCESS');
    const chain = r.invocations.filter((i) => !i.duplicate);
    expect(chain.map((i) => i.chainCount)).toEqual(chain.map((_, n) => n));
    expect(new Set(chain.map((i) => /Root=([^;]+)/.exec(i.traceHeader)?.[1])).size).toBe(1);
    // a 24-minute connect after slow kmsuser commands, at the template's 900 s timeout: a handful of invocations
    expect(chain.length).toBeLessThanOrEqual(4);
    expect(chain.length).toBeLessThan(MAX_INVOCATIONS);
    expect(MAX_INVOCATIONS).toBeLessThan(RECURSION_LIMIT);
    expect(h.sim.sim.lambda.dropped).toEqual([]);
});
