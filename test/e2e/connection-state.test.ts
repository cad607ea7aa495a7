/**
 * End to end: DesiredConnectionState (a stack update disconnects a key store for maintenance and connects it again,
 * on the three request paths and through the custom resource), and an update that finds the store FAILED with a
 * network error, or about to reconnect into a broken network, says what is wrong instead of reconnecting.
 */
import { ConnectCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, DisconnectCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { defaultProperties } from '../../local/harness';
import { REQUEST_PATHS, RequestPath } from '../../local/driver';
import { recordName } from '../../src/keystore/record';
import { directKms, E2E, requestsOf, S, useE2E, waitUntil } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const zone = (x: string) => `${S.region}${x}`;

async function network(): Promise<{ sg: string; a: string; b: string }> {
    const c = (await h.sim.control.state()).clusters.find((x) => x.id === S.clusterId)!;
    return { sg: c.securityGroup, a: c.subnetMapping[zone('a')], b: c.subnetMapping[zone('b')] };
}

const storeState = async (id: string) => (await h.sim.control.state()).stores.find((s) => s.id === id)?.connectionState;
const keyState = async (keyId: string) => (await h.sim.control.state()).keys.find((k) => k.keyId === keyId)?.keyState;

/** The simulator's request log from here on: what an operation called. */
async function mark(): Promise<() => Promise<string[]>> {
    const seq = (await h.sim.control.state()).requests.at(-1)?.seq ?? 0;
    return async () => (await h.sim.control.requests({ since: seq })).map((r) => r.operation);
}

describe.each(REQUEST_PATHS)('DesiredConnectionState on the %s path', (path: RequestPath) => {
    test('an update disconnects a store that holds a key, for maintenance; a later one connects it again; Read reports both states', async () => {
        const driver = h.driver.withPath(path);
        const created = await h.run(driver.create(defaultProperties()));
        expect(created.status).toBe('SUCCESS');
        expect(created.model).toMatchObject({ DesiredConnectionState: 'CONNECTED', ConnectionState: 'CONNECTED' });
        const id = created.model!.CustomKeyStoreId as string;
        const key = await h.sim.control.putKey({ customKeyStoreId: id });

        const off = await h.run(
            driver.update(
                created.model!,
                path === 'cloudcontrol' ? { DesiredConnectionState: 'DISCONNECTED' } : defaultProperties({ DesiredConnectionState: 'DISCONNECTED' }),
            ),
        );
        expect(off.status).toBe('SUCCESS');
        expect(off.model).toMatchObject({ CustomKeyStoreId: id, DesiredConnectionState: 'DISCONNECTED', ConnectionState: 'DISCONNECTED' });
        expect(off.message).toContain(
            `Key store ${id} is DISCONNECTED, as DesiredConnectionState asks: the KMS keys in it are unusable (key state Unavailable) until it is connected again`,
        );
        expect(await storeState(id)).toBe('DISCONNECTED');
        expect(await keyState(key.keyId)).toBe('Unavailable');
        expect(JSON.parse((await h.sim.control.state()).parameters[recordName(id)])).toMatchObject({ DesiredConnectionState: 'DISCONNECTED' });

        // Read (Cloud Control reads with the identifier alone) reports what was asked and what is
        const read = await h.run(driver.read(off.model!));
        expect(read.model).toMatchObject({ DesiredConnectionState: 'DISCONNECTED', ConnectionState: 'DISCONNECTED' });
        // an update that changes something else keeps it disconnected
        const renamed = await h.run(
            driver.update(
                off.model!,
                path === 'cloudcontrol'
                    ? { KeyStoreName: 'Maintenance' }
                    : defaultProperties({ KeyStoreName: 'Maintenance', DesiredConnectionState: 'DISCONNECTED' }),
            ),
        );
        expect(renamed.model).toMatchObject({ KeyStoreName: 'Maintenance', DesiredConnectionState: 'DISCONNECTED', ConnectionState: 'DISCONNECTED' });

        // the template without the property asks for the default, CONNECTED (on Cloud Control: a patch that sets it)
        const calls = await mark();
        const on = await h.run(
            driver.update(
                renamed.model!,
                path === 'cloudcontrol' ? { DesiredConnectionState: 'CONNECTED' } : defaultProperties({ KeyStoreName: 'Maintenance' }),
            ),
        );
        expect(on.status).toBe('SUCCESS');
        expect(on.model).toMatchObject({ CustomKeyStoreId: id, DesiredConnectionState: 'CONNECTED', ConnectionState: 'CONNECTED' });
        expect(await keyState(key.keyId)).toBe('Enabled');
        // checked before it reconnected; no kmsuser work: KMS still holds kmsuser's password
        const ops = await calls();
        expect(ops).toContain('DescribeSecurityGroups');
        expect(ops.indexOf('DescribeSubnets')).toBeLessThan(ops.indexOf('ConnectCustomKeyStore'));
        expect(ops).not.toContain('SendCommand');
        expect((await h.run(driver.read(on.model!))).model).toMatchObject({ DesiredConnectionState: 'CONNECTED', ConnectionState: 'CONNECTED' });
    });
});

test('a create with DesiredConnectionState DISCONNECTED makes the store and kmsuser, leaves it DISCONNECTED; an update connects it', async () => {
    const props = defaultProperties({ DesiredConnectionState: 'DISCONNECTED' });
    const created = await h.run(h.driver.create(props));
    expect(created.status).toBe('SUCCESS');
    expect(created.model).toMatchObject({ DesiredConnectionState: 'DISCONNECTED', ConnectionState: 'DISCONNECTED' });
    expect(created.message).toContain('was created and left DISCONNECTED, as DesiredConnectionState asks');
    const state = await h.sim.control.state();
    expect(requestsOf(state, 'ConnectCustomKeyStore')).toEqual([]);
    expect(state.clusters.find((c) => c.id === S.clusterId)?.users.some((u) => u.username === 'kmsuser')).toBe(true);
    const on = await h.run(h.driver.update(created.model!, defaultProperties()));
    expect(on.model).toMatchObject({ DesiredConnectionState: 'CONNECTED', ConnectionState: 'CONNECTED' });
});

test('a reconnect into a network broken meanwhile fails in seconds, naming the fix, and leaves the store DISCONNECTED', async () => {
    const created = await h.run(h.driver.create(defaultProperties({ DesiredConnectionState: 'DISCONNECTED' })));
    const id = created.model!.CustomKeyStoreId as string;
    const { sg } = await network();
    await h.sim.control.putSecurityGroup({ id: sg, outbound: [] });
    const calls = await mark();
    const r = await h.run(h.driver.update(created.model!, defaultProperties()));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(r.message).toContain(`Key store ${id} is DISCONNECTED, and connecting it would fail.`);
    expect(r.message).toContain(`Security group ${sg} of the cluster has no TCP 2223-2225 rule to itself (outbound)`);
    expect(r.message).toContain(`aws ec2 authorize-security-group-egress --group-id ${sg}`);
    expect(r.events.length).toBe(1);
    expect(await calls()).not.toContain('ConnectCustomKeyStore');
    expect(await storeState(id)).toBe('DISCONNECTED');
});

describe('diagnose before retrying: an update finds the store FAILED with a network error', () => {
    const cases: Array<[string, string, (n: { sg: string; a: string; b: string }) => Promise<void>, string]> = [
        [
            'NETWORK_ERRORS',
            'the inbound rule is gone',
            (n) => h.sim.control.putSecurityGroup({ id: n.sg, inbound: [] }).then(() => undefined),
            'rule from itself (inbound)',
        ],
        [
            'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET',
            'a subnet is full',
            (n) => h.sim.control.putSubnet({ id: n.a, availableIpAddressCount: 0 }).then(() => undefined),
            'has no free IP address',
        ],
        ['SUBNET_NOT_FOUND', 'a subnet was deleted', (n) => h.sim.control.deleteSubnet(n.b), 'no longer exists'],
    ];
    test.each(cases)('%s (%s): the update says what is wrong and does not reconnect', async (code, _what, breakIt, says) => {
        const created = await h.run(h.driver.create(defaultProperties()));
        const id = created.model!.CustomKeyStoreId as string;
        const kms = directKms(h);
        const state = async () => (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores![0];
        // the network breaks; KMS's next connect fails on it (here: a disconnect and connect by hand)
        await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        await waitUntil(h, async () => (await state()).ConnectionState === 'DISCONNECTED', 'DISCONNECTED');
        const n = await network();
        await breakIt(n);
        await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        await waitUntil(h, async () => (await state()).ConnectionState === 'FAILED', 'FAILED');
        expect((await state()).ConnectionErrorCode).toBe(code);

        const calls = await mark();
        const r = await h.run(h.driver.update(created.model!, defaultProperties()));
        expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
        expect(r.message).toContain(`Key store ${id} is FAILED (ConnectionErrorCode ${code}), and reconnecting it would fail again.`);
        expect(r.message).toContain(says);
        expect(r.message).toContain('the key store was left as it is');
        expect(r.events.length).toBe(1);
        const ops = await calls();
        for (const op of ['DisconnectCustomKeyStore', 'ConnectCustomKeyStore', 'SendCommand', 'UpdateCustomKeyStore']) expect(ops).not.toContain(op);
        expect(await storeState(id)).toBe('FAILED');
    });

    test('once the network is fixed, the same update reconnects the store', async () => {
        const created = await h.run(h.driver.create(defaultProperties()));
        const id = created.model!.CustomKeyStoreId as string;
        const kms = directKms(h);
        const n = await network();
        await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        await waitUntil(h, async () => (await storeState(id)) === 'DISCONNECTED', 'DISCONNECTED');
        await h.sim.control.putSecurityGroup({ id: n.sg, inbound: [] });
        await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        await waitUntil(h, async () => (await storeState(id)) === 'FAILED', 'FAILED');
        expect((await h.run(h.driver.update(created.model!, defaultProperties()))).status).toBe('FAILED');
        // the fix the message named: the rule back
        await h.sim.control.putSecurityGroup({ id: n.sg, inbound: [{ protocol: 'tcp', fromPort: 2223, toPort: 2225, groupIds: [n.sg], cidrs: [] }] });
        const r = await h.run(h.driver.update(created.model!, defaultProperties()));
        expect(r.status).toBe('SUCCESS');
        expect(r.model).toMatchObject({ ConnectionState: 'CONNECTED' });
    });
});
