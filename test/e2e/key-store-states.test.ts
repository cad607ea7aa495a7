/**
 * End to end: a key made into a key store that is not ready (CONNECTING, DISCONNECTED, FAILED, too few HSMs),
 * a key whose create fails after CreateKey (rolled back), bad input refused before anything is made, and a key
 * store's delete while it holds keys pending deletion.
 */
import { ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand, KMSClient } from '@aws-sdk/client-kms';
import { defaultKeyProperties, defaultProperties } from '../../local/harness';
import { DEFAULT_CONFIG } from '../../local/sim/state';
import { directKms, E2E, requestsOf, S, useE2E, waitUntil } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
let kms: KMSClient;
beforeEach(() => {
    h = e2e();
    kms = directKms(h);
});

const storeState = async (id: string) => (await h.sim.control.state()).stores.find((s) => s.id === id);
const waitFor = (check: () => Promise<boolean>) => waitUntil(h, check);

async function connectedStore(props = defaultProperties()): Promise<string> {
    const r = await h.run(h.driver.create(props));
    expect(r.status).toBe('SUCCESS');
    return r.model?.CustomKeyStoreId as string;
}

async function disconnect(id: string): Promise<void> {
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitFor(async () => (await storeState(id))?.connectionState === 'DISCONNECTED');
}

/** KMS is eventually consistent: someone else's connect shows in DescribeCustomKeyStores a few seconds later (local/README.md, kmsStaleSeconds). */
const untilKmsShowsIt = () => h.clock.run(() => h.clock.sleep(DEFAULT_CONFIG.kmsStaleSeconds * 1000));

const keysIn = async (storeId: string) => (await h.sim.control.state()).keys.filter((k) => k.customKeyStoreId === storeId);

test('create waits while the key store is CONNECTING, then makes the key', async () => {
    const id = await connectedStore();
    await disconnect(id);
    // a connect that ends within the invocation's budget (the wait has no key id to hand back, so it cannot span invocations)
    const { connectSeconds } = await h.sim.control.config({});
    await h.sim.control.config({ connectSeconds: 12 });
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await h.sim.control.config({ connectSeconds });
    expect((await storeState(id))?.connectionState).toBe('CONNECTING');
    await untilKmsShowsIt();
    const r = await h.run(h.keyDriver.create(defaultKeyProperties(id)));
    expect(r.status).toBe('SUCCESS');
    expect(r.model).toMatchObject({ CustomKeyStoreId: id, KeyState: 'Enabled' });
    expect((await storeState(id))?.connectionState).toBe('CONNECTED');
    expect(requestsOf(await h.sim.control.state(), 'CreateKey').filter((q) => q.status === 200)).toHaveLength(1);
});

test('a store still CONNECTING when the invocation runs out of time: NotStabilized, saying to retry once CONNECTED; nothing made', async () => {
    const id = await connectedStore();
    await disconnect(id);
    const { connectSeconds } = await h.sim.control.config({});
    await h.sim.control.config({ connectSeconds: 1_000_000 });
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await untilKmsShowsIt();
    try {
        const r = await h.run(h.keyDriver.create(defaultKeyProperties(id)));
        expect(r.status).toBe('FAILED');
        expect(r.errorCode).toBe('NotStabilized');
        expect(r.message).toContain(`Key store ${id} is still CONNECTING`);
        expect(r.message).toContain(`aws kms describe-custom-key-stores --custom-key-store-id ${id}`);
    } finally {
        await h.sim.control.config({ connectSeconds }); // settings outlive a reset
    }
    expect(await keysIn(id)).toEqual([]);
});

test('a DISCONNECTED key store: FAILED at once, naming the store and how to connect it; no CreateKey', async () => {
    const id = await connectedStore();
    await disconnect(id);
    const r = await h.run(h.keyDriver.create(defaultKeyProperties(id)));
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('ResourceConflict');
    expect(r.message).toContain(`Key store ${id} is DISCONNECTED`);
    expect(r.message).toContain(`aws kms connect-custom-key-store --custom-key-store-id ${id}`);
    expect(requestsOf(await h.sim.control.state(), 'CreateKey')).toEqual([]);
});

test('a FAILED key store: FAILED, naming the store, its ConnectionErrorCode and the remedy', async () => {
    const id = await connectedStore();
    await disconnect(id);
    await h.sim.control.addFault({ kind: 'connectFailure', connectionErrorCode: 'NETWORK_ERRORS', customKeyStoreId: id });
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await waitFor(async () => (await storeState(id))?.connectionState === 'FAILED');
    const r = await h.run(h.keyDriver.create(defaultKeyProperties(id)));
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('ResourceConflict');
    expect(r.message).toContain(`Key store ${id} failed to connect (ConnectionErrorCode NETWORK_ERRORS)`);
    expect(r.message).toContain('TCP 2223-2225');
    expect(requestsOf(await h.sim.control.state(), 'CreateKey')).toEqual([]);
});

test('a cluster with fewer than two active HSMs: FAILED InvalidRequest naming the cluster and the count', async () => {
    const id = await connectedStore();
    await h.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: 'us-east-1a' }, { az: 'us-east-1b', state: 'DELETED' }] });
    const r = await h.run(h.keyDriver.create(defaultKeyProperties(id)));
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('InvalidRequest');
    expect(r.message).toContain(`Key store ${id} cannot hold new keys`);
    expect(r.message).toContain(`${S.clusterId}: the cluster has 1 active HSM(s)`);
    expect(requestsOf(await h.sim.control.state(), 'CreateKey')).toEqual([]);
});

test('no such key store, and bad input: refused before anything is made, saying what to fix', async () => {
    const id = await connectedStore();
    const missing = await h.run(h.keyDriver.create(defaultKeyProperties('cks-0000000000000000a')));
    expect(missing).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(missing.message).toContain('CustomKeyStoreId cks-0000000000000000a: there is no AWS CloudHSM key store');
    const bad = await h.run(
        h.keyDriver.create(
            defaultKeyProperties(id, {
                KeyPolicy: '{not json',
                Tags: [
                    { Key: 'a', Value: '1' },
                    { Key: 'a', Value: '2' },
                ],
            }),
        ),
    );
    expect(bad).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(bad.message).toContain('KeyPolicy is a string but not a JSON policy document');
    expect(bad.message).toContain('the tag key(s) a appear more than once');
    const rotation = await h.run(h.keyDriver.create(defaultKeyProperties(id, { EnableKeyRotation: true })));
    expect(rotation).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest', invokedHandler: false });
    expect(requestsOf(await h.sim.control.state(), 'CreateKey')).toEqual([]);
});

test('KMS refusing the policy: FAILED with its advice; a failure after CreateKey schedules the new key for deletion', async () => {
    const id = await connectedStore();
    const lockout = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' }] };
    const refused = await h.run(h.keyDriver.create(defaultKeyProperties(id, { KeyPolicy: lockout })));
    expect(refused).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(refused.message).toContain('MalformedPolicyDocumentException');
    expect(refused.message).toContain('BypassPolicyLockoutSafetyCheck');
    expect(await keysIn(id)).toEqual([]);

    await h.sim.control.addFault({ service: 'kms', operation: 'DisableKey', error: 'AccessDeniedException', message: 'not allowed' });
    const r = await h.run(h.keyDriver.create(defaultKeyProperties(id, { Enabled: false })));
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('AccessDenied');
    const [key] = await keysIn(id);
    expect(key.keyState).toBe('PendingDeletion');
    expect(r.message).toContain(`Rolled back: KMS key ${key.keyId} was scheduled for deletion`);
});

test('a key store holding only a key pending deletion is kept on delete; the message says until when and how to delete it then', async () => {
    const props = defaultProperties();
    const storeId = await connectedStore(props);
    const key = await h.run(h.keyDriver.create(defaultKeyProperties(storeId, { PendingWindowInDays: 7 })));
    const deletedKey = await h.run(h.keyDriver.delete(key.model!));
    expect(deletedKey.status).toBe('SUCCESS');
    const until = (await h.sim.control.state()).keys[0].deletionDate;
    const r = await h.run(h.driver.delete({ ...props, CustomKeyStoreId: storeId }));
    expect(r.status).toBe('SUCCESS');
    expect(r.message).toContain(`Key store ${storeId} holds 1 KMS key(s)`);
    expect(r.message).toContain(`All of them are pending deletion, the last until ${until}.`);
    expect(r.message).toContain(`aws kms delete-custom-key-store --custom-key-store-id ${storeId}`);
    expect(await storeState(storeId)).toMatchObject({ connectionState: 'CONNECTED' });
});
