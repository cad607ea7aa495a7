/**
 * KMS (TrentService): AWS_CLOUDHSM custom key stores with the real connection state
 * machine, and just enough of keys (CreateKey/ListKeys/DescribeKey/ScheduleKeyDeletion)
 * to answer "does this key store hold keys?".
 */
import { randomUUID } from 'node:crypto';
import { samePem } from '../cert';
import type { Sim } from '../sim';
import { ALNUM, Cluster, KeyStore, KmsKey, randomFrom, randomHex } from '../state';
import { AwsError, decodeToken, encodeToken, Json, page, Validator } from '../wire';
import { related, validForKeyStore } from './cloudhsm';
import { connectNetworkFailure, networkConfigurationError } from './ec2';
import { keyPolicyDecision } from './key-policy';

type Handler = (sim: Sim, body: Json) => Json;

const CLUSTER_ID = { pattern: /^cluster-[2-7a-zA-Z]{11,16}$/, patternText: 'cluster-[2-7a-zA-Z]{11,16}', min: 19, max: 24 };
const STORE_ID = { min: 1, max: 64 };
const MARKER = { min: 1, max: 1024, pattern: /^[\u0020-\u00FF]*$/, patternText: '[\\u0020-\\u00FF]*' };

const notFound = () => new AwsError('CustomKeyStoreNotFoundException', 'KMS cannot find a custom key store with the specified key store name or ID.');
const invalidState = (op: string, s: KeyStore) =>
    new AwsError('CustomKeyStoreInvalidStateException', `${op} is not valid for custom key store ${s.id} while its ConnectionState is ${s.state}.`);

function getStore(sim: Sim, id: string | undefined): KeyStore {
    const s = id === undefined ? undefined : sim.world.stores.get(id);
    if (!s) throw notFound();
    return s;
}

/** The checks KMS makes on a cluster for CreateCustomKeyStore / UpdateCustomKeyStore(CloudHsmClusterId). */
function checkCluster(sim: Sim, clusterId: string): Cluster {
    const c = sim.world.clusters.get(clusterId);
    if (!c || c.state === 'DELETED')
        throw new AwsError('CloudHsmClusterNotFoundException', `KMS cannot find the AWS CloudHSM cluster with the specified cluster ID: ${clusterId}.`);
    if (c.state !== 'ACTIVE')
        throw new AwsError(
            'CloudHsmClusterNotActiveException',
            `The AWS CloudHSM cluster ${clusterId} is not active (state ${c.state}). Initialize and activate it, then try again.`,
        );
    if (!validForKeyStore(c))
        throw new AwsError(
            'CloudHsmClusterInvalidConfigurationException',
            `The AWS CloudHSM cluster ${clusterId} must contain at least two active HSMs, each in a different Availability Zone.`,
        );
    const network = networkConfigurationError(sim, c);
    if (network) throw new AwsError('CloudHsmClusterInvalidConfigurationException', network);
    return c;
}

/**
 * KMS is eventually consistent: "The AWS KMS API follows an eventual consistency model ... typically less than a few
 * seconds ... in some cases it can take several minutes. You might get unexpected errors, such as ... invalid state"
 * (KMS developer guide, eventual consistency). So a change by Connect, Disconnect or UpdateCustomKeyStore shows in
 * DescribeCustomKeyStores only `kmsStaleSeconds` later (assumed figure; 0 turns it off): until then it answers the
 * store as it was before the first change of the burst. Timed transitions (a connect ending CONNECTED or FAILED, a
 * disconnect ending DISCONNECTED) show at once, and writes (and their state checks) always see the store as it is.
 */
function beforeChange(sim: Sim, s: KeyStore): void {
    const window = sim.config.kmsStaleSeconds * 1000;
    if (!(window > 0)) return;
    const now = sim.now();
    if (!s.stale || now >= s.stale.until)
        s.stale = { name: s.name, clusterId: s.clusterId, state: s.state, errorCode: s.errorCode, password: s.password, until: now };
    s.stale.until = now + window;
}

/** The store as DescribeCustomKeyStores shows it now: the stale view inside its window, else as it is. */
function shown(sim: Sim, s: KeyStore): KeyStore {
    if (!s.stale || sim.now() >= s.stale.until) return s;
    const { name, clusterId, state, errorCode } = s.stale;
    return { ...s, name, clusterId, state, errorCode };
}

function entry(sim: Sim, s: KeyStore): Json {
    return {
        CustomKeyStoreId: s.id,
        CustomKeyStoreName: s.name,
        CloudHsmClusterId: s.clusterId,
        TrustAnchorCertificate: s.trustAnchor,
        ConnectionState: s.state,
        ...(s.state === 'FAILED' && s.errorCode ? { ConnectionErrorCode: s.errorCode } : {}),
        CreationDate: sim.epoch(s.createdAt),
        CustomKeyStoreType: 'AWS_CLOUDHSM',
    };
}

const CreateCustomKeyStore: Handler = (sim, body) => {
    const v = new Validator(body);
    const name = v.str('CustomKeyStoreName', { required: true, min: 1, max: 256 });
    const type = v.str('CustomKeyStoreType', { enum: ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] }) ?? 'AWS_CLOUDHSM';
    const cloudHsm = type === 'AWS_CLOUDHSM';
    const clusterId = v.str('CloudHsmClusterId', { required: cloudHsm, ...CLUSTER_ID });
    const anchor = v.str('TrustAnchorCertificate', { required: cloudHsm, min: 1, max: 5000 });
    const password = v.str('KeyStorePassword', { required: cloudHsm, min: 7, max: 32, sensitive: true });
    v.done();
    if (!cloudHsm) throw new AwsError('UnsupportedOperationException', 'This simulator supports only AWS_CLOUDHSM custom key stores.');
    const w = sim.world;
    const stores = [...w.stores.values()];
    const retry = stores.find(
        (s) => s.name === name && s.clusterId === clusterId && s.trustAnchor === anchor && s.password === password && s.state === 'DISCONNECTED',
    );
    if (retry) return { CustomKeyStoreId: retry.id };
    if (stores.some((s) => s.name === name))
        throw new AwsError('CustomKeyStoreNameInUseException', `The custom key store name ${name} is already in use in this AWS account and Region.`);
    if (stores.length >= sim.config.maxKeyStores)
        throw new AwsError(
            'LimitExceededException',
            `You have reached the maximum of ${sim.config.maxKeyStores} custom key stores in this account and Region.`,
        );
    const cluster = w.clusters.get(clusterId!);
    if (cluster && stores.some((s) => s.clusterId === clusterId || related(w.clusters.get(s.clusterId), cluster)))
        throw new AwsError(
            'CloudHsmClusterInUseException',
            `The AWS CloudHSM cluster ${clusterId}, or a cluster that shares its backup history, is already associated with a custom key store.`,
        );
    const c = checkCluster(sim, clusterId!);
    if (!samePem(anchor!, c.caPem))
        throw new AwsError(
            'IncorrectTrustAnchorException',
            `The trust anchor certificate does not match the trust anchor certificate of AWS CloudHSM cluster ${clusterId}.`,
        );
    const store: KeyStore = {
        id: `cks-${randomHex(17)}`,
        name: name!,
        clusterId: clusterId!,
        trustAnchor: anchor!,
        password: password!,
        state: 'DISCONNECTED',
        createdAt: sim.now(),
        seq: ++w.seq,
        opGen: 0,
    };
    w.stores.set(store.id, store);
    return { CustomKeyStoreId: store.id };
};

const DescribeCustomKeyStores: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('CustomKeyStoreId', STORE_ID);
    const name = v.str('CustomKeyStoreName', { min: 1, max: 256 });
    const limit = v.int('Limit', { min: 1, max: 1000 }) ?? sim.config.describeStoresPageSize;
    const marker = v.str('Marker', MARKER);
    v.done();
    let stores = [...sim.world.stores.values()].sort((a, b) => a.seq - b.seq).map((s) => shown(sim, s));
    if (id !== undefined || name !== undefined) {
        stores = stores.filter((s) => (id === undefined || s.id === id) && (name === undefined || s.name === name));
        if (stores.length === 0) throw notFound();
    }
    const start = decodeToken(
        marker,
        'InvalidMarkerException',
        'The request was rejected because the marker that specifies where pagination should next begin is not valid.',
    );
    const p = page(stores, start, limit);
    return {
        CustomKeyStores: p.items.map((s) => entry(sim, s)),
        ...(p.next !== undefined ? { NextMarker: encodeToken(p.next) } : {}),
        Truncated: p.next !== undefined,
    };
};

/** After the connect duration: what KMS finds when it logs in to the cluster as kmsuser. */
async function finishConnect(sim: Sim, store: KeyStore, gen: number): Promise<void> {
    await sim.clusterLock
        .run(store.clusterId, () => {
            if (sim.world.stores.get(store.id) !== store || store.opGen !== gen || store.state !== 'CONNECTING') return;
            const fail = (code: string) => {
                store.state = 'FAILED';
                store.errorCode = code;
            };
            const injected = sim.faults.takeConnectFailure(store.id);
            if (injected) return fail(injected);
            const c = sim.world.clusters.get(store.clusterId);
            if (!c || c.state === 'DELETED') return fail('CLUSTER_NOT_FOUND');
            if (c.state !== 'ACTIVE' || !c.hsms.some((h) => h.state === 'ACTIVE')) return fail('INSUFFICIENT_CLOUDHSM_HSMS');
            // KMS reaches the HSMs through the cluster's subnets and security group before it logs in (services/ec2.ts)
            const network = connectNetworkFailure(sim, c);
            if (network) return fail(network);
            const user = c.users.find((u) => u.username.toLowerCase() === 'kmsuser' && u.role === 'crypto-user');
            if (!user) return fail('USER_NOT_FOUND');
            // A kmsuser on a subset of the HSMs ("cluster-coverage" not "full", CloudHSM user guide, "Client SDK 5 user
            // contains inconsistent values") is not found where KMS logs in: USER_NOT_FOUND, as aws-samples'
            // aws-cloudhsm-cloudformation-template issue 12 reports.
            if ((user.clusterCoverage ?? 'full') !== 'full') return fail('USER_NOT_FOUND');
            // "Do not specify the 2FA option when you create the kmsuser CU. If you do, AWS KMS cannot log in" (KMS developer
            // guide): KMS logs in with the password alone. The ConnectionErrorCode it then shows is not documented:
            // INVALID_CREDENTIALS is assumed (the login is refused; it does not count toward the lockout here).
            if (user.mfa?.length) return fail('INVALID_CREDENTIALS');
            if (user.locked) return fail('USER_LOCKED_OUT');
            if (user.loggedIn) return fail('USER_LOGGED_IN');
            if (user.password !== (store.connectPassword ?? store.password)) {
                user.failedLogins = (user.failedLogins ?? 0) + 1;
                if (user.failedLogins >= 5) user.locked = true;
                return fail('INVALID_CREDENTIALS');
            }
            // KMS logs in and rotates kmsuser's password to a value only it knows.
            const rotated = randomFrom(ALNUM, 32);
            user.password = rotated;
            user.failedLogins = 0;
            user.loggedIn = true;
            store.password = rotated;
            store.loggedInCluster = c.id;
            store.state = 'CONNECTED';
            delete store.errorCode;
        })
        .finally(() => {
            if (store.opGen === gen) delete store.connectPassword;
        });
}

/**
 * The errors Connect returns at once, leaving the store DISCONNECTED (modelled errors of ConnectCustomKeyStore in the
 * KMS API reference; the dev guide's "some configuration errors fail quickly"): a cluster that is not ACTIVE, or one
 * without an active HSM ("For the ConnectCustomKeyStore operation, the CloudHSM must contain at least one active
 * HSM"). A missing cluster is not among Connect's errors, so it still shows up as FAILED/CLUSTER_NOT_FOUND.
 */
function quickConnectCheck(sim: Sim, s: KeyStore): void {
    const c = sim.world.clusters.get(s.clusterId);
    if (!c || c.state === 'DELETED') return;
    if (c.state !== 'ACTIVE')
        throw new AwsError(
            'CloudHsmClusterNotActiveException',
            `The AWS CloudHSM cluster ${c.id} that is associated with custom key store ${s.id} is not active (state ${c.state}). Initialize and activate the cluster and try the command again.`,
        );
    if (!c.hsms.some((h) => h.state === 'ACTIVE'))
        throw new AwsError(
            'CloudHsmClusterInvalidConfigurationException',
            `The AWS CloudHSM cluster ${c.id} that is associated with custom key store ${s.id} does not contain an active HSM. Add an HSM to the cluster and try the command again.`,
        );
}

const ConnectCustomKeyStore: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('CustomKeyStoreId', { required: true, ...STORE_ID });
    v.done();
    const s = getStore(sim, id);
    if (s.state === 'DISCONNECTING' || s.state === 'FAILED') throw invalidState('ConnectCustomKeyStore', s);
    if (s.state === 'CONNECTED' || s.state === 'CONNECTING') return {};
    quickConnectCheck(sim, s);
    // Asked for inside the window after an UpdateCustomKeyStore, the connect logs in with the password from before it
    // (assumed, see beforeChange): the handler waits a few seconds after an update before it connects.
    const stalePassword = s.stale && sim.now() < s.stale.until ? s.stale.password : undefined;
    beforeChange(sim, s);
    const gen = ++s.opGen;
    s.state = 'CONNECTING';
    delete s.errorCode;
    if (stalePassword !== undefined && stalePassword !== s.password) s.connectPassword = stalePassword;
    else delete s.connectPassword;
    sim.clock.after(sim.config.connectSeconds, () => finishConnect(sim, s, gen));
    return {};
};

const DisconnectCustomKeyStore: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('CustomKeyStoreId', { required: true, ...STORE_ID });
    v.done();
    const s = getStore(sim, id);
    if (s.state === 'DISCONNECTED' || s.state === 'DISCONNECTING') throw invalidState('DisconnectCustomKeyStore', s);
    beforeChange(sim, s);
    const gen = ++s.opGen;
    s.state = 'DISCONNECTING';
    delete s.errorCode;
    sim.clock.after(sim.config.disconnectSeconds, () =>
        sim.clusterLock.run(s.loggedInCluster ?? s.clusterId, () => {
            if (sim.world.stores.get(s.id) !== s || s.opGen !== gen) return;
            const c = s.loggedInCluster ? sim.world.clusters.get(s.loggedInCluster) : undefined;
            const user = c?.users.find((u) => u.username.toLowerCase() === 'kmsuser');
            if (user) user.loggedIn = false;
            delete s.loggedInCluster;
            s.state = 'DISCONNECTED';
        }),
    );
    return {};
};

const UpdateCustomKeyStore: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('CustomKeyStoreId', { required: true, ...STORE_ID });
    const newName = v.str('NewCustomKeyStoreName', { min: 1, max: 256 });
    const password = v.str('KeyStorePassword', { min: 7, max: 32, sensitive: true });
    const clusterId = v.str('CloudHsmClusterId', CLUSTER_ID);
    v.done();
    const s = getStore(sim, id);
    if ((password !== undefined || clusterId !== undefined) && s.state !== 'DISCONNECTED')
        throw invalidState('Changing KeyStorePassword or CloudHsmClusterId', s);
    // The current KMS API reference: the name of a CloudHSM key store "can be connected or disconnected" when changed;
    // older SDK documentation (.NET, CLI v1) says DISCONNECTED only, which `renameConnectedStore: false` models.
    const renamable = sim.config.renameConnectedStore ? ['DISCONNECTED', 'CONNECTED'] : ['DISCONNECTED'];
    if (newName !== undefined && !renamable.includes(s.state)) throw invalidState('UpdateCustomKeyStore (NewCustomKeyStoreName)', s);
    if (newName !== undefined && newName !== s.name && [...sim.world.stores.values()].some((o) => o.name === newName))
        throw new AwsError('CustomKeyStoreNameInUseException', `The custom key store name ${newName} is already in use in this AWS account and Region.`);
    if (clusterId !== undefined && clusterId !== s.clusterId) {
        const target = sim.world.clusters.get(clusterId);
        if (!target || target.state === 'DELETED')
            throw new AwsError('CloudHsmClusterNotFoundException', `KMS cannot find the AWS CloudHSM cluster with the specified cluster ID: ${clusterId}.`);
        if (!related(sim.world.clusters.get(s.clusterId), target))
            throw new AwsError(
                'CloudHsmClusterNotRelatedException',
                `The AWS CloudHSM cluster ${clusterId} does not share a backup history with cluster ${s.clusterId}, the original cluster of custom key store ${s.id}.`,
            );
        checkCluster(sim, clusterId);
    } else if (newName !== undefined || password !== undefined || clusterId !== undefined) {
        // "For the CreateCustomKeyStore, UpdateCustomKeyStore, and CreateKey operations, the CloudHSM cluster must have
        // at least two active HSMs, each in a different Availability Zone" (KMS API reference,
        // CloudHsmClusterInvalidConfigurationException): any change, a new name or password too, is checked against
        // the store's cluster (that a missing or inactive cluster refuses a rename as well is assumed).
        checkCluster(sim, s.clusterId);
    }
    const changed =
        (newName !== undefined && newName !== s.name) ||
        (password !== undefined && password !== s.password) ||
        (clusterId !== undefined && clusterId !== s.clusterId);
    if (changed) beforeChange(sim, s);
    if (clusterId !== undefined) s.clusterId = clusterId;
    if (newName !== undefined) s.name = newName;
    if (password !== undefined) s.password = password;
    return {};
};

const DeleteCustomKeyStore: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('CustomKeyStoreId', { required: true, ...STORE_ID });
    v.done();
    const s = getStore(sim, id);
    if (s.state !== 'DISCONNECTED') throw invalidState('DeleteCustomKeyStore', s);
    const keys = [...sim.world.keys.values()].filter((k) => k.customKeyStoreId === s.id).length;
    if (keys > 0)
        throw new AwsError(
            'CustomKeyStoreHasCMKsException',
            `Custom key store ${s.id} contains ${keys} KMS key(s), including keys pending deletion. Delete them before deleting the key store.`,
        );
    sim.world.stores.delete(s.id);
    return {};
};

// ---- keys ----

export function keyState(sim: Sim, k: KmsKey): string {
    if (k.deletionDate !== undefined) return 'PendingDeletion';
    if (k.customKeyStoreId && sim.world.stores.get(k.customKeyStoreId)?.state !== 'CONNECTED') return 'Unavailable';
    return k.enabled ? 'Enabled' : 'Disabled';
}

export function keyMetadata(sim: Sim, k: KmsKey): Json {
    return {
        AWSAccountId: sim.config.accountId,
        KeyId: k.keyId,
        Arn: k.arn,
        CreationDate: sim.epoch(k.createdAt),
        // "When KeyState is Enabled this value is true, otherwise it is false" (KeyMetadata docs): false while Unavailable.
        Enabled: keyState(sim, k) === 'Enabled',
        Description: k.description,
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeyState: keyState(sim, k),
        ...(k.deletionDate !== undefined ? { DeletionDate: sim.epoch(k.deletionDate), PendingDeletionWindowInDays: k.pendingWindowInDays } : {}),
        Origin: k.origin,
        ...(k.customKeyStoreId ? { CustomKeyStoreId: k.customKeyStoreId, CloudHsmClusterId: k.clusterId } : {}),
        KeyManager: 'CUSTOMER',
        CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        KeySpec: 'SYMMETRIC_DEFAULT',
        EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
        MultiRegion: false,
    };
}

/** Add a key (CreateKey, and the control API's POST /_sim/keys, which skips the CONNECTED check). */
export function addKey(sim: Sim, opts: { customKeyStoreId?: string; description?: string }): KmsKey {
    const keyId = randomUUID();
    const store = opts.customKeyStoreId ? sim.world.stores.get(opts.customKeyStoreId) : undefined;
    const k: KmsKey = {
        keyId,
        arn: `arn:aws:kms:${sim.config.region}:${sim.config.accountId}:key/${keyId}`,
        createdAt: sim.now(),
        description: opts.description ?? '',
        origin: store ? 'AWS_CLOUDHSM' : 'AWS_KMS',
        enabled: true,
        ...(store ? { customKeyStoreId: store.id, clusterId: store.clusterId } : {}),
        seq: ++sim.world.seq,
    };
    sim.world.keys.set(keyId, k);
    return k;
}

const KEY_SPECS = [
    'RSA_2048',
    'RSA_3072',
    'RSA_4096',
    'ECC_NIST_P256',
    'ECC_NIST_P384',
    'ECC_NIST_P521',
    'ECC_SECG_P256K1',
    'SYMMETRIC_DEFAULT',
    'HMAC_224',
    'HMAC_256',
    'HMAC_384',
    'HMAC_512',
    'SM2',
    'ML_DSA_44',
    'ML_DSA_65',
    'ML_DSA_87',
    'ECC_NIST_EDWARDS25519',
];

const CreateKey: Handler = (sim, body) => {
    const v = new Validator(body);
    const description = v.str('Description', { max: 8192 });
    const origin = v.str('Origin', { enum: ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] }) ?? 'AWS_KMS';
    const storeId = v.str('CustomKeyStoreId', STORE_ID);
    const usage = v.str('KeyUsage', { enum: ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] }) ?? 'ENCRYPT_DECRYPT';
    const spec = v.str('KeySpec', { enum: KEY_SPECS }) ?? v.str('CustomerMasterKeySpec', { enum: KEY_SPECS }) ?? 'SYMMETRIC_DEFAULT';
    v.done();
    if (storeId !== undefined || origin === 'AWS_CLOUDHSM') {
        if (storeId === undefined || origin !== 'AWS_CLOUDHSM')
            throw new AwsError(
                'ValidationException',
                'To create a KMS key in an AWS CloudHSM key store, specify both CustomKeyStoreId and Origin AWS_CLOUDHSM.',
            );
        // "AWS CloudHSM key stores support only symmetric encryption KMS keys" (KMS developer guide). The error name is
        // assumed: UnsupportedOperationException is CreateKey's modelled error for "a specified parameter is not supported".
        if (spec !== 'SYMMETRIC_DEFAULT' || usage !== 'ENCRYPT_DECRYPT')
            throw new AwsError(
                'UnsupportedOperationException',
                `KeySpec ${spec} with KeyUsage ${usage} is not supported in a custom key store; AWS CloudHSM key stores support only symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT).`,
            );
        const s = getStore(sim, storeId);
        if (s.state !== 'CONNECTED') throw invalidState('CreateKey', s);
        const c = sim.world.clusters.get(s.clusterId);
        if (!c || !validForKeyStore(c))
            throw new AwsError(
                'CloudHsmClusterInvalidConfigurationException',
                `The AWS CloudHSM cluster ${s.clusterId} must contain at least two active HSMs, each in a different Availability Zone.`,
            );
    } else if (origin !== 'AWS_KMS') {
        throw new AwsError('UnsupportedOperationException', `This simulator does not create keys with Origin ${origin}.`);
    } else if (spec !== 'SYMMETRIC_DEFAULT' || usage !== 'ENCRYPT_DECRYPT') {
        throw new AwsError(
            'UnsupportedOperationException',
            'This simulator creates only symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT).',
        );
    }
    return { KeyMetadata: keyMetadata(sim, addKey(sim, { customKeyStoreId: storeId, description })) };
};

export function findKey(sim: Sim, keyId: string): KmsKey {
    const prefix = `arn:aws:kms:${sim.config.region}:${sim.config.accountId}:key/`;
    const k = sim.world.keys.get(keyId.startsWith(prefix) ? keyId.slice(prefix.length) : keyId);
    if (k) return k;
    if (keyId.startsWith('alias/') || keyId.includes(':alias/'))
        throw new AwsError('NotFoundException', `Alias ${keyId.startsWith('arn:') ? keyId : prefix.replace(':key/', ':') + keyId} is not found.`);
    if (keyId.startsWith('arn:') && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(keyId))
        throw new AwsError('InvalidArnException', `Invalid arn ${keyId}`);
    throw new AwsError('NotFoundException', `Key '${keyId.startsWith('arn:') ? keyId : prefix + keyId}' does not exist`);
}

const ListKeys: Handler = (sim, body) => {
    const v = new Validator(body);
    const limit = v.int('Limit', { min: 1, max: 1000 }) ?? 100;
    const marker = v.str('Marker', MARKER);
    v.done();
    const keys = [...sim.world.keys.values()].sort((a, b) => a.seq - b.seq);
    const start = decodeToken(
        marker,
        'InvalidMarkerException',
        'The request was rejected because the marker that specifies where pagination should next begin is not valid.',
    );
    const p = page(keys, start, limit);
    return {
        Keys: p.items.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
        ...(p.next !== undefined ? { NextMarker: encodeToken(p.next) } : {}),
        Truncated: p.next !== undefined,
    };
};

/**
 * DescribeKey is authorized by the key's policy ("Required permissions: kms:DescribeKey (key policy)", KMS API
 * reference), not by IAM alone as ListKeys is: a key whose policy does not let the caller in answers
 * AccessDeniedException (./key-policy.ts says whom the simulator takes the caller to be). Real KMS names the
 * caller's ARN in the message; the simulator does not know it.
 */
function authorizeByKeyPolicy(sim: Sim, k: KmsKey, action: string): void {
    const decision = keyPolicyDecision(k.policy, sim.config.accountId, action);
    if (decision === 'allowed') return;
    const why = decision === 'denied' ? 'with an explicit deny in a resource-based policy' : `because no resource-based policy allows the ${action} action`;
    throw new AwsError('AccessDeniedException', `User: the caller is not authorized to perform: ${action} on resource: ${k.arn} ${why}`);
}

const DescribeKey: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', { required: true, min: 1, max: 2048 });
    v.done();
    const k = findKey(sim, keyId!);
    authorizeByKeyPolicy(sim, k, 'kms:DescribeKey');
    return { KeyMetadata: keyMetadata(sim, k) };
};

const ScheduleKeyDeletion: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', { required: true, min: 1, max: 2048 });
    const days = v.int('PendingWindowInDays', { min: 1, max: 365 }) ?? 30;
    v.done();
    if (days < 7 || days > 30) throw new AwsError('ValidationException', 'PendingWindowInDays value must be between 7 and 30, inclusive.');
    const k = findKey(sim, keyId!);
    if (k.deletionDate !== undefined) throw new AwsError('KMSInvalidStateException', `${k.arn} is pending deletion.`);
    k.deletionDate = sim.now() + days * 86_400_000;
    k.pendingWindowInDays = days;
    return { KeyId: k.arn, DeletionDate: sim.epoch(k.deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
};

const CancelKeyDeletion: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', { required: true, min: 1, max: 2048 });
    v.done();
    const k = findKey(sim, keyId!);
    if (k.deletionDate === undefined) throw new AwsError('KMSInvalidStateException', `${k.arn} is not pending deletion.`);
    delete k.deletionDate;
    delete k.pendingWindowInDays;
    k.enabled = false; // as in KMS: a key whose deletion is cancelled is Disabled
    return { KeyId: k.arn };
};

export const kmsOperations: Record<string, Handler> = {
    CreateCustomKeyStore,
    DescribeCustomKeyStores,
    ConnectCustomKeyStore,
    DisconnectCustomKeyStore,
    UpdateCustomKeyStore,
    DeleteCustomKeyStore,
    CreateKey,
    ListKeys,
    DescribeKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
};
