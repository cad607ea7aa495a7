/**
 * End to end: UpdateCustomKeyStore needs two active HSMs in different Availability Zones for any change, a new
 * password too, not only a cluster move (issue 17, item 3; KMS API reference, CloudHsmClusterInvalidConfigurationException).
 * The simulator refuses every update on such a cluster. A kmsuser repair resets kmsuser's password in the cluster and
 * then tells KMS the new one, so the handler checks the cluster right before it touches kmsuser: a repair on a
 * degraded cluster fails with the remedy and leaves kmsuser's password as KMS knows it.
 */
import { ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { defaultProperties } from '../../local/harness';
import { directKms, E2E, kmsuserOn, liveBootstrapSecrets, requestsOf, S, useE2E, waitUntil } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const storeOf = async (id: string) => (await h.sim.control.state()).stores.find((s) => s.id === id);

/** A connected store whose kmsuser password an admin then changed by hand: KMS holds the old one. */
async function storeWithChangedKmsuserPassword(): Promise<{ id: string; props: Record<string, unknown> }> {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    expect(created.status).toBe('SUCCESS');
    const id = created.model?.CustomKeyStoreId as string;
    const kms = directKms(h);
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    kms.destroy();
    await waitUntil(h, async () => (await storeOf(id))?.connectionState === 'DISCONNECTED');
    await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'ChangedByHand1' });
    return { id, props };
}

test('a repair whose cluster lost an HSM meanwhile: FAILED naming the cluster and the fix, kmsuser not touched', async () => {
    const { id, props } = await storeWithChangedKmsuserPassword();
    // The update connects the DISCONNECTED store (the cluster is whole when it plans); while KMS connects, an HSM goes.
    const update = h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props));
    await waitUntil(h, async () => (await storeOf(id))?.connectionState === 'CONNECTING');
    await h.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: `${S.region}a` }] });
    const r = await update;

    // the connect failed on kmsuser's credentials; the repair stopped before kmsuser
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('InvalidRequest');
    expect(r.message).toContain(`Key store ${id} needs kmsuser's password reset`);
    expect(r.message).toContain(`CloudHsmClusterId ${S.clusterId}: the cluster has 1 active HSM(s) in 1 Availability Zone(s)`);
    expect(r.message).toContain('aws cloudhsmv2 create-hsm');
    expect(r.message).toContain('kmsuser was not touched');
    const state = await h.sim.control.state();
    expect(kmsuserOn(state, S.clusterId)?.password).toBe('ChangedByHand1');
    expect(state.commands.filter((c) => / kmsuser reset /.test(c.comment))).toEqual([]);
    expect(requestsOf(state, 'UpdateCustomKeyStore')).toEqual([]);
    expect(liveBootstrapSecrets(state)).toEqual([]);

    // Once the cluster has its HSMs again, the same update repairs kmsuser and connects.
    await h.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: `${S.region}a` }, { az: `${S.region}b` }] });
    const again = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props));
    expect(again.status).toBe('SUCCESS');
    const after = await h.sim.control.state();
    expect(after.stores[0]).toMatchObject({ id, connectionState: 'CONNECTED' });
    expect(kmsuserOn(after, S.clusterId)?.password).toBe(after.stores[0].password);
});

test("a store FAILED on kmsuser's credentials, on a cluster down to one HSM: the update fails before kmsuser is reset", async () => {
    const { id, props } = await storeWithChangedKmsuserPassword();
    const kms = directKms(h);
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    kms.destroy();
    await waitUntil(h, async () => (await storeOf(id))?.connectionState === 'FAILED');
    await h.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: `${S.region}a` }] });
    const r = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, props));
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('InvalidRequest');
    expect(r.message).toContain(`CloudHsmClusterId ${S.clusterId}: the cluster has 1 active HSM(s)`);
    const state = await h.sim.control.state();
    expect(kmsuserOn(state, S.clusterId)?.password).toBe('ChangedByHand1');
    expect(state.commands.filter((c) => / kmsuser reset /.test(c.comment))).toEqual([]);
    expect(requestsOf(state, 'UpdateCustomKeyStore')).toEqual([]);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('a rename of a CONNECTED store on a cluster down to one HSM: KMS refuses any update there; FAILED InvalidRequest, nothing changed', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = created.model?.CustomKeyStoreId as string;
    await h.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: `${S.region}a` }] });
    const r = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, { ...props, KeyStoreName: 'RenamedOnDegraded' }));
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('InvalidRequest');
    expect(r.message).toContain(S.clusterId);
    const state = await h.sim.control.state();
    expect(requestsOf(state, 'UpdateCustomKeyStore').map((q) => q.errorType)).toEqual(['CloudHsmClusterInvalidConfigurationException']);
    expect(state.stores[0]).toMatchObject({ id, name: 'ExampleKeyStore', connectionState: 'CONNECTED' });
});
