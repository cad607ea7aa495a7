/**
 * The agreement scenarios, each written once against the handler's `Adapters` (plus the `World`'s set-up and
 * waiting) and recorded into a Transcript. They cover what the workflows rely on: key store lookups, create and
 * its conflicts, the connection state machine and kmsuser's password, update and delete rules, paging, keys in a
 * store, Secrets Manager's idempotency and deletion, Parameter Store, and Run Command's timeline.
 */
import { DEFAULT_SCENARIO as D } from '../../local/sim';
import { parseKmsUserResult } from '../../src/kmsuser/result';
import { buildKmsUserCommands, KmsUserAction } from '../../src/kmsuser/script';
import type { Transcript, World } from './world';

export interface Scenario {
    name: string;
    run(w: World, t: Transcript): Promise<void>;
}

/** kmsuser's password in the stores the scenarios create (KMS takes 7-32 characters). */
const PW = 'Bootstrap-Passw0rd-1';
const MISSING_STORE = 'cks-00000000000000000';
const MISSING_CLUSTER = 'cluster-aaaaaaaaaaaaa';
const MISSING_KEY = '0f1e2d3c-4b5a-4697-8877-665544332211';
const MISSING_COMMAND = '0f1e2d3c-4b5a-4697-8877-665544332212';
const UNKNOWN_INSTANCE = 'i-00000000000000000';
/** Extra clusters (each its own backup lineage) for scenarios that need more than the default three. */
const extraCluster = (i: number) => `cluster-extra${'abcdefghijk'[i]}aaaaaa`;
const token = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** A key policy KMS accepts (it lets the account manage the key, so the lockout safety check passes). */
const POLICY = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'account', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${D.accountId}:root` }, Action: 'kms:*', Resource: '*' }],
});

// ---- helpers (each records what it calls) -------------------------------------------------------------

async function caOf(w: World, t: Transcript, secret: string = D.caSecretName): Promise<string> {
    const ca = await t.call(`secrets.getString(${secret})`, () => w.aws.secrets.getString(secret));
    if (!ca) throw new Error(`no CA in ${secret}`);
    return ca;
}

async function createStore(
    w: World,
    t: Transcript,
    p: { name: string; clusterId?: string; trustAnchor: string; password?: string },
    label = `kms.createStore(${p.name})`,
): Promise<string> {
    const id = await t.call(label, () =>
        w.aws.kms.createStore({ name: p.name, clusterId: p.clusterId ?? D.clusterId, trustAnchor: p.trustAnchor, password: p.password ?? PW }),
    );
    if (!id) throw new Error(`${label} failed on ${w.backend}`);
    return id;
}

const describe = (w: World, t: Transcript, id: string, label = 'kms.describeStore') => t.call(label, () => w.aws.kms.describeStore(id));

/** kmsuser with PW in the cluster, a store on the default cluster, connected: CONNECTED after the connect duration. */
async function connectedStore(w: World, t: Transcript, name = 'ks-connected'): Promise<string> {
    await w.putKmsUser(D.clusterId, PW);
    const id = await createStore(w, t, { name, trustAnchor: await caOf(w, t) });
    await t.call('kms.connect', () => w.aws.kms.connect(id));
    await w.waitSeconds(301);
    await describe(w, t, id, 'kms.describeStore (connected)');
    return id;
}

async function disconnected(w: World, t: Transcript, id: string): Promise<void> {
    await t.call('kms.disconnect', () => w.aws.kms.disconnect(id));
    await w.waitSeconds(11);
    await describe(w, t, id, 'kms.describeStore (disconnected)');
}

function kmsUserScript(action: KmsUserAction, p: { clusterId?: string; adopt?: boolean; bootstrapSecretId?: string } = {}): string[] {
    return buildKmsUserCommands({
        action,
        adopt: p.adopt ?? false,
        clusterId: p.clusterId ?? D.clusterId,
        region: D.region,
        adminUsername: D.adminUsername,
        adminSecretId: D.adminSecretName,
        ...(p.bootstrapSecretId ? { bootstrapSecretId: p.bootstrapSecretId } : {}),
    });
}

/** Sends a kmsuser script, waits a minute, records how the invocation ended (the result the workflows parse, not the raw output). */
async function runScript(w: World, t: Transcript, label: string, commands: string[], instanceId: string = D.instanceId): Promise<void> {
    const id = await t.call(`ssm.sendShellScript(${label})`, () =>
        w.aws.ssm.sendShellScript({ instanceId, commands, comment: `agreement ${label}`, timeoutSeconds: 600 }),
    );
    if (!id) return;
    await w.waitSeconds(60);
    await recordResult(w, t, `ssm.getInvocation(${label})`, id, instanceId);
}

async function recordResult(w: World, t: Transcript, label: string, commandId: string, instanceId: string): Promise<void> {
    const inv = await t.call(`${label} [state]`, async () => {
        const i = await w.aws.ssm.getInvocation(commandId, instanceId);
        return i && { state: i.state, status: i.status };
    });
    if (!inv || inv.state === 'pending') return;
    const i = await w.aws.ssm.getInvocation(commandId, instanceId);
    const r = parseKmsUserResult(i?.stdout ?? '', i?.stderr ?? '');
    t.note(`${label} [kmsuser result]`, r.ok ? r.outcome : r.failure);
}

// ---- the scenarios ------------------------------------------------------------------------------------

export const scenarios: Scenario[] = [
    {
        name: 'lookups of what does not exist',
        async run(w, t) {
            const { kms, hsm, secrets, ssm } = w.aws;
            await t.call('kms.describeStore', () => kms.describeStore(MISSING_STORE));
            await t.call('kms.describeStoreByName', () => kms.describeStoreByName('no-such-store'));
            await t.call('kms.listStores', () => kms.listStores());
            await t.call('kms.connect', () => kms.connect(MISSING_STORE));
            await t.call('kms.disconnect', () => kms.disconnect(MISSING_STORE));
            await t.call('kms.update', () => kms.update(MISSING_STORE, { name: 'x' }));
            await t.call('kms.deleteStore', () => kms.deleteStore(MISSING_STORE));
            await t.call('kms.listKeys', () => kms.listKeys());
            await t.call('kms.describeKey', () => kms.describeKey(MISSING_KEY));
            await t.call('kms.keyStoreOfKey', () => kms.keyStoreOfKey(MISSING_KEY));
            await t.call('kms.createKey', () => kms.createKey({ storeId: MISSING_STORE }));
            await t.call('kms.scheduleKeyDeletion', () => kms.scheduleKeyDeletion(MISSING_KEY, 7));
            await t.call('hsm.describeCluster', () => hsm.describeCluster(MISSING_CLUSTER));
            await t.call('secrets.describe', () => secrets.describe('agreement/no-such-secret'));
            await t.call('secrets.getString', () => secrets.getString('agreement/no-such-secret'));
            await t.call('secrets.forceDelete', () => secrets.forceDelete('agreement/no-such-secret'));
            await t.call('secrets.scheduleDelete', () => secrets.scheduleDelete('agreement/no-such-secret', 7));
            await t.call('ssm.getParameter', () => ssm.getParameter('/agreement/no-such-parameter'));
            await t.call('ssm.deleteParameter', () => ssm.deleteParameter('/agreement/no-such-parameter'));
            await t.call('ssm.pingStatus', () => ssm.pingStatus(UNKNOWN_INSTANCE));
            await t.call('ssm.sendShellScript', () =>
                ssm.sendShellScript({ instanceId: UNKNOWN_INSTANCE, commands: ['true'], comment: 'agreement', timeoutSeconds: 60 }),
            );
            await t.call('ssm.getInvocation', () => ssm.getInvocation(MISSING_COMMAND, D.instanceId));
            await t.call('ssm.findCommandByComment', () => ssm.findCommandByComment(D.instanceId, 'agreement nothing sent'));
        },
    },
    {
        name: 'the default scenario: clusters, instances, secrets',
        async run(w, t) {
            for (const id of [D.clusterId, D.relatedClusterId, D.unrelatedClusterId])
                await t.call(`hsm.describeCluster(${id})`, () => w.aws.hsm.describeCluster(id));
            for (const id of [D.instanceId, D.relatedInstanceId, D.noCliInstanceId, D.offlineInstanceId])
                await t.call(`ssm.pingStatus(${id})`, () => w.aws.ssm.pingStatus(id));
            for (const name of [D.adminSecretName, D.caSecretName, D.unrelatedCaSecretName])
                await t.call(`secrets.describe(${name})`, () => w.aws.secrets.describe(name));
            await caOf(w, t);
            await caOf(w, t, D.unrelatedCaSecretName);
        },
    },
    {
        name: 'create a key store: identical retry, name in use, cluster in use, trust anchor, cluster checks',
        async run(w, t) {
            const { kms } = w.aws;
            const ca = await caOf(w, t);
            const otherCa = await caOf(w, t, D.unrelatedCaSecretName);
            const id = await createStore(w, t, { name: 'ks-one', trustAnchor: ca });
            await describe(w, t, id);
            await t.call('kms.describeStoreByName', () => kms.describeStoreByName('ks-one'));
            const attempt = (label: string, p: { name: string; clusterId: string; trustAnchor: string; password?: string }) =>
                t.call(`kms.createStore: ${label}`, () => kms.createStore({ password: PW, ...p }));
            await attempt('identical retry', { name: 'ks-one', clusterId: D.clusterId, trustAnchor: ca });
            await attempt('same name, another password', { name: 'ks-one', clusterId: D.clusterId, trustAnchor: ca, password: 'Another-Passw0rd' });
            await attempt('same name, another cluster', { name: 'ks-one', clusterId: D.unrelatedClusterId, trustAnchor: otherCa });
            await attempt('same cluster', { name: 'ks-two', clusterId: D.clusterId, trustAnchor: ca });
            await attempt('a related cluster', { name: 'ks-two', clusterId: D.relatedClusterId, trustAnchor: ca });
            await attempt('the wrong trust anchor', { name: 'ks-two', clusterId: D.unrelatedClusterId, trustAnchor: ca });
            await attempt('a missing cluster', { name: 'ks-two', clusterId: MISSING_CLUSTER, trustAnchor: ca });
            await attempt('a 6-character password', { name: 'ks-two', clusterId: D.unrelatedClusterId, trustAnchor: otherCa, password: 'Short1' });
            await w.addCluster({ id: extraCluster(0), lineage: 'L3', hsms: [{ az: `${D.region}a` }] });
            await attempt('a cluster with one HSM', { name: 'ks-two', clusterId: extraCluster(0), trustAnchor: await w.trustAnchorOf(extraCluster(0)) });
            await w.addCluster({ id: extraCluster(1), lineage: 'L4', hsms: [{ az: `${D.region}a` }, { az: `${D.region}a` }] });
            await attempt('a cluster with both HSMs in one zone', {
                name: 'ks-two',
                clusterId: extraCluster(1),
                trustAnchor: await w.trustAnchorOf(extraCluster(1)),
            });
            await w.addCluster({ id: extraCluster(2), lineage: 'L5' });
            await w.setCluster(extraCluster(2), { state: 'INITIALIZED' });
            await attempt('a cluster that is not active', { name: 'ks-two', clusterId: extraCluster(2), trustAnchor: await w.trustAnchorOf(extraCluster(2)) });
            // the trust anchor with other line endings is the same certificate
            const two = await attempt('the CA with CRLF line endings', {
                name: 'ks-two',
                clusterId: D.unrelatedClusterId,
                trustAnchor: otherCa.replace(/\n/g, '\r\n'),
            });
            if (two) await describe(w, t, two);
            await t.call('kms.listStores', () => kms.listStores());
        },
    },
    {
        name: "connect with kmsuser's password: CONNECTING, then CONNECTED",
        async run(w, t) {
            const { kms } = w.aws;
            await w.putKmsUser(D.clusterId, PW);
            const ca = await caOf(w, t);
            const id = await createStore(w, t, { name: 'ks-connect', trustAnchor: ca });
            await t.call('kms.connect', () => kms.connect(id));
            await describe(w, t, id, 'kms.describeStore (right after connect)');
            await w.waitSeconds(60);
            await describe(w, t, id, 'kms.describeStore (a minute later)');
            await t.call('kms.connect (while CONNECTING)', () => kms.connect(id));
            await w.waitSeconds(241);
            // listStores first: it shows the store's state as it is now, without a describe before it
            await t.call('kms.listStores (connect duration over)', () => kms.listStores());
            await describe(w, t, id, 'kms.describeStore (connect duration over)');
            await t.call('kms.connect (while CONNECTED)', () => kms.connect(id));
            await t.call('kms.createStore (identical to the create, now CONNECTED)', () =>
                kms.createStore({ name: 'ks-connect', clusterId: D.clusterId, trustAnchor: ca, password: PW }),
            );
        },
    },
    {
        name: 'connect with a wrong kmsuser password: FAILED INVALID_CREDENTIALS; repaired by a password update',
        async run(w, t) {
            const { kms } = w.aws;
            await w.putKmsUser(D.clusterId, 'Kmsuser-Other-Passw0rd');
            const id = await createStore(w, t, { name: 'ks-wrong', trustAnchor: await caOf(w, t) });
            await t.call('kms.connect', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (failed)');
            await t.call('kms.connect (while FAILED)', () => kms.connect(id));
            await t.call('kms.update name (while FAILED)', () => kms.update(id, { name: 'ks-wrong-renamed' }));
            await t.call('kms.update password (while FAILED)', () => kms.update(id, { password: 'Kmsuser-Other-Passw0rd' }));
            await t.call('kms.disconnect (while FAILED)', () => kms.disconnect(id));
            await describe(w, t, id, 'kms.describeStore (disconnecting)');
            await w.waitSeconds(11);
            await describe(w, t, id, 'kms.describeStore (disconnected)');
            await t.call('kms.update password', () => kms.update(id, { password: 'Kmsuser-Other-Passw0rd' }));
            await t.call('kms.connect again', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (connected)');
        },
    },
    {
        name: 'connect without kmsuser: FAILED USER_NOT_FOUND; kmsuser belongs to one cluster',
        async run(w, t) {
            const { kms } = w.aws;
            const id = await createStore(w, t, { name: 'ks-nouser', trustAnchor: await caOf(w, t) });
            await t.call('kms.connect', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (failed)');
            await disconnected(w, t, id);
            // kmsuser made in the related cluster only: the store's own cluster still has none
            await w.putKmsUser(D.relatedClusterId, PW);
            await t.call('kms.connect (kmsuser in the related cluster only)', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (still failed)');
            await disconnected(w, t, id);
            await t.call('kms.update: move to the related cluster', () => kms.update(id, { clusterId: D.relatedClusterId }));
            await t.call('kms.connect (on the related cluster)', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (connected on the related cluster)');
        },
    },
    {
        name: 'connect refused at once when the cluster is not active or has no active HSM; a deleted cluster fails later',
        async run(w, t) {
            const { kms, hsm } = w.aws;
            await w.putKmsUser(D.clusterId, PW);
            const id = await createStore(w, t, { name: 'ks-cluster', trustAnchor: await caOf(w, t) });
            await w.setCluster(D.clusterId, { state: 'UPDATE_IN_PROGRESS' });
            await t.call('hsm.describeCluster (updating)', () => hsm.describeCluster(D.clusterId));
            await t.call('kms.connect (cluster not active)', () => kms.connect(id));
            await describe(w, t, id);
            await w.setCluster(D.clusterId, { state: 'ACTIVE', hsms: [{ az: `${D.region}a`, state: 'DELETE_IN_PROGRESS' }] });
            await t.call('hsm.describeCluster (no active HSM)', () => hsm.describeCluster(D.clusterId));
            await t.call('kms.connect (no active HSM)', () => kms.connect(id));
            await describe(w, t, id);
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (later)');
            await w.setCluster(D.clusterId, { hsms: [{ az: `${D.region}a` }, { az: `${D.region}b` }] });
            await t.call('kms.connect (one HSM per zone again)', () => kms.connect(id));
            await w.deleteCluster(D.clusterId);
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (cluster deleted meanwhile)');
            await t.call('hsm.describeCluster (deleted)', () => hsm.describeCluster(D.clusterId));
        },
    },
    {
        name: 'disconnect: DISCONNECTING, then DISCONNECTED; invalid while disconnecting or disconnected',
        async run(w, t) {
            const { kms } = w.aws;
            const id = await connectedStore(w, t);
            await t.call('kms.disconnect', () => kms.disconnect(id));
            await describe(w, t, id, 'kms.describeStore (right after disconnect)');
            await t.call('kms.disconnect (while DISCONNECTING)', () => kms.disconnect(id));
            await t.call('kms.connect (while DISCONNECTING)', () => kms.connect(id));
            await t.call('kms.update name (while DISCONNECTING)', () => kms.update(id, { name: 'ks-moving' }));
            await t.call('kms.deleteStore (while DISCONNECTING)', () => kms.deleteStore(id));
            await w.waitSeconds(5);
            await t.call('kms.listStores (5 s later)', () => kms.listStores());
            await w.waitSeconds(6);
            await t.call('kms.listStores (disconnect duration over)', () => kms.listStores());
            await describe(w, t, id, 'kms.describeStore (disconnected)');
            await t.call('kms.disconnect (while DISCONNECTED)', () => kms.disconnect(id));
            // KMS rotated kmsuser's password when it connected: a second connect still works
            await t.call('kms.connect again', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (connected again)');
        },
    },
    {
        name: 'update while CONNECTED: rename only',
        async run(w, t) {
            const { kms } = w.aws;
            const id = await connectedStore(w, t);
            await createStore(w, t, { name: 'ks-other', clusterId: D.unrelatedClusterId, trustAnchor: await caOf(w, t, D.unrelatedCaSecretName) });
            await t.call('kms.update name', () => kms.update(id, { name: 'ks-renamed' }));
            await describe(w, t, id, 'kms.describeStore (renamed)');
            await t.call('kms.describeStoreByName (old name)', () => kms.describeStoreByName('ks-connected'));
            await t.call('kms.update name to its own name', () => kms.update(id, { name: 'ks-renamed' }));
            await t.call('kms.update name to a name in use', () => kms.update(id, { name: 'ks-other' }));
            await t.call('kms.update cluster', () => kms.update(id, { clusterId: D.relatedClusterId }));
            await t.call('kms.update password', () => kms.update(id, { password: 'New-Passw0rd-22' }));
            await t.call('kms.update name and password', () => kms.update(id, { name: 'ks-both', password: 'New-Passw0rd-22' }));
            await t.call('kms.update nothing', () => kms.update(id, {}));
            await describe(w, t, id, 'kms.describeStore (after the refused updates)');
        },
    },
    {
        name: 'rename while CONNECTED where KMS follows the older documentation: refused until DISCONNECTED',
        async run(w, t) {
            const { kms } = w.aws;
            await w.setRenameConnectedStore(false);
            const id = await connectedStore(w, t);
            await t.call('kms.update name (CONNECTED)', () => kms.update(id, { name: 'ks-renamed' }));
            await describe(w, t, id, 'kms.describeStore (not renamed)');
            await disconnected(w, t, id);
            await t.call('kms.update name (DISCONNECTED)', () => kms.update(id, { name: 'ks-renamed' }));
            await describe(w, t, id, 'kms.describeStore (renamed)');
        },
    },
    {
        name: 'update while DISCONNECTED: cluster moves within the backup lineage, checks on the target',
        async run(w, t) {
            const { kms } = w.aws;
            const id = await createStore(w, t, { name: 'ks-move', trustAnchor: await caOf(w, t) });
            await t.call('kms.update cluster: related', () => kms.update(id, { clusterId: D.relatedClusterId }));
            await describe(w, t, id, 'kms.describeStore (moved)');
            await t.call('kms.update cluster: unrelated', () => kms.update(id, { clusterId: D.unrelatedClusterId }));
            await t.call('kms.update cluster: missing', () => kms.update(id, { clusterId: MISSING_CLUSTER }));
            await t.call('kms.update password: 6 characters', () => kms.update(id, { password: 'Short1' }));
            await t.call('kms.update password: 33 characters', () => kms.update(id, { password: 'x'.repeat(33) }));
            await w.setCluster(D.clusterId, { state: 'UPDATE_IN_PROGRESS' });
            await t.call('kms.update cluster: back to a cluster that is not active', () => kms.update(id, { clusterId: D.clusterId }));
            await w.setCluster(D.clusterId, { state: 'ACTIVE', hsms: [{ az: `${D.region}a` }] });
            await t.call('kms.update cluster: back to a cluster with one HSM', () => kms.update(id, { clusterId: D.clusterId }));
            await w.setCluster(D.clusterId, { hsms: [{ az: `${D.region}a` }, { az: `${D.region}b` }] });
            await t.call('kms.update cluster and name: back', () => kms.update(id, { clusterId: D.clusterId, name: 'ks-back' }));
            await describe(w, t, id, 'kms.describeStore (back)');
        },
    },
    {
        name: 'delete: not while CONNECTED, not while it holds keys (pending deletion included); then gone',
        async run(w, t) {
            const { kms } = w.aws;
            const id = await connectedStore(w, t);
            await t.call('kms.deleteStore (CONNECTED)', () => kms.deleteStore(id));
            const key = await t.call('kms.createKey', () => kms.createKey({ storeId: id, description: 'held' }));
            await disconnected(w, t, id);
            await t.call('kms.deleteStore (holds a key)', () => kms.deleteStore(id));
            if (key) await t.call('kms.scheduleKeyDeletion', () => kms.scheduleKeyDeletion(key.id, 7));
            await t.call('kms.deleteStore (holds a key pending deletion)', () => kms.deleteStore(id));
            const other = await createStore(w, t, {
                name: 'ks-empty',
                clusterId: D.unrelatedClusterId,
                trustAnchor: await caOf(w, t, D.unrelatedCaSecretName),
            });
            await t.call('kms.deleteStore (empty, DISCONNECTED)', () => kms.deleteStore(other));
            await describe(w, t, other, 'kms.describeStore (deleted)');
            await t.call('kms.describeStoreByName (deleted)', () => kms.describeStoreByName('ks-empty'));
            await t.call('kms.deleteStore (again)', () => kms.deleteStore(other));
            // the name and the cluster are free again
            await createStore(
                w,
                t,
                { name: 'ks-empty', clusterId: D.unrelatedClusterId, trustAnchor: await caOf(w, t, D.unrelatedCaSecretName) },
                'kms.createStore (name and cluster reused)',
            );
        },
    },
    {
        name: 'list key stores in pages; the quota of key stores',
        async run(w, t) {
            const { kms } = w.aws;
            await createStore(w, t, { name: 'ks-1', trustAnchor: await caOf(w, t) });
            await createStore(w, t, { name: 'ks-2', clusterId: D.unrelatedClusterId, trustAnchor: await caOf(w, t, D.unrelatedCaSecretName) });
            for (let i = 0; i < 8; i++) {
                await w.addCluster({ id: extraCluster(i), lineage: `X${i}` });
                await createStore(w, t, { name: `ks-${i + 3}`, clusterId: extraCluster(i), trustAnchor: await w.trustAnchorOf(extraCluster(i)) });
            }
            const first = await t.call('kms.listStores (limit 4)', () => kms.listStores(undefined, 4));
            const second = first?.next ? await t.call('kms.listStores (page 2)', () => kms.listStores(first.next, 4)) : undefined;
            if (second?.next) await t.call('kms.listStores (page 3)', () => kms.listStores(second.next, 4));
            await t.call('kms.listStores (no limit)', async () => (await kms.listStores()).stores.map((s) => s.name));
            await t.call('kms.listStores (a marker KMS did not give)', () => kms.listStores('agreement-marker', 4));
            await w.addCluster({ id: extraCluster(8), lineage: 'X8' });
            const ca = await w.trustAnchorOf(extraCluster(8));
            await t.call('kms.createStore (an 11th)', () => kms.createStore({ name: 'ks-11', clusterId: extraCluster(8), trustAnchor: ca, password: PW }));
            await t.call('kms.createStore (an 11th, on a missing cluster)', () =>
                kms.createStore({ name: 'ks-11', clusterId: MISSING_CLUSTER, trustAnchor: ca, password: PW }),
            );
            await t.call('kms.createStore (an 11th, with a name in use)', () =>
                kms.createStore({ name: 'ks-1', clusterId: extraCluster(8), trustAnchor: ca, password: PW }),
            );
        },
    },
    {
        name: 'keys in a store: create, describe, the store of a key, Unavailable while disconnected, pending deletion',
        async run(w, t) {
            const { kms } = w.aws;
            const id = await connectedStore(w, t);
            const key = await t.call('kms.createKey', () => kms.createKey({ storeId: id, description: 'agreement key' }));
            if (!key) return;
            await t.call('kms.describeKey', () => kms.describeKey(key.id));
            await t.call('kms.describeKey (by ARN)', () => kms.describeKey(key.arn));
            await t.call('kms.keyStoreOfKey', () => kms.keyStoreOfKey(key.id));
            await t.call('kms.listKeys', () => kms.listKeys());
            const other = await createStore(w, t, {
                name: 'ks-other',
                clusterId: D.unrelatedClusterId,
                trustAnchor: await caOf(w, t, D.unrelatedCaSecretName),
            });
            await t.call('kms.createKey (DISCONNECTED store)', () => kms.createKey({ storeId: other }));
            await t.call('kms.disconnect', () => kms.disconnect(id));
            await t.call('kms.createKey (DISCONNECTING store)', () => kms.createKey({ storeId: id }));
            await w.waitSeconds(11);
            await t.call('kms.describeKey (store disconnected)', () => kms.describeKey(key.id));
            await t.call('kms.keyStoreOfKey (store disconnected)', () => kms.keyStoreOfKey(key.id));
            await t.call('kms.scheduleKeyDeletion (5 days)', () => kms.scheduleKeyDeletion(key.id, 5));
            await t.call('kms.scheduleKeyDeletion (31 days)', () => kms.scheduleKeyDeletion(key.id, 31));
            await t.call('kms.scheduleKeyDeletion (7 days)', () => kms.scheduleKeyDeletion(key.id, 7));
            await t.call('kms.scheduleKeyDeletion (again)', () => kms.scheduleKeyDeletion(key.id, 7));
            await t.call('kms.describeKey (pending deletion)', () => kms.describeKey(key.id));
            await t.call('kms.keyStoreOfKey (pending deletion)', () => kms.keyStoreOfKey(key.id));
        },
    },
    {
        name: 'list keys in pages; ordinary keys belong to no store',
        async run(w, t) {
            const { kms } = w.aws;
            await w.addKeys(undefined, 3);
            const id = await connectedStore(w, t);
            await t.call('kms.createKey', () => kms.createKey({ storeId: id }));
            await w.addKeys(id, 1);
            const first = await t.call('kms.listKeys (limit 2)', () => kms.listKeys(undefined, 2));
            const second = first?.next ? await t.call('kms.listKeys (page 2)', () => kms.listKeys(first.next, 2)) : undefined;
            if (second?.next) await t.call('kms.listKeys (page 3)', () => kms.listKeys(second.next, 2));
            const all = await t.call('kms.listKeys', () => kms.listKeys());
            for (const [i, keyId] of (all?.keyIds ?? []).entries()) {
                await t.call(`kms.keyStoreOfKey (key ${i + 1})`, () => kms.keyStoreOfKey(keyId));
                await t.call(`kms.describeKey (key ${i + 1})`, () => kms.describeKey(keyId));
            }
            await t.call('kms.listKeys (a marker KMS did not give)', () => kms.listKeys('agreement-marker', 2));
        },
    },
    {
        name: "DescribeKey is authorized by each key's policy: keys that keep the caller out are listed but not described",
        async run(w, t) {
            const { kms } = w.aws;
            const id = await connectedStore(w, t);
            const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
            const allow = (principal: unknown, action: string | string[]) => ({ Effect: 'Allow', Principal: principal, Action: action, Resource: '*' });
            const otherAccount = { AWS: 'arn:aws:iam::444455556666:root' };
            const account = { AWS: `arn:aws:iam::${D.accountId}:root` };
            // in the store: administered from another account only
            await w.addKeys(id, 1, policy([allow(otherAccount, 'kms:*')]));
            // outside any store: the account may use the key, not describe it; a service principal; an explicit deny
            await w.addKeys(undefined, 1, policy([allow(account, ['kms:Encrypt', 'kms:Decrypt'])]));
            await w.addKeys(undefined, 1, policy([allow({ Service: 'logs.amazonaws.com' }, 'kms:*')]));
            await w.addKeys(undefined, 1, policy([allow(account, 'kms:*'), { Effect: 'Deny', Principal: '*', Action: 'kms:Describe*', Resource: '*' }]));
            // let in: the account by id with a wildcard, a role of the account, everyone
            await w.addKeys(undefined, 1, policy([allow({ AWS: D.accountId }, 'kms:Describe*')]));
            await w.addKeys(undefined, 1, policy([allow({ AWS: `arn:aws:iam::${D.accountId}:role/KeyAdmin` }, 'kms:*')]));
            await w.addKeys(undefined, 1, policy([allow('*', 'kms:DescribeKey')]));
            // a Condition the simulator does not evaluate: taken not to apply
            await w.addKeys(undefined, 1, policy([{ ...allow(account, 'kms:*'), Condition: { StringEquals: { 'kms:CallerAccount': D.accountId } } }]));
            const all = await t.call('kms.listKeys', () => kms.listKeys());
            for (const [i, keyId] of (all?.keyIds ?? []).entries()) {
                await t.call(`kms.keyStoreOfKey (key ${i + 1})`, () => kms.keyStoreOfKey(keyId));
                await t.call(`kms.describeKey (key ${i + 1})`, () => kms.describeKey(keyId));
            }
            await disconnected(w, t, id);
            await t.call('kms.deleteStore (holds a key the caller cannot describe)', () => kms.deleteStore(id));
        },
    },
    {
        name: "a key's policy, description, enabled state and tags",
        async run(w, t) {
            const { kms } = w.aws;
            const id = await connectedStore(w, t);
            const a = await t.call('kms.createKey (policy, tags)', () =>
                kms.createKey({ storeId: id, description: 'd', policy: POLICY, tags: [{ key: 'team', value: 'payments' }] }),
            );
            const b = await t.call('kms.createKey (defaults)', () => kms.createKey({ storeId: id }));
            await t.call('kms.createKey (a policy with no statement)', () => kms.createKey({ storeId: id, policy: '{"Statement":[]}' }));
            await t.call('kms.createKey (an aws: tag)', () => kms.createKey({ storeId: id, tags: [{ key: 'aws:team', value: 'x' }] }));
            if (!a || !b) return;
            await t.call('kms.getKeyPolicy (given)', () => kms.getKeyPolicy(a.id));
            await t.call('kms.getKeyPolicy (default)', () => kms.getKeyPolicy(b.id));
            await t.call('kms.listResourceTags (given)', () => kms.listResourceTags(a.id));
            await t.call('kms.listResourceTags (none)', () => kms.listResourceTags(b.id));
            await t.call('kms.tagResource', () =>
                kms.tagResource(a.id, [
                    { key: 'env', value: 'prod' },
                    { key: 'team', value: 'risk' },
                ]),
            );
            await t.call('kms.listResourceTags (tagged)', () => kms.listResourceTags(a.id));
            await t.call('kms.untagResource', () => kms.untagResource(a.id, ['env', 'absent']));
            await t.call('kms.listResourceTags (untagged)', () => kms.listResourceTags(a.id));
            await t.call('kms.tagResource (aws: prefix)', () => kms.tagResource(a.id, [{ key: 'aws:x', value: 'y' }]));
            await t.call('kms.tagResource (a key twice)', () =>
                kms.tagResource(a.id, [
                    { key: 'k', value: '1' },
                    { key: 'k', value: '2' },
                ]),
            );
            await t.call('kms.updateKeyDescription', () => kms.updateKeyDescription(a.id, 'new description'));
            await t.call('kms.disableKey', () => kms.disableKey(a.id));
            await t.call('kms.describeKey (disabled)', () => kms.describeKey(a.id));
            await t.call('kms.enableKey', () => kms.enableKey(a.id));
            await t.call('kms.describeKey (enabled)', () => kms.describeKey(a.id));
            await t.call('kms.putKeyPolicy (not JSON)', () => kms.putKeyPolicy(a.id, 'not json'));
            await t.call('kms.putKeyPolicy (no statement)', () => kms.putKeyPolicy(a.id, '{"Statement":[]}'));
            const lockout = JSON.stringify({
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' }],
            });
            await t.call('kms.putKeyPolicy (locks the account out)', () => kms.putKeyPolicy(a.id, lockout));
            await t.call('kms.putKeyPolicy (locks out, bypassing the check)', () => kms.putKeyPolicy(a.id, lockout, true));
            await t.call('kms.getKeyPolicy (replaced)', () => kms.getKeyPolicy(a.id));
            await t.call('kms.putKeyPolicy', () => kms.putKeyPolicy(a.id, POLICY));
            await t.call('kms.disableKey (other key)', () => kms.disableKey(b.id));
            await disconnected(w, t, id);
            await t.call('kms.enableKey (store disconnected)', () => kms.enableKey(b.id));
            await t.call('kms.describeKey (store disconnected)', () => kms.describeKey(b.id));
            await t.call('kms.scheduleKeyDeletion', () => kms.scheduleKeyDeletion(a.id, 30));
            await t.call('kms.getKeyPolicy (pending deletion)', () => kms.getKeyPolicy(a.id));
            await t.call('kms.listResourceTags (pending deletion)', () => kms.listResourceTags(a.id));
            await t.call('kms.putKeyPolicy (pending deletion)', () => kms.putKeyPolicy(a.id, POLICY));
            await t.call('kms.updateKeyDescription (pending deletion)', () => kms.updateKeyDescription(a.id, 'x'));
            await t.call('kms.enableKey (pending deletion)', () => kms.enableKey(a.id));
            await t.call('kms.disableKey (pending deletion)', () => kms.disableKey(a.id));
            await t.call('kms.tagResource (pending deletion)', () => kms.tagResource(a.id, [{ key: 'x', value: 'y' }]));
            await t.call('kms.untagResource (pending deletion)', () => kms.untagResource(a.id, ['team']));
            await t.call('kms.getKeyPolicy (missing key)', () => kms.getKeyPolicy(MISSING_KEY));
            await t.call('kms.listResourceTags (missing key)', () => kms.listResourceTags(MISSING_KEY));
            await t.call('kms.enableKey (missing key)', () => kms.enableKey(MISSING_KEY));
        },
    },
    {
        name: 'secrets: create, identical retry, conflicts, describe, read',
        async run(w, t) {
            const { secrets } = w.aws;
            const name = 'agreement/bootstrap-1';
            const arn = await t.call('secrets.create', () => secrets.create({ name, value: 'Value-One-1', token: token(1), description: 'agreement secret' }));
            await t.call('secrets.describe (name)', () => secrets.describe(name));
            if (arn) await t.call('secrets.describe (ARN)', () => secrets.describe(arn));
            await t.call('secrets.getString (name)', () => secrets.getString(name));
            if (arn) await t.call('secrets.getString (ARN)', () => secrets.getString(arn));
            await t.call('secrets.create (identical retry)', () =>
                secrets.create({ name, value: 'Value-One-1', token: token(1), description: 'agreement secret' }),
            );
            await t.call('secrets.create (same token, another value)', () =>
                secrets.create({ name, value: 'Value-Two-2', token: token(1), description: 'agreement secret' }),
            );
            await t.call('secrets.create (another token)', () =>
                secrets.create({ name, value: 'Value-One-1', token: token(2), description: 'agreement secret' }),
            );
            await t.call('secrets.create (a 31-character token)', () =>
                secrets.create({ name: 'agreement/short-token', value: 'v', token: 'x'.repeat(31), description: '' }),
            );
            await t.call('secrets.create (a name with a space)', () =>
                secrets.create({ name: 'agreement/bad name', value: 'v', token: token(3), description: '' }),
            );
            await t.call('secrets.create (a second secret)', () =>
                secrets.create({ name: 'agreement/bootstrap-2', value: 'Value-Three-3', token: token(4), description: '' }),
            );
            await t.call('secrets.describe (second)', () => secrets.describe('agreement/bootstrap-2'));
            await t.call('secrets.getString (second)', () => secrets.getString('agreement/bootstrap-2'));
        },
    },
    {
        name: "secrets: a force-deleted secret's name stays taken for a while; a scheduled deletion keeps it",
        async run(w, t) {
            const { secrets } = w.aws;
            const name = 'agreement/bootstrap-del';
            await t.call('secrets.create', () => secrets.create({ name, value: 'Value-One-1', token: token(1), description: 'd' }));
            await t.call('secrets.forceDelete', () => secrets.forceDelete(name));
            await t.call('secrets.describe (just force-deleted)', () => secrets.describe(name));
            await t.call('secrets.getString (just force-deleted)', () => secrets.getString(name));
            await t.call('secrets.create (name just force-deleted)', () => secrets.create({ name, value: 'Value-Two-2', token: token(2), description: 'd' }));
            await t.call('secrets.forceDelete (again)', () => secrets.forceDelete(name));
            await t.call('secrets.scheduleDelete (force-deleted)', () => secrets.scheduleDelete(name, 7));
            await w.waitSeconds(10);
            await t.call('secrets.describe (10 s later)', () => secrets.describe(name));
            await t.call('secrets.create (10 s later)', () => secrets.create({ name, value: 'Value-Two-2', token: token(2), description: 'd' }));
            await t.call('secrets.getString (re-created)', () => secrets.getString(name));
            await t.call('secrets.scheduleDelete (3 days)', () => secrets.scheduleDelete(name, 3));
            await t.call('secrets.scheduleDelete (7 days)', () => secrets.scheduleDelete(name, 7));
            await t.call('secrets.describe (scheduled)', () => secrets.describe(name));
            await t.call('secrets.getString (scheduled)', () => secrets.getString(name));
            await t.call('secrets.create (name scheduled for deletion)', () =>
                secrets.create({ name, value: 'Value-Two-2', token: token(2), description: 'd' }),
            );
            await t.call('secrets.scheduleDelete (again)', () => secrets.scheduleDelete(name, 7));
            await w.waitSeconds(3600);
            await t.call('secrets.describe (an hour later)', () => secrets.describe(name));
            await t.call('secrets.forceDelete (scheduled)', () => secrets.forceDelete(name));
            await w.waitSeconds(10);
            await t.call('secrets.describe (force-deleted 10 s ago)', () => secrets.describe(name));
        },
    },
    {
        name: 'Parameter Store: put, overwrite, get, delete; constraints',
        async run(w, t) {
            const { ssm } = w.aws;
            const name = '/agreement/key-stores/record';
            await t.call('ssm.getParameter (none)', () => ssm.getParameter(name));
            await t.call('ssm.putParameter', () => ssm.putParameter(name, '{"v":1}', 'agreement record'));
            await t.call('ssm.getParameter', () => ssm.getParameter(name));
            await t.call('ssm.putParameter (overwrite)', () => ssm.putParameter(name, '{"v":2}', 'agreement record'));
            await t.call('ssm.getParameter (overwritten)', () => ssm.getParameter(name));
            await t.call('ssm.deleteParameter', () => ssm.deleteParameter(name));
            await t.call('ssm.getParameter (deleted)', () => ssm.getParameter(name));
            await t.call('ssm.deleteParameter (again)', () => ssm.deleteParameter(name));
            await t.call('ssm.putParameter (4096 characters)', () => ssm.putParameter('/agreement/big', 'x'.repeat(4096), ''));
            await t.call('ssm.getParameter (4096 characters)', async () => (await ssm.getParameter('/agreement/big'))?.length);
            await t.call('ssm.putParameter (4097 characters)', () => ssm.putParameter('/agreement/big', 'x'.repeat(4097), ''));
            await t.call('ssm.putParameter (empty value)', () => ssm.putParameter('/agreement/empty', '', ''));
            await t.call('ssm.putParameter (name starting with aws)', () => ssm.putParameter('/aws/agreement', 'v', ''));
            await t.call('ssm.putParameter (relative path)', () => ssm.putParameter('agreement/relative', 'v', ''));
            await t.call('ssm.putParameter (plain name)', () => ssm.putParameter('agreement-plain', 'v', ''));
            await t.call('ssm.getParameter (plain name)', () => ssm.getParameter('agreement-plain'));
        },
    },
    {
        name: 'Run Command: invisible right after SendCommand, then InProgress, then the result',
        async run(w, t) {
            const { ssm } = w.aws;
            const comment = 'agreement check';
            const id = await t.call('ssm.sendShellScript', () =>
                ssm.sendShellScript({ instanceId: D.instanceId, commands: kmsUserScript('check'), comment, timeoutSeconds: 600 }),
            );
            if (!id) return;
            await t.call('ssm.getInvocation (right after)', () => ssm.getInvocation(id, D.instanceId));
            await w.waitSeconds(1);
            await t.call('ssm.getInvocation (1 s)', () => ssm.getInvocation(id, D.instanceId));
            await w.waitSeconds(2);
            await t.call('ssm.getInvocation (3 s)', () => ssm.getInvocation(id, D.instanceId));
            await t.call('ssm.getInvocation (another instance)', () => ssm.getInvocation(id, D.relatedInstanceId));
            await t.call('ssm.findCommandByComment', () => ssm.findCommandByComment(D.instanceId, comment));
            await t.call('ssm.findCommandByComment (another instance)', () => ssm.findCommandByComment(D.relatedInstanceId, comment));
            await w.waitSeconds(60);
            await recordResult(w, t, 'ssm.getInvocation (a minute later)', id, D.instanceId);
            const again = await t.call('ssm.sendShellScript (same comment)', () =>
                ssm.sendShellScript({ instanceId: D.instanceId, commands: kmsUserScript('check'), comment, timeoutSeconds: 600 }),
            );
            const found = await ssm.findCommandByComment(D.instanceId, comment);
            t.note('ssm.findCommandByComment finds the newest', found === again);
            await t.call('ssm.sendShellScript (101-character comment)', () =>
                ssm.sendShellScript({ instanceId: D.instanceId, commands: ['true'], comment: 'c'.repeat(101), timeoutSeconds: 600 }),
            );
            await t.call('ssm.sendShellScript (timeout 29 s)', () =>
                ssm.sendShellScript({ instanceId: D.instanceId, commands: ['true'], comment: 'agreement', timeoutSeconds: 29 }),
            );
        },
    },
    {
        name: 'kmsuser by Run Command: create, connect with its password, exists, adopt, delete only while disconnected',
        async run(w, t) {
            const { kms, secrets } = w.aws;
            const boot = 'agreement/kmsuser-bootstrap';
            const value = 'Kmsuser-Bootstrap-Passw0rd';
            await t.call('secrets.create (bootstrap)', () => secrets.create({ name: boot, value, token: token(1), description: 'kmsuser bootstrap' }));
            await runScript(w, t, 'check (no kmsuser)', kmsUserScript('check'));
            await runScript(w, t, 'delete (no kmsuser)', kmsUserScript('delete'));
            await runScript(w, t, 'create', kmsUserScript('create', { bootstrapSecretId: boot }));
            await runScript(w, t, 'check (kmsuser exists)', kmsUserScript('check'));
            await runScript(w, t, 'check (kmsuser exists, adopt)', kmsUserScript('check', { adopt: true }));
            await runScript(w, t, 'create (kmsuser exists)', kmsUserScript('create', { bootstrapSecretId: boot }));
            await runScript(w, t, 'create (kmsuser exists, adopt)', kmsUserScript('create', { adopt: true, bootstrapSecretId: boot }));
            const id = await createStore(w, t, { name: 'ks-kmsuser', trustAnchor: await caOf(w, t), password: value });
            await t.call('kms.connect', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (connected)');
            await runScript(w, t, 'reset (KMS logged in)', kmsUserScript('reset', { bootstrapSecretId: boot }));
            await runScript(w, t, 'delete (KMS logged in)', kmsUserScript('delete'));
            await disconnected(w, t, id);
            await runScript(w, t, 'reset', kmsUserScript('reset', { bootstrapSecretId: boot }));
            await runScript(w, t, 'delete', kmsUserScript('delete'));
            await runScript(w, t, 'delete (again)', kmsUserScript('delete'));
            await runScript(w, t, 'reset (no kmsuser)', kmsUserScript('reset', { bootstrapSecretId: boot }));
            await t.call('secrets.forceDelete (bootstrap)', () => secrets.forceDelete(boot));
            await w.waitSeconds(10);
            await runScript(w, t, 'create (bootstrap secret gone)', kmsUserScript('create', { adopt: true, bootstrapSecretId: boot }));
        },
    },
    {
        name: 'five connects with a wrong password lock kmsuser out; a password reset by Run Command unlocks it',
        async run(w, t) {
            const { kms, secrets } = w.aws;
            const boot = 'agreement/kmsuser-bootstrap';
            const value = 'Kmsuser-Bootstrap-Passw0rd';
            await t.call('secrets.create (bootstrap)', () => secrets.create({ name: boot, value, token: token(1), description: 'kmsuser bootstrap' }));
            await runScript(w, t, 'create', kmsUserScript('create', { bootstrapSecretId: boot }));
            const id = await createStore(w, t, { name: 'ks-lockout', trustAnchor: await caOf(w, t), password: 'Wrong-Passw0rd-1' });
            const attempt = async (n: string) => {
                await t.call(`kms.connect (${n})`, () => kms.connect(id));
                await w.waitSeconds(301);
                await describe(w, t, id, `kms.describeStore (${n})`);
                await t.call(`kms.disconnect (${n})`, () => kms.disconnect(id));
                await w.waitSeconds(11);
            };
            for (let i = 1; i <= 6; i++) await attempt(`attempt ${i}`);
            await t.call('kms.update password (the right one)', () => kms.update(id, { password: value }));
            await attempt('right password, locked out');
            await runScript(w, t, 'reset', kmsUserScript('reset', { bootstrapSecretId: boot }));
            await t.call('kms.connect (after the reset)', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (after the reset)');
        },
    },
    {
        name: 'Run Command acts on the cluster the instance is configured for',
        async run(w, t) {
            const { secrets } = w.aws;
            const boot = 'agreement/kmsuser-bootstrap';
            await t.call('secrets.create (bootstrap)', () =>
                secrets.create({ name: boot, value: 'Kmsuser-Bootstrap-Passw0rd', token: token(1), description: 'kmsuser bootstrap' }),
            );
            // K_CLUSTER names the default cluster, but the instance's cloudhsm-cli is configured for the related one
            await runScript(w, t, 'create on the related instance', kmsUserScript('create', { bootstrapSecretId: boot }), D.relatedInstanceId);
            await runScript(w, t, 'check on the default instance', kmsUserScript('check'), D.instanceId);
            await runScript(w, t, 'check on the related instance', kmsUserScript('check', { clusterId: D.relatedClusterId }), D.relatedInstanceId);
        },
    },
    {
        name: 'Run Command: an offline instance gets the command when it comes back, or the delivery times out',
        async run(w, t) {
            const { ssm } = w.aws;
            await t.call('ssm.pingStatus', () => ssm.pingStatus(D.offlineInstanceId));
            const lost = await t.call('ssm.sendShellScript (30 s timeout)', () =>
                ssm.sendShellScript({ instanceId: D.offlineInstanceId, commands: kmsUserScript('check'), comment: 'agreement lost', timeoutSeconds: 30 }),
            );
            const back = await t.call('ssm.sendShellScript (600 s timeout)', () =>
                ssm.sendShellScript({ instanceId: D.offlineInstanceId, commands: kmsUserScript('check'), comment: 'agreement back', timeoutSeconds: 600 }),
            );
            if (!lost || !back) return;
            await t.call('ssm.getInvocation (right after)', () => ssm.getInvocation(lost, D.offlineInstanceId));
            await w.waitSeconds(10);
            await t.call('ssm.getInvocation (10 s)', () => ssm.getInvocation(lost, D.offlineInstanceId));
            await w.waitSeconds(50);
            await t.call('ssm.getInvocation (a minute)', () => ssm.getInvocation(lost, D.offlineInstanceId));
            await t.call('ssm.getInvocation (other command, a minute)', () => ssm.getInvocation(back, D.offlineInstanceId));
            await w.setPing(D.offlineInstanceId, 'Online');
            await t.call('ssm.pingStatus (back online)', () => ssm.pingStatus(D.offlineInstanceId));
            await w.waitSeconds(60);
            await recordResult(w, t, 'ssm.getInvocation (other command, online for a minute)', back, D.offlineInstanceId);
            await recordResult(w, t, 'ssm.getInvocation (timed out one, later)', lost, D.offlineInstanceId);
        },
    },
    {
        name: 'Run Command: an instance without cloudhsm-cli',
        async run(w, t) {
            await runScript(w, t, 'check', kmsUserScript('check'), D.noCliInstanceId);
        },
    },
    {
        name: "the cluster's network: its security group and subnets, and what KMS makes of a broken one",
        async run(w, t) {
            const { kms, hsm, ec2 } = w.aws;
            const cluster = await t.call('hsm.describeCluster', () => hsm.describeCluster(D.clusterId));
            const sg = cluster?.securityGroup;
            const [a, b] = Object.keys(cluster?.subnetMapping ?? {})
                .sort()
                .map((zone) => cluster!.subnetMapping![zone]);
            if (!sg || !a || !b) throw new Error(`no security group or subnets on ${w.backend}`);
            await t.call('ec2.describeSecurityGroup', () => ec2.describeSecurityGroup(sg));
            await t.call('ec2.describeSecurityGroup (no such group)', () => ec2.describeSecurityGroup('sg-00000000000000000'));
            await t.call('ec2.describeSubnets (and one that does not exist)', () => ec2.describeSubnets([a, b, 'subnet-00000000000000000']));
            // a connected store holds an address in each subnet
            const id = await connectedStore(w, t, 'ks-network');
            await t.call('ec2.describeSubnets (connected)', () => ec2.describeSubnets([a, b]));
            await disconnected(w, t, id);
            const failedConnect = async (what: string) => {
                await t.call(`kms.connect (${what})`, () => kms.connect(id));
                await w.waitSeconds(301);
                await describe(w, t, id, `kms.describeStore (${what})`);
                await t.call(`kms.disconnect (${what})`, () => kms.disconnect(id));
                await w.waitSeconds(11);
            };
            const rule = { protocol: 'tcp', fromPort: 2223, toPort: 2225, groupIds: [sg] };
            await w.setSecurityGroupRules(sg, 'inbound', []);
            await t.call('ec2.describeSecurityGroup (no inbound rule)', () => ec2.describeSecurityGroup(sg));
            await failedConnect('no inbound rule');
            await w.setSecurityGroupRules(sg, 'inbound', [rule]);
            await w.setFreeAddresses(a, 0);
            await t.call('ec2.describeSubnets (a full subnet)', () => ec2.describeSubnets([a, b]));
            await failedConnect('a full subnet');
            await w.setFreeAddresses(a, 3);
            await w.deleteSubnet(b);
            await t.call('ec2.describeSubnets (a deleted subnet)', () => ec2.describeSubnets([a, b]));
            await failedConnect('a deleted subnet');
            await t.call('kms.deleteStore', () => kms.deleteStore(id));
            // CreateCustomKeyStore refuses a cluster whose security group lacks the outbound rule
            const other = await t.call('hsm.describeCluster (unrelated)', () => hsm.describeCluster(D.unrelatedClusterId));
            if (!other?.securityGroup) throw new Error(`no security group on ${w.backend}`);
            await w.setSecurityGroupRules(other.securityGroup, 'outbound', [{ ...rule, groupIds: ['sg-00000000000000000'] }]);
            const otherCa = await caOf(w, t, D.unrelatedCaSecretName);
            await t.call('kms.createStore (no outbound rule)', () =>
                kms.createStore({ name: 'ks-no-outbound', clusterId: D.unrelatedClusterId, trustAnchor: otherCa, password: PW }),
            );
        },
    },
    {
        name: 'eventual consistency: describes show the store as it was for a few seconds after connect, disconnect or update',
        async run(w, t) {
            const { kms } = w.aws;
            await w.putKmsUser(D.clusterId, PW);
            const id = await createStore(w, t, { name: 'ks-lag', trustAnchor: await caOf(w, t) });
            await t.call('kms.connect', () => kms.connect(id));
            await describe(w, t, id, 'kms.describeStore (right after connect)');
            await t.call('kms.listStores (right after connect)', () => kms.listStores());
            await w.waitSeconds(6);
            await describe(w, t, id, 'kms.describeStore (6 s after connect)');
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (connected)');
            await t.call('kms.update name (connected)', () => kms.update(id, { name: 'ks-lag-renamed' }));
            await describe(w, t, id, 'kms.describeStore (right after the rename)');
            await t.call('kms.describeStoreByName (new name, right after)', () => kms.describeStoreByName('ks-lag-renamed'));
            await t.call('kms.describeStoreByName (old name, right after)', () => kms.describeStoreByName('ks-lag'));
            await t.call('kms.disconnect', () => kms.disconnect(id));
            await describe(w, t, id, 'kms.describeStore (right after disconnect)');
            await w.waitSeconds(6);
            await describe(w, t, id, 'kms.describeStore (6 s after disconnect)');
            await w.waitSeconds(6);
            await describe(w, t, id, 'kms.describeStore (disconnected)');
        },
    },
    {
        name: 'eventual consistency: a connect right after a password update still uses the old password; a few seconds later, the new one',
        async run(w, t) {
            const { kms } = w.aws;
            await w.putKmsUser(D.clusterId, 'Kmsuser-New-Passw0rd');
            const id = await createStore(w, t, { name: 'ks-update-lag', trustAnchor: await caOf(w, t) });
            await t.call('kms.update password', () => kms.update(id, { password: 'Kmsuser-New-Passw0rd' }));
            await t.call('kms.connect (right after the update)', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (failed)');
            await disconnected(w, t, id);
            await t.call('kms.update password (again)', () => kms.update(id, { password: 'Kmsuser-New-Passw0rd' }));
            await t.call('kms.update password (the same again, right after)', () => kms.update(id, { password: 'Kmsuser-New-Passw0rd' }));
            await w.waitSeconds(10);
            await t.call('kms.connect (10 s after)', () => kms.connect(id));
            await w.waitSeconds(301);
            await describe(w, t, id, 'kms.describeStore (connected)');
        },
    },
    {
        name: 'any update needs two active HSMs in different Availability Zones, a new name or password too',
        async run(w, t) {
            const { kms } = w.aws;
            const id = await createStore(w, t, { name: 'ks-degraded', trustAnchor: await caOf(w, t) });
            await w.setCluster(D.clusterId, { hsms: [{ az: `${D.region}a` }] });
            await t.call('kms.update password (one HSM)', () => kms.update(id, { password: 'Another-Passw0rd' }));
            await t.call('kms.update name (one HSM)', () => kms.update(id, { name: 'ks-degraded-renamed' }));
            await t.call('kms.update nothing (one HSM)', () => kms.update(id, {}));
            await describe(w, t, id, 'kms.describeStore (unchanged)');
            await w.setCluster(D.clusterId, { hsms: [{ az: `${D.region}a` }, { az: `${D.region}a` }] });
            await t.call('kms.update password (two HSMs, one zone)', () => kms.update(id, { password: 'Another-Passw0rd' }));
            await w.setCluster(D.clusterId, { hsms: [{ az: `${D.region}a` }, { az: `${D.region}b` }] });
            await t.call('kms.update password (two zones)', () => kms.update(id, { password: 'Another-Passw0rd' }));
            await t.call('kms.update name (two zones)', () => kms.update(id, { name: 'ks-degraded-renamed' }));
        },
    },
    {
        name: 'kmsuser with MFA, or on some HSMs only: the check, the adoption and a reset leave it alone; a connect fails',
        async run(w, t) {
            const { kms, secrets } = w.aws;
            const boot = 'agreement/kmsuser-bootstrap';
            await t.call('secrets.create (bootstrap)', () => secrets.create({ name: boot, value: PW, token: token(1), description: 'kmsuser bootstrap' }));
            const id = await createStore(w, t, { name: 'ks-unusable', trustAnchor: await caOf(w, t) });
            for (const [what, opts] of [
                ['MFA', { mfa: true }],
                ['on some HSMs', { coverage: 'inconsistent' }],
            ] as const) {
                await w.putKmsUser(D.clusterId, PW, opts);
                await runScript(w, t, `check, adopt (${what})`, kmsUserScript('check', { adopt: true }));
                await runScript(w, t, `create, adopt (${what})`, kmsUserScript('create', { adopt: true, bootstrapSecretId: boot }));
                await runScript(w, t, `reset (${what})`, kmsUserScript('reset', { bootstrapSecretId: boot }));
                await runScript(w, t, `create (${what})`, kmsUserScript('create', { bootstrapSecretId: boot }));
                await t.call(`kms.connect (${what})`, () => kms.connect(id));
                await w.waitSeconds(301);
                await describe(w, t, id, `kms.describeStore (${what})`);
                await disconnected(w, t, id);
            }
            await w.putKmsUser(D.clusterId, PW);
            await runScript(w, t, 'check, adopt (usable)', kmsUserScript('check', { adopt: true }));
        },
    },
];
