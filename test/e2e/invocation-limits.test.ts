/**
 * End to end: CloudFormation's time for one handler invocation. The driver counts the handler's own (simulated)
 * work plus what CloudFormation's 60 s also hold, a cold start and the library's log delivery
 * (DEFAULT_INVOCATION_OVERHEAD), and fails the operation as CloudFormation does when an invocation answers late;
 * before the key store exists, a late first create invocation is "Resource timed out waiting for creation of
 * physical resource", and a store made after that is one nobody deletes.
 */
import { DEFAULT_INVOCATION_OVERHEAD, INVOCATION_LIMIT_SECONDS } from '../../local/driver';
import { defaultProperties } from '../../local/harness';
import { E2E, leftovers, useE2E } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const OVERHEAD = DEFAULT_INVOCATION_OVERHEAD.coldStartSeconds + DEFAULT_INVOCATION_OVERHEAD.deliverySeconds;

test("a slow preflight check: the first create invocation stops in time for CloudFormation's 60 s, cold start and log delivery included", async () => {
    // The read-only kmsuser check runs before the store exists, so it must finish inside the first invocation;
    // here it takes about 45 s on the instance.
    await h.sim.control.config({ commandBaseSeconds: 38 });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.timedOut).toBeUndefined();
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('NotStabilized');
    expect(r.message).toMatch(/The kmsuser command \S+ on i-\w+ did not finish within the time one handler invocation has for it/);
    expect(r.events).toHaveLength(1);
    expect(r.events[0].handlerSimSeconds + OVERHEAD).toBeLessThanOrEqual(INVOCATION_LIMIT_SECONDS.CREATE);
    expect(r.events[0].handlerSimSeconds).toBeLessThanOrEqual(41);
    expect(leftovers(await h.sim.control.state(), { kmsuserWasAbsent: true })).toEqual([]);
});

test('a create: every invocation answers within its limit, the first one carrying the key store id', async () => {
    await h.sim.control.config({ commandBaseSeconds: 20 });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.message).toBe('');
    expect(r.status).toBe('SUCCESS');
    expect(r.events[0].response.resourceModel?.CustomKeyStoreId).toMatch(/^cks-/);
    for (const e of r.events) expect(e.overLimit).toBeUndefined();
    expect(r.events[0].handlerSimSeconds).toBeLessThanOrEqual(INVOCATION_LIMIT_SECONDS.CREATE - OVERHEAD);
});
