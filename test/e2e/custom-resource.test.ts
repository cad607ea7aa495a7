/**
 * End to end through the custom resource protocol: the driver sends CloudFormation's requests as
 * asynchronous Lambda invocations to src/custom-resource.ts (real SDK v3 clients against the simulator,
 * whose Run Command executes the kmsuser script) and reads the one PUT to each pre-signed ResponseURL.
 */
import { defaultProperties } from '../../local/harness';
import { liveBootstrapSecrets, kmsuserOn, requestsOf, S } from './support';
import { CrE2E, useCrE2E } from './custom-resource-support';

jest.setTimeout(120_000);

const e2e = useCrE2E();
let h: CrE2E;
beforeEach(() => {
    h = e2e();
});

const storeOf = async (id: string | undefined) => (await h.sim.control.state()).stores.find((s) => s.id === id);

test('create answers SUCCESS with the store id as physical id and Fn::GetAtt data, over several invocations', async () => {
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.status).toBe('SUCCESS');
    expect(r.physicalResourceId).toMatch(/^cks-[0-9a-f]{17}$/);
    expect(r.data).toMatchObject({ CustomKeyStoreId: r.physicalResourceId, ConnectionState: 'CONNECTED' });
    expect(r.data?.TrustAnchorCertificate).toContain('-----BEGIN CERTIFICATE-----');
    expect(r.invocations.length).toBeGreaterThan(1); // handed on by self-invocation
    expect(r.invocations.every((i) => !i.error)).toBe(true);
    const state = await h.sim.control.state();
    expect(state.stores).toHaveLength(1);
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
    expect(requestsOf(state, 'GetSecretValue').map((q) => (q.body as { SecretId: string }).SecretId)).not.toContain(S.adminSecretName);
    // Each invocation's claim is scheduled for deletion once it answered or handed on.
    const claims = state.secrets.filter((s) => s.name.startsWith('custom-kms-cloudhsmkeystore/custom-resource-requests/'));
    expect(claims).toHaveLength(r.invocations.length);
    expect(claims.every((c) => c.deleted)).toBe(true);
});

test('rename in place keeps the physical id; a move to a related cluster reconnects there', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = created.physicalResourceId as string;
    const renamed = { ...props, KeyStoreName: 'Renamed' };
    const r1 = await h.run(h.driver.update(id, props, renamed));
    expect(r1).toMatchObject({ status: 'SUCCESS', physicalResourceId: id });
    expect(r1.followUp).toBeUndefined();
    expect((await storeOf(id))?.name).toBe('Renamed');
    const moved = { ...renamed, CloudHsmClusterId: S.relatedClusterId, ClientInstanceId: S.relatedInstanceId };
    const r2 = await h.run(h.driver.update(id, renamed, moved));
    expect(r2).toMatchObject({ status: 'SUCCESS', physicalResourceId: id });
    expect(r2.data?.ConnectionState).toBe('CONNECTED');
    const state = await h.sim.control.state();
    expect(state.stores[0]).toMatchObject({ id, clusterId: S.relatedClusterId, connectionState: 'CONNECTED' });
    expect(kmsuserOn(state, S.relatedClusterId)?.password).toBe(state.stores[0].password);
    const d = await h.run(h.driver.delete(id, moved));
    expect(d.status).toBe('SUCCESS');
    expect((await h.sim.control.state()).stores).toEqual([]);
});

test('a delete leaves a store that holds KMS keys connected and answers SUCCESS saying why', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = created.physicalResourceId as string;
    await h.sim.control.putKey({ customKeyStoreId: id });
    const before = (await h.sim.control.state()).requests.length;
    const d = await h.run(h.driver.delete(id, props));
    expect(d).toMatchObject({ status: 'SUCCESS', physicalResourceId: id });
    expect(d.reason).toMatch(/holds 1 KMS key/);
    const state = await h.sim.control.state();
    expect(state.stores[0]).toMatchObject({ id, connectionState: 'CONNECTED' });
    const during = state.requests.slice(before).map((q) => q.operation);
    for (const op of ['DisconnectCustomKeyStore', 'DeleteCustomKeyStore', 'SendCommand']) expect(during).not.toContain(op);
});

test('booleans arrive as strings and are coerced: DeleteKeyStoreUponStackDeletion "false" keeps the store', async () => {
    const props = defaultProperties({ DeleteKeyStoreUponStackDeletion: false, AdoptExistingKmsUser: false });
    const created = await h.run(h.driver.create(props));
    expect(created.request.ResourceProperties.DeleteKeyStoreUponStackDeletion).toBe('false');
    expect(created.status).toBe('SUCCESS');
    const d = await h.run(h.driver.delete(created.physicalResourceId as string, props));
    expect(d.status).toBe('SUCCESS');
    expect((await h.sim.control.state()).stores[0]).toMatchObject({ connectionState: 'DISCONNECTED' });
});

test('a delete of a store that is already gone succeeds', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = created.physicalResourceId as string;
    expect((await h.run(h.driver.delete(id, props))).status).toBe('SUCCESS');
    const again = await h.run(h.driver.delete(id, props));
    expect(again).toMatchObject({ status: 'SUCCESS', physicalResourceId: id });
    expect(again.reason).toMatch(/no longer exists/);
});
