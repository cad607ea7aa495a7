/**
 * KMS request quotas (token buckets in simulated time) and adding keys in bulk. On virtual time the calls of a burst
 * take no simulated time at all, and a bucket refills exactly as much as the test sleeps on the clock.
 */
import { DescribeCustomKeyStoresCommand, ListKeysCommand, paginateListKeys } from '@aws-sdk/client-kms';
import { ControlError } from '../../local/sim/client';
import { KMS_REQUEST_QUOTAS } from '../../local/sim/quotas';
import { errorOf, harness, Harness } from './helpers';

let h: Harness;
beforeEach(async () => {
    h = await harness();
});
afterEach(() => h.close());

const describeStores = () => h.kms.send(new DescribeCustomKeyStoresCommand({}));

test('the defaults are the KMS developer guide figures the handler relies on', () => {
    expect(KMS_REQUEST_QUOTAS.DescribeKey).toBe(2000);
    expect(KMS_REQUEST_QUOTAS.DescribeCustomKeyStores).toBe(5);
    expect(KMS_REQUEST_QUOTAS.ListKeys).toBeGreaterThanOrEqual(100);
});

test('quotas are off unless configured', async () => {
    for (let i = 0; i < 12; i++) await describeStores();
});

test('a burst over an operation quota is throttled, other operations are not, and the bucket refills in simulated time', async () => {
    await h.sim.control.config({ kmsRequestQuotas: true });
    const t0 = h.clock.now();
    for (let i = 0; i < 5; i++) await describeStores();
    const err = await errorOf(describeStores());
    expect(err.name).toBe('ThrottlingException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.message).toMatch(/exceeded the rate at which you may call KMS/);
    await h.kms.send(new ListKeysCommand({}));
    const log = await h.sim.control.requests({ operation: 'DescribeCustomKeyStores' });
    expect(log.map((r) => r.errorType ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ThrottlingException']);

    expect(h.clock.now()).toBe(t0); // the burst took no simulated time

    await h.clock.run(async () => {
        // 5 per second: 200 simulated ms refill one token, and no more.
        await h.clock.sleep(200);
        await describeStores();
        expect((await errorOf(describeStores())).name).toBe('ThrottlingException');
        // A whole simulated second (or more) fills the bucket again, and it holds 5, not more.
        await h.clock.sleep(20_000);
        for (let i = 0; i < 5; i++) await describeStores();
        expect((await errorOf(describeStores())).name).toBe('ThrottlingException');
    });
});

test('a per-operation override replaces the default; 0 means unlimited', async () => {
    await h.sim.control.config({ kmsRequestQuotas: { DescribeCustomKeyStores: 0, ListKeys: 2 } });
    for (let i = 0; i < 12; i++) await describeStores();
    await h.kms.send(new ListKeysCommand({}));
    await h.kms.send(new ListKeysCommand({}));
    expect((await errorOf(h.kms.send(new ListKeysCommand({})))).name).toBe('ThrottlingException');
});

test('bad quota settings are refused with the field named', async () => {
    await expect(h.sim.control.config({ kmsRequestQuotas: { DescribeKey: -1 } })).rejects.toThrow(/kmsRequestQuotas.DescribeKey must be a non-negative number/);
    await expect(h.sim.control.config({ kmsRequestQuotas: 'yes' as never })).rejects.toThrow(/kmsRequestQuotas must be a JSON object/);
});

test('POST /_sim/keys with a count adds that many keys in one call', async () => {
    const added = await h.sim.control.putKeys(2500);
    expect(added.count).toBe(2500);
    expect(new Set(added.keyIds).size).toBe(2500);
    let listed = 0;
    for await (const p of paginateListKeys({ client: h.kms, pageSize: 1000 }, {})) listed += p.Keys!.length;
    expect(listed).toBe(2500);
    const err = await h.sim.control.putKeys(0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).message).toMatch(/key.count must be an integer from 1/);
});
