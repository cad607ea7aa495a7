/**
 * End to end through the custom resource protocol: DesiredConnectionState disconnects a key store on a stack update and
 * connects it on the next, and a create fails in its first invocation on a broken cluster network, as the registered
 * type does (test/e2e/connection-state.test.ts, test/e2e/cluster-preflight.test.ts).
 */
import { defaultProperties } from '../../local/harness';
import { liveBootstrapSecrets, requestsOf, S } from './support';
import { CrE2E, useCrE2E } from './custom-resource-support';

jest.setTimeout(120_000);

const e2e = useCrE2E();
let h: CrE2E;
beforeEach(() => {
    h = e2e();
});

const storeOf = async (id: string | undefined) => (await h.sim.control.state()).stores.find((s) => s.id === id);

test('DesiredConnectionState DISCONNECTED disconnects the store in place; back to CONNECTED (or left out) connects it', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    expect(created.status).toBe('SUCCESS');
    const id = created.physicalResourceId as string;
    await h.sim.control.putKey({ customKeyStoreId: id });

    const off = { ...props, DesiredConnectionState: 'DISCONNECTED' };
    const r1 = await h.run(h.driver.update(id, props, off));
    expect(r1).toMatchObject({ status: 'SUCCESS', physicalResourceId: id });
    expect(r1.followUp).toBeUndefined(); // an update in place, not a replacement
    expect(r1.data?.ConnectionState).toBe('DISCONNECTED');
    expect((await storeOf(id))?.connectionState).toBe('DISCONNECTED');

    const on = { ...props, DesiredConnectionState: 'CONNECTED' };
    const r2 = await h.run(h.driver.update(id, off, on));
    expect(r2).toMatchObject({ status: 'SUCCESS', physicalResourceId: id });
    expect(r2.data?.ConnectionState).toBe('CONNECTED');
    expect((await storeOf(id))?.connectionState).toBe('CONNECTED');
});

test('a value outside CONNECTED and DISCONNECTED is refused before anything is made', async () => {
    const r = await h.run(h.driver.create(defaultProperties({ DesiredConnectionState: 'OFF' })));
    expect(r.status).toBe('FAILED');
    expect(r.reason).toContain('#/DesiredConnectionState: failed validation constraint for keyword [enum]');
    expect((await h.sim.control.state()).stores).toEqual([]);
});

test('a create on a cluster whose security group lost its inbound rule fails at once with the fix, nothing made', async () => {
    const c = (await h.sim.control.state()).clusters.find((x) => x.id === S.clusterId)!;
    await h.sim.control.putSecurityGroup({ id: c.securityGroup, inbound: [] });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.status).toBe('FAILED');
    expect(r.reason).toContain(
        `aws ec2 authorize-security-group-ingress --group-id ${c.securityGroup} --protocol tcp --port 2223-2225 --source-group ${c.securityGroup}`,
    );
    expect(r.invocations).toHaveLength(1);
    const state = await h.sim.control.state();
    for (const op of ['SendCommand', 'CreateCustomKeyStore']) expect(requestsOf(state, op)).toEqual([]);
    // the only secret made is the request's claim (src/custom-resource/claim.ts), not a bootstrap secret
    expect(liveBootstrapSecrets(state)).toEqual([]);
    expect(state.stores).toEqual([]);
});
