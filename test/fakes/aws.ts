/**
 * In-memory fakes of the four adapters the workflows use (src/workflow/types.ts `Adapters`), with the
 * real service rules that matter to the handler (AWS-API-FACTS.md sections 2-5):
 * - KMS custom key stores: unique names, one store per cluster family, identical-retry of a DISCONNECTED
 *   store returns its id, the ConnectionState machine (connect / disconnect settle after a configurable
 *   number of describes or seconds of fake time), update and delete state rules, paging.
 *   A connect that would succeed logs in as kmsuser (checkPasswords): USER_NOT_FOUND without one,
 *   INVALID_CREDENTIALS when the store's password is not kmsuser's; when CONNECTED, KMS rotates it.
 * - CloudHSM clusters with HSMs in AZs, and kmsuser (exists, password) shared by a backup family.
 * - Secrets Manager: ClientRequestToken idempotency, force delete; every value ever stored is kept so
 *   tests can scan outputs for it.
 * - SSM: ping status, Run Command, comment lookup, invocations that are invisible for a few polls
 *   (InvocationDoesNotExist), then InProgress, then the responder's result. The default responder plays
 *   the kmsuser script (K_ACTION / K_ADOPT / K_CLUSTER / K_*_SECRET lines) against the fake cluster:
 *   CREATED / ADOPTED / RESET / DELETED / ABSENT, KMSUSER_EXISTS, SECRET_UNREADABLE; kmsuser's password
 *   becomes the bootstrap secret's value, as on a real instance.
 * Every call is recorded in one shared CallLog (op = "service.method"). Errors are plain Errors whose
 * `name` is the AWS error name, as the SDK v3 clients throw them. One-shot faults can be injected on any
 * op, and a "crash" after any op's side effect (the invocation never answers) can be armed for the driver.
 */
import { createHash } from 'crypto';
import type { Cluster, ClusterHsm, CloudHsmAdapter } from '../../src/aws/cloudhsm';
import type { ConnectionState, KeyMembership, KeyPage, KeyStore, KeyStorePage, KeyTag, KmsAdapter, KmsKey } from '../../src/aws/kms';
import type { SecretInfo, SecretsAdapter } from '../../src/aws/secrets';
import type { Invocation, SsmAdapter } from '../../src/aws/ssm';
import type { Clock } from '../../src/workflow/runner';
import type { Adapters } from '../../src/workflow/types';

/** The public surface of an adapter class (its private SDK client cannot be implemented structurally). */
export type PublicOf<T> = { [K in keyof T]: T[K] };

export const REGION = 'us-east-1';
export const ACCOUNT = '111122223333';

/** An error as the SDK v3 clients throw it: branch on `name`. */
export function awsError(name: string, message: string = name): Error {
    return Object.assign(new Error(message), { name });
}

function hex(seed: string, length: number): string {
    return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

// ---- clock and call log ---------------------------------------------------------------------------

/** Fake time: sleeping advances it at once. */
export class FakeClock implements Clock {
    private t: number;
    constructor(start = Date.UTC(2026, 10, 28, 12, 0, 0)) {
        this.t = start;
    }
    now(): number {
        return this.t;
    }
    async sleep(ms: number): Promise<void> {
        this.advance(ms);
    }
    advance(ms: number): void {
        if (ms > 0) this.t += ms;
    }
}

export interface CallRecord {
    seq: number;
    /** "service.method", e.g. "kms.createStore". */
    op: string;
    args: unknown[];
    /** Fake time of the call. */
    at: number;
    /** The error name when the call threw. */
    threw?: string;
}

export class CallLog {
    readonly calls: CallRecord[] = [];

    add(op: string, args: unknown[], at: number): CallRecord {
        const rec: CallRecord = { seq: this.calls.length + 1, op, args: structuredClone(args), at };
        this.calls.push(rec);
        return rec;
    }
    of(op: string): CallRecord[] {
        return this.calls.filter((c) => c.op === op);
    }
    count(op: string): number {
        return this.of(op).length;
    }
    /** The ops in call order, optionally only those matching a filter. */
    ops(filter?: (op: string) => boolean): string[] {
        return this.calls.map((c) => c.op).filter((op) => !filter || filter(op));
    }
    /** Calls that change something in AWS (everything but reads). */
    mutating(): CallRecord[] {
        return this.calls.filter((c) => MUTATING.has(c.op));
    }
    get length(): number {
        return this.calls.length;
    }
}

export const MUTATING = new Set([
    'kms.createStore', 'kms.connect', 'kms.disconnect', 'kms.update', 'kms.deleteStore',
    'secrets.create', 'secrets.forceDelete', 'ssm.sendShellScript', 'ssm.putParameter', 'ssm.deleteParameter',
    'kms.createKey', 'kms.putKeyPolicy', 'kms.updateKeyDescription', 'kms.enableKey', 'kms.disableKey', 'kms.tagResource',
    'kms.untagResource', 'kms.scheduleKeyDeletion',
]);

interface Injection {
    op: string;
    error: () => Error;
    skip: number;
    times: number;
}

interface CrashPoint {
    op: string;
    skip: number;
}

/** Registry of worlds made in the current test (test/fakes/checks.ts checks them after each test). */
export const worldsOfThisTest: FakeAws[] = [];

/** One fake AWS account/Region: the four services, one clock, one call log. */
export class FakeAws {
    readonly clock = new FakeClock();
    readonly log = new CallLog();
    readonly kms: FakeKms;
    readonly hsm: FakeHsm;
    readonly secrets: FakeSecrets;
    readonly ssm: FakeSsm;
    /** Fake milliseconds every call takes (so an invocation's budget can run out). */
    latencyMs = 0;
    /** Set by the driver: called when an armed crash point is reached. */
    onCrash?: (op: string) => void;
    /** What the driver ran against this world (for the after-each checks). */
    readonly drives: unknown[] = [];
    private injections: Injection[] = [];
    private crashes: CrashPoint[] = [];
    private afters: Array<{ op: string; skip: number; fn: () => void }> = [];

    constructor() {
        this.kms = new FakeKms(this);
        this.hsm = new FakeHsm(this);
        this.secrets = new FakeSecrets(this);
        this.ssm = new FakeSsm(this);
        worldsOfThisTest.push(this);
    }

    adapters(): Adapters {
        return {
            kms: this.kms as unknown as KmsAdapter,
            hsm: this.hsm as unknown as CloudHsmAdapter,
            secrets: this.secrets as unknown as SecretsAdapter,
            ssm: this.ssm as unknown as SsmAdapter,
        };
    }

    /**
     * Throw `error` from the `nth` next call of `op` (1 = the very next), `times` calls in a row, before
     * the call has any effect. `error` may be a name ("ThrottlingException").
     */
    inject(op: string, error: string | Error | (() => Error), opts: { nth?: number; times?: number } = {}): void {
        const make = typeof error === 'function' ? error : typeof error === 'string' ? () => awsError(error, `Rate exceeded (${error})`) : () => error;
        this.injections.push({ op, error: make, skip: (opts.nth ?? 1) - 1, times: opts.times ?? 1 });
    }

    /** The `nth` next call of `op` takes effect, then its invocation dies: the promise never settles. */
    crashAfter(op: string, nth = 1): void {
        this.crashes.push({ op, skip: nth - 1 });
    }

    /** Run `fn` (once) right after the `nth` next call of `op` took effect: something else happening in AWS meanwhile. */
    after(op: string, fn: () => void, nth = 1): void {
        this.afters.push({ op, skip: nth - 1, fn });
    }

    pendingFaults(): number {
        return this.injections.filter((i) => i.times > 0).length + this.crashes.length;
    }

    /** Every fake method goes through here: record, charge latency, injected faults, effect, crash. */
    async call<T>(op: string, args: unknown[], effect: () => T): Promise<T> {
        const rec = this.log.add(op, args, this.clock.now());
        this.clock.advance(this.latencyMs);
        const injected = this.takeInjection(op);
        if (injected) {
            rec.threw = injected.name;
            throw injected;
        }
        let result: T;
        try {
            result = effect();
        } catch (err) {
            rec.threw = (err as Error).name;
            throw err;
        }
        for (const a of this.afters.filter((x) => x.op === op)) {
            if (a.skip-- > 0) continue;
            this.afters.splice(this.afters.indexOf(a), 1);
            a.fn();
        }
        if (this.takeCrash(op)) {
            this.onCrash?.(op);
            return new Promise<T>(() => undefined);
        }
        return result;
    }

    private takeInjection(op: string): Error | undefined {
        for (const inj of this.injections) {
            if (inj.op !== op || inj.times <= 0) continue;
            if (inj.skip > 0) {
                inj.skip--;
                continue;
            }
            inj.times--;
            return inj.error();
        }
        return undefined;
    }

    private takeCrash(op: string): boolean {
        const i = this.crashes.findIndex((c) => c.op === op);
        if (i < 0) return false;
        const c = this.crashes[i];
        if (c.skip > 0) {
            c.skip--;
            return false;
        }
        this.crashes.splice(i, 1);
        return true;
    }
}

// ---- KMS --------------------------------------------------------------------------------------------

/** What a connect turns into: CONNECTED, NEVER (stays CONNECTING), or FAILED with this ConnectionErrorCode. */
export type ConnectOutcome = 'CONNECTED' | 'NEVER' | string;

interface Transition {
    to: ConnectionState;
    code?: string;
    /** KMS rotates kmsuser's password when it connects. */
    rotate?: boolean;
    /** Settles on the describe that brings this to 0. */
    describesLeft?: number;
    /** Or settles once fake time reaches this. */
    at?: number;
}

export interface StoreRec {
    id: string;
    name: string;
    clusterId: string;
    trustAnchor: string;
    password: string;
    state: ConnectionState;
    connectionErrorCode?: string;
    type: string;
    transition?: Transition;
}

/** A KMS key of the fake: keys in a store need it CONNECTED to be created and are Unavailable otherwise. */
export interface FakeKey {
    id: string;
    storeId?: string;
    deletionDate?: Date;
    enabled?: boolean;
    description?: string;
    policy?: string;
    tags?: KeyTag[];
}

export class FakeKms implements PublicOf<KmsAdapter> {
    /** A connect shows its outcome on the Nth describe after it (unless connectSeconds is set). */
    connectDescribes = 3;
    /** When set, a connect settles this many seconds of fake time after it was asked for. */
    connectSeconds?: number;
    disconnectDescribes = 2;
    /** Outcomes of the next connects, in order; then defaultConnectOutcome. */
    connectOutcomes: ConnectOutcome[] = [];
    defaultConnectOutcome: ConnectOutcome = 'CONNECTED';
    /**
     * A connect that would succeed logs in as kmsuser: USER_NOT_FOUND without one, INVALID_CREDENTIALS when
     * the store's password is not kmsuser's; on success KMS rotates the password (store and cluster).
     */
    checkPasswords = true;
    storePageSize = 100;
    keyPageSize = 100;
    maxStores = 10;
    readonly stores = new Map<string, StoreRec>();
    readonly keys: FakeKey[] = [];
    private made = 0;
    private rotations = 0;

    constructor(private readonly world: FakeAws) {}

    // -- test set-up and inspection (not recorded) --

    /** A store that already exists (made by someone else, or by an earlier create). */
    addStore(p: Partial<StoreRec> & { name: string; clusterId: string }): StoreRec {
        const rec: StoreRec = {
            id: p.id ?? this.newId(),
            trustAnchor: 'pem',
            password: 'existing-password',
            state: 'CONNECTED',
            type: 'AWS_CLOUDHSM',
            ...p,
        };
        this.stores.set(rec.id, rec);
        return rec;
    }

    /** Adds `n` KMS keys in the given store (undefined: ordinary KMS keys). Returns their ids. */
    addKeys(storeId: string | undefined, n: number): string[] {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
            const id = `${hex(`key-${this.keys.length}`, 8)}-${hex(`k2-${this.keys.length}`, 4)}-4${hex(`k3-${this.keys.length}`, 3)}-8${hex(`k4-${this.keys.length}`, 3)}-${hex(`k5-${this.keys.length}`, 12)}`;
            this.keys.push({ id, storeId });
            ids.push(id);
        }
        return ids;
    }

    store(id: string): StoreRec | undefined {
        return this.stores.get(id);
    }

    all(): StoreRec[] {
        return [...this.stores.values()];
    }

    // -- the adapter --

    describeStore(id: string): Promise<KeyStore | undefined> {
        return this.world.call('kms.describeStore', [id], () => {
            const rec = this.stores.get(id);
            if (!rec) return undefined;
            this.settle(rec);
            return view(rec);
        });
    }

    describeStoreByName(name: string): Promise<KeyStore | undefined> {
        return this.world.call('kms.describeStoreByName', [name], () => {
            const rec = this.all().find((s) => s.name === name);
            if (!rec) return undefined;
            this.settle(rec);
            return view(rec);
        });
    }

    listStores(marker?: string, limit?: number): Promise<KeyStorePage> {
        return this.world.call('kms.listStores', [marker, limit], () => {
            const all = this.all();
            const start = marker === undefined ? 0 : parsePageMarker(marker, 'stores');
            const size = Math.min(limit ?? this.storePageSize, this.storePageSize);
            const page = all.slice(start, start + size);
            const next = start + size < all.length ? `stores:${start + size}` : undefined;
            return { stores: page.map(view), next };
        });
    }

    createStore(p: { name: string; clusterId: string; trustAnchor: string; password: string }): Promise<string> {
        return this.world.call('kms.createStore', [p], () => {
            const same = this.all().find(
                (s) => s.name === p.name && s.clusterId === p.clusterId && s.trustAnchor === p.trustAnchor && s.password === p.password && s.state === 'DISCONNECTED',
            );
            if (same) return same.id; // "recognizes the duplicate as the likely consequence of a retry"
            if (p.password.length < 7 || p.password.length > 32) throw awsError('ValidationException', 'KeyStorePassword must be 7-32 characters');
            if (this.all().some((s) => s.name === p.name)) throw awsError('CustomKeyStoreNameInUseException', `The specified custom key store name is already assigned to another custom key store in the account.`);
            const cluster = this.world.hsm.clusters.get(p.clusterId);
            if (!cluster) throw awsError('CloudHsmClusterNotFoundException', `AWS KMS cannot find the AWS CloudHSM cluster ${p.clusterId}.`);
            if (cluster.state !== 'ACTIVE') throw awsError('CloudHsmClusterNotActiveException', `The AWS CloudHSM cluster ${p.clusterId} is not active.`);
            if (!twoZones(cluster)) throw awsError('CloudHsmClusterInvalidConfigurationException', `The AWS CloudHSM cluster ${p.clusterId} needs two active HSMs in different Availability Zones.`);
            if (cluster.trustAnchor !== undefined && cluster.trustAnchor !== p.trustAnchor) throw awsError('IncorrectTrustAnchorException', 'The trust anchor certificate does not match the cluster.');
            if (this.all().some((s) => this.familyOf(s.clusterId) === cluster.family)) {
                throw awsError('CloudHsmClusterInUseException', `The AWS CloudHSM cluster ${p.clusterId} is already associated with a custom key store or shares a backup history with such a cluster.`);
            }
            if (this.stores.size >= this.maxStores) throw awsError('LimitExceededException', 'You have reached the quota of custom key stores.');
            const rec: StoreRec = { id: this.newId(), name: p.name, clusterId: p.clusterId, trustAnchor: p.trustAnchor, password: p.password, state: 'DISCONNECTED', type: 'AWS_CLOUDHSM' };
            this.stores.set(rec.id, rec);
            return rec.id;
        });
    }

    connect(id: string): Promise<void> {
        return this.world.call('kms.connect', [id], () => {
            const rec = this.mustFind(id);
            if (rec.state === 'DISCONNECTING' || rec.state === 'FAILED') throw invalidState(rec, 'ConnectCustomKeyStore');
            if (rec.state !== 'DISCONNECTED') return; // CONNECTED / CONNECTING: nothing to do
            let outcome = this.connectOutcomes.length ? (this.connectOutcomes.shift() as ConnectOutcome) : this.defaultConnectOutcome;
            const target = this.world.hsm.clusters.get(rec.clusterId);
            if (outcome === 'CONNECTED' && this.checkPasswords && target) {
                if (!target.kmsUser) outcome = 'USER_NOT_FOUND';
                else if (target.kmsUserPassword !== undefined && target.kmsUserPassword !== rec.password) outcome = 'INVALID_CREDENTIALS';
            }
            rec.state = 'CONNECTING';
            rec.connectionErrorCode = undefined;
            const cluster = this.world.hsm.clusters.get(rec.clusterId);
            const settle = this.connectSeconds !== undefined ? { at: this.world.clock.now() + this.connectSeconds * 1000 } : { describesLeft: this.connectDescribes };
            if (outcome === 'NEVER') rec.transition = { to: 'CONNECTING' };
            else if (!cluster) rec.transition = { to: 'FAILED', code: 'CLUSTER_NOT_FOUND', ...settle };
            else if (outcome === 'CONNECTED') rec.transition = { to: 'CONNECTED', rotate: this.checkPasswords, ...settle };
            else rec.transition = { to: 'FAILED', code: outcome, ...settle };
        });
    }

    disconnect(id: string): Promise<void> {
        return this.world.call('kms.disconnect', [id], () => {
            const rec = this.mustFind(id);
            if (rec.state === 'DISCONNECTING' || rec.state === 'DISCONNECTED') throw invalidState(rec, 'DisconnectCustomKeyStore');
            rec.state = 'DISCONNECTING';
            rec.connectionErrorCode = undefined;
            rec.transition = { to: 'DISCONNECTED', describesLeft: this.disconnectDescribes };
        });
    }

    update(id: string, change: { name?: string; clusterId?: string; password?: string }): Promise<void> {
        return this.world.call('kms.update', [id, change], () => {
            const rec = this.mustFind(id);
            if ((change.password !== undefined || change.clusterId !== undefined) && rec.state !== 'DISCONNECTED') throw invalidState(rec, 'UpdateCustomKeyStore (KeyStorePassword / CloudHsmClusterId)');
            if (change.name !== undefined && rec.state !== 'DISCONNECTED' && rec.state !== 'CONNECTED') throw invalidState(rec, 'UpdateCustomKeyStore (NewCustomKeyStoreName)');
            if (change.name !== undefined && this.all().some((s) => s.id !== id && s.name === change.name)) throw awsError('CustomKeyStoreNameInUseException', 'The specified custom key store name is already assigned to another custom key store in the account.');
            if (change.password !== undefined && (change.password.length < 7 || change.password.length > 32)) throw awsError('ValidationException', 'KeyStorePassword must be 7-32 characters');
            if (change.clusterId !== undefined && change.clusterId !== rec.clusterId) {
                const cluster = this.world.hsm.clusters.get(change.clusterId);
                if (!cluster) throw awsError('CloudHsmClusterNotFoundException', `AWS KMS cannot find the AWS CloudHSM cluster ${change.clusterId}.`);
                if (cluster.family !== this.familyOf(rec.clusterId)) throw awsError('CloudHsmClusterNotRelatedException', `The cluster ${change.clusterId} is not related to ${rec.clusterId}.`);
                if (cluster.state !== 'ACTIVE') throw awsError('CloudHsmClusterNotActiveException', `The AWS CloudHSM cluster ${change.clusterId} is not active.`);
                if (!twoZones(cluster)) throw awsError('CloudHsmClusterInvalidConfigurationException', 'The cluster needs two active HSMs in different Availability Zones.');
            }
            if (change.name !== undefined) rec.name = change.name;
            if (change.clusterId !== undefined) rec.clusterId = change.clusterId;
            if (change.password !== undefined) rec.password = change.password;
        });
    }

    deleteStore(id: string): Promise<void> {
        return this.world.call('kms.deleteStore', [id], () => {
            const rec = this.mustFind(id);
            if (rec.state !== 'DISCONNECTED') throw invalidState(rec, 'DeleteCustomKeyStore');
            const keys = this.keys.filter((k) => k.storeId === id).length;
            if (keys) throw awsError('CustomKeyStoreHasCMKsException', `Custom key store ${id} contains ${keys} KMS keys.`);
            this.stores.delete(id);
        });
    }

    listKeys(marker?: string, limit = 100): Promise<KeyPage> {
        return this.world.call('kms.listKeys', [marker, limit], () => {
            const start = marker === undefined ? 0 : parsePageMarker(marker, 'keys');
            const size = Math.min(limit, this.keyPageSize);
            const page = this.keys.slice(start, start + size);
            const next = start + size < this.keys.length ? `keys:${start + size}` : undefined;
            return { keyIds: page.map((k) => k.id), next };
        });
    }

    keyStoreOfKey(keyId: string): Promise<KeyMembership | undefined> {
        return this.world.call('kms.keyStoreOfKey', [keyId], () => {
            const key = this.keys.find((k) => k.id === keyId);
            if (!key?.storeId) return undefined;
            return key.deletionDate ? { storeId: key.storeId, deletionDate: key.deletionDate } : { storeId: key.storeId };
        });
    }

    describeKey(keyId: string): Promise<KmsKey | undefined> {
        return this.world.call('kms.describeKey', [keyId], () => {
            const k = this.keys.find((x) => x.id === keyId);
            return k ? this.metadata(k) : undefined;
        });
    }

    createKey(p: { storeId: string; description?: string; policy?: string; bypassPolicyLockoutSafetyCheck?: boolean; tags?: KeyTag[] }): Promise<KmsKey> {
        return this.world.call('kms.createKey', [p], () => {
            const store = this.mustFind(p.storeId);
            if (store.state !== 'CONNECTED') throw invalidState(store, 'CreateKey');
            const [id] = this.addKeys(p.storeId, 1);
            const k = this.keys.find((x) => x.id === id) as FakeKey;
            Object.assign(k, { enabled: true, description: p.description ?? '', policy: p.policy ?? 'default-policy', tags: [...(p.tags ?? [])] });
            return this.metadata(k);
        });
    }

    getKeyPolicy(keyId: string): Promise<string> {
        return this.world.call('kms.getKeyPolicy', [keyId], () => this.mustFindKey(keyId).policy ?? 'default-policy');
    }

    putKeyPolicy(keyId: string, policy: string): Promise<void> {
        return this.world.call('kms.putKeyPolicy', [keyId, policy], () => void (this.liveKey(keyId).policy = policy));
    }

    updateKeyDescription(keyId: string, description: string): Promise<void> {
        return this.world.call('kms.updateKeyDescription', [keyId, description], () => void (this.liveKey(keyId).description = description));
    }

    enableKey(keyId: string): Promise<void> {
        return this.world.call('kms.enableKey', [keyId], () => void (this.liveKey(keyId).enabled = true));
    }

    disableKey(keyId: string): Promise<void> {
        return this.world.call('kms.disableKey', [keyId], () => void (this.liveKey(keyId).enabled = false));
    }

    listResourceTags(keyId: string, marker?: string): Promise<{ tags: KeyTag[]; next?: string }> {
        return this.world.call('kms.listResourceTags', [keyId, marker], () => ({ tags: [...(this.mustFindKey(keyId).tags ?? [])] }));
    }

    tagResource(keyId: string, tags: KeyTag[]): Promise<void> {
        return this.world.call('kms.tagResource', [keyId, tags], () => {
            const k = this.liveKey(keyId);
            k.tags = [...(k.tags ?? []).filter((t) => !tags.some((n) => n.key === t.key)), ...tags];
        });
    }

    untagResource(keyId: string, tagKeys: string[]): Promise<void> {
        return this.world.call('kms.untagResource', [keyId, tagKeys], () => {
            const k = this.liveKey(keyId);
            k.tags = (k.tags ?? []).filter((t) => !tagKeys.includes(t.key));
        });
    }

    scheduleKeyDeletion(keyId: string, days: number): Promise<Date | undefined> {
        return this.world.call('kms.scheduleKeyDeletion', [keyId, days], () => {
            const k = this.liveKey(keyId);
            k.deletionDate = new Date(this.world.clock.now() + days * 86_400_000);
            return k.deletionDate;
        });
    }

    // -- internals --

    private mustFindKey(keyId: string): FakeKey {
        const k = this.keys.find((x) => x.id === keyId);
        if (!k) throw awsError('NotFoundException', `Key '${keyId}' does not exist`);
        return k;
    }

    /** A key that is not pending deletion (KMS refuses to change one that is). */
    private liveKey(keyId: string): FakeKey {
        const k = this.mustFindKey(keyId);
        if (k.deletionDate) throw awsError('KMSInvalidStateException', `${keyId} is pending deletion.`);
        return k;
    }

    private metadata(k: FakeKey): KmsKey {
        const connected = !k.storeId || this.stores.get(k.storeId)?.state === 'CONNECTED';
        const state = k.deletionDate ? 'PendingDeletion' : !connected ? 'Unavailable' : k.enabled === false ? 'Disabled' : 'Enabled';
        return {
            id: k.id,
            arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${k.id}`,
            storeId: k.storeId,
            origin: k.storeId ? 'AWS_CLOUDHSM' : 'AWS_KMS',
            state,
            enabled: state === 'Enabled',
            description: k.description ?? '',
            deletionDate: k.deletionDate,
            keySpec: 'SYMMETRIC_DEFAULT',
            keyUsage: 'ENCRYPT_DECRYPT',
            multiRegion: false,
        };
    }

    private newId(): string {
        this.made++;
        return `cks-${hex(`store-${this.made}`, 17)}`;
    }

    private familyOf(clusterId: string): string {
        return this.world.hsm.clusters.get(clusterId)?.family ?? clusterId;
    }

    private mustFind(id: string): StoreRec {
        const rec = this.stores.get(id);
        if (!rec) throw awsError('CustomKeyStoreNotFoundException', `AWS KMS cannot find a custom key store with the specified key store ID ${id}.`);
        return rec;
    }

    /** One describe of a store in transition: it may settle now. */
    private settle(rec: StoreRec): void {
        const t = rec.transition;
        if (!t) return;
        if (t.at !== undefined) {
            if (this.world.clock.now() < t.at) return;
        } else if (t.describesLeft !== undefined) {
            t.describesLeft--;
            if (t.describesLeft > 0) return;
        } else {
            return; // never settles
        }
        rec.state = t.to;
        rec.connectionErrorCode = t.to === 'FAILED' ? t.code : undefined;
        rec.transition = undefined;
        const cluster = this.world.hsm.clusters.get(rec.clusterId);
        if (t.rotate && cluster?.kmsUser) {
            this.rotations++;
            rec.password = `kmsRotated${hex(`rotation-${this.rotations}`, 20)}`;
            cluster.kmsUserPassword = rec.password;
        }
    }
}

function view(rec: StoreRec): KeyStore {
    return {
        id: rec.id,
        name: rec.name,
        clusterId: rec.clusterId,
        trustAnchor: rec.trustAnchor,
        state: rec.state,
        ...(rec.state === 'FAILED' && rec.connectionErrorCode ? { connectionErrorCode: rec.connectionErrorCode } : {}),
        type: rec.type,
    };
}

function invalidState(rec: StoreRec, op: string): Error {
    return awsError('CustomKeyStoreInvalidStateException', `${op} is not valid for custom key store ${rec.id} in state ${rec.state}.`);
}

function parsePageMarker(marker: string, kind: string): number {
    const m = new RegExp(`^${kind}:(\\d+)$`).exec(marker);
    if (!m) throw awsError('InvalidMarkerException', 'The request was rejected because the marker that specifies where pagination should next begin is not valid.');
    return Number(m[1]);
}

function twoZones(cluster: Cluster): boolean {
    const active = cluster.hsms.filter((h) => h.state === 'ACTIVE');
    return active.length >= 2 && new Set(active.map((h) => h.availabilityZone)).size >= 2;
}

// ---- CloudHSM ---------------------------------------------------------------------------------------

/** The crypto user kmsuser as the cluster's HSMs hold it. */
export interface KmsUserState {
    exists: boolean;
    /** Its current password; undefined: unknown to the test (any password is accepted). */
    password?: string;
}

export interface FakeCluster extends Cluster {
    /** Clusters of one family share backup history: KMS may move a store between them only. */
    family: string;
    /** Whether kmsuser exists (shared by the family: a related cluster is restored from a backup that has it). */
    kmsUser: boolean;
    /** kmsuser's current password. */
    kmsUserPassword?: string;
    trustAnchor?: string;
}

export class FakeHsm implements PublicOf<CloudHsmAdapter> {
    readonly clusters = new Map<string, FakeCluster>();
    private readonly users = new Map<string, KmsUserState>();

    constructor(private readonly world: FakeAws) {}

    /** Default: ACTIVE, two ACTIVE HSMs in two AZs, no kmsuser, its own family. */
    addCluster(p: Partial<Omit<FakeCluster, 'kmsUser' | 'kmsUserPassword'>> & { id: string; kmsUser?: boolean }): FakeCluster {
        const family = p.family ?? p.id;
        if (!this.users.has(family)) this.users.set(family, { exists: false });
        const users = this.users.get(family) as KmsUserState;
        const c = {
            id: p.id,
            state: p.state ?? 'ACTIVE',
            hsms: p.hsms ?? hsmsIn(['us-east-1a', 'us-east-1b'], p.id),
            family,
            trustAnchor: p.trustAnchor,
            get kmsUser(): boolean {
                return users.exists;
            },
            set kmsUser(v: boolean) {
                users.exists = v;
                if (!v) users.password = undefined;
            },
            get kmsUserPassword(): string | undefined {
                return users.password;
            },
            set kmsUserPassword(v: string | undefined) {
                users.password = v;
            },
        };
        if (p.kmsUser !== undefined) c.kmsUser = p.kmsUser;
        this.clusters.set(c.id, c);
        return c;
    }

    describeCluster(id: string): Promise<Cluster | undefined> {
        return this.world.call('hsm.describeCluster', [id], () => {
            const c = this.clusters.get(id);
            return c ? { id: c.id, state: c.state, hsms: c.hsms.map((h) => ({ ...h })) } : undefined;
        });
    }
}

export function hsmsIn(zones: string[], seed = 'hsm', state = 'ACTIVE'): ClusterHsm[] {
    return zones.map((zone, i) => ({ id: `hsm-${hex(`${seed}-${i}`, 11).replace(/[^a-z]/g, 'q')}`, availabilityZone: zone, state }));
}

// ---- Secrets Manager --------------------------------------------------------------------------------

export interface SecretRec {
    arn: string;
    name: string;
    value: string;
    token?: string;
    deleted: boolean;
    /** A value that may show up anywhere (the CA certificate): not scanned for. */
    public: boolean;
    /** The handler must never read it (the admin password). */
    neverRead: boolean;
}

export class FakeSecrets implements PublicOf<SecretsAdapter> {
    readonly secrets = new Map<string, SecretRec>();
    /** Every value ever stored, public or not, in order. */
    readonly stored: Array<{ name: string; value: string; public: boolean }> = [];
    /** ARNs force-deleted, in order. */
    readonly forceDeleted: string[] = [];
    private made = 0;

    constructor(private readonly world: FakeAws) {}

    /** Test set-up: a secret that already exists. */
    put(name: string, value: string, opts: { public?: boolean; neverRead?: boolean } = {}): SecretRec {
        const rec = this.newRec(name, value, undefined, opts);
        this.secrets.set(name, rec);
        return rec;
    }

    /** Test set-up: a secret scheduled for deletion (DescribeSecret shows DeletedDate). */
    scheduleDeletion(nameOrArn: string): void {
        const rec = this.find(nameOrArn);
        if (rec) rec.deleted = true;
    }

    find(id: string): SecretRec | undefined {
        return this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.arn === id);
    }

    /** Values that must never leak: everything stored except public ones. */
    secretValues(): string[] {
        return this.stored.filter((s) => !s.public).map((s) => s.value);
    }

    /** Secrets the handler made (bootstrap secrets), whether still there or not. */
    madeByHandler(): string[] {
        return this.world.log.of('secrets.create').filter((c) => !c.threw).map((c) => (c.args[0] as { name: string }).name);
    }

    /** Names of secrets the handler made that still exist (a failed or finished operation leaves none). */
    leftover(): string[] {
        return [...new Set(this.madeByHandler())].filter((name) => this.secrets.has(name));
    }

    describe(secretId: string): Promise<SecretInfo | undefined> {
        return this.world.call('secrets.describe', [secretId], () => {
            const rec = this.find(secretId);
            return rec ? { arn: rec.arn, name: rec.name, deleted: rec.deleted } : undefined;
        });
    }

    getString(secretId: string): Promise<string | undefined> {
        return this.world.call('secrets.getString', [secretId], () => {
            const rec = this.find(secretId);
            if (!rec) throw awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
            if (rec.deleted) throw awsError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
            return rec.value;
        });
    }

    create(p: { name: string; value: string; token: string; description: string }): Promise<string> {
        return this.world.call('secrets.create', [p], () => {
            const existing = this.secrets.get(p.name);
            if (existing) {
                if (existing.deleted) throw awsError('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
                if (existing.token === p.token && existing.value === p.value) return existing.arn; // an identical retry is ignored
                if (existing.token === p.token) throw awsError('ResourceExistsException', `You can't use ClientRequestToken ${p.token} because that value is already in use for a version of secret ${existing.arn}.`);
                throw awsError('ResourceExistsException', `The operation failed because the secret ${p.name} already exists.`);
            }
            if (p.token.length < 32 || p.token.length > 64) throw awsError('InvalidParameterException', 'ClientRequestToken must be 32-64 characters.');
            const rec = this.newRec(p.name, p.value, p.token, {});
            this.secrets.set(p.name, rec);
            return rec.arn;
        });
    }

    scheduleDelete(secretId: string, _days: number): Promise<void> {
        return this.world.call('secrets.scheduleDelete', [secretId], () => {
            const rec = this.find(secretId);
            if (rec) rec.deleted = true;
        });
    }

    forceDelete(secretId: string): Promise<void> {
        return this.world.call('secrets.forceDelete', [secretId], () => {
            const rec = this.find(secretId);
            if (!rec) return; // "does not return ResourceNotFoundException"
            this.secrets.delete(rec.name);
            this.forceDeleted.push(rec.arn);
        });
    }

    private newRec(name: string, value: string, token: string | undefined, opts: { public?: boolean; neverRead?: boolean }): SecretRec {
        this.made++;
        const suffix = hex(`secret-${this.made}`, 6).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]);
        this.stored.push({ name, value, public: Boolean(opts.public) });
        return {
            arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`,
            name,
            value,
            token,
            deleted: false,
            public: Boolean(opts.public),
            neverRead: Boolean(opts.neverRead),
        };
    }
}

// ---- SSM --------------------------------------------------------------------------------------------

/** What the command ended as: GetCommandInvocation Status (+ StatusDetails) and its output. */
export interface CommandResult {
    status: string;
    statusDetails?: string;
    stdout: string;
    stderr: string;
}

export interface CommandRec {
    id: string;
    instanceId: string;
    comment: string;
    commands: string[];
    timeoutSeconds: number;
    polls: number;
    result?: CommandResult;
}

export type Responder = (commands: string[], info: { instanceId: string; comment: string; world: FakeAws }) => CommandResult;

const PENDING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

export class FakeSsm implements PublicOf<SsmAdapter> {
    readonly instances = new Map<string, string>();
    /** Parameter Store: name -> value. */
    readonly parameters = new Map<string, string>();
    readonly commands: CommandRec[] = [];
    /** GetCommandInvocation answers InvocationDoesNotExist (adapter: undefined) for this many polls. */
    invisiblePolls = 1;
    /** ...then InProgress for this many. */
    runningPolls = 1;
    responder: Responder = kmsUserScriptResponder;
    /** The create's read-only preflight (action check) is answered by this one, so a test's responder plays the step it means. */
    checkResponder: Responder = kmsUserScriptResponder;
    /** At most this many invisible / InProgress polls for a preflight check (a stall meant for the kmsuser step leaves it alone). */
    checkStallLimit = 1;

    constructor(private readonly world: FakeAws) {}

    addInstance(id: string, ping = 'Online'): void {
        this.instances.set(id, ping);
    }

    /** The kmsuser actions that change the cluster, in order (from the script's K_ACTION line); the read-only preflight `check` aside. */
    actionsSent(): string[] {
        return this.commands.map((c) => scriptParams(c.commands).action).filter((a) => a !== 'check');
    }

    /** How many read-only preflight checks were sent. */
    checksSent(): number {
        return this.commands.filter((c) => scriptParams(c.commands).action === 'check').length;
    }

    getParameter(name: string): Promise<string | undefined> {
        return this.world.call('ssm.getParameter', [name], () => this.parameters.get(name));
    }

    putParameter(name: string, value: string, description: string): Promise<void> {
        return this.world.call('ssm.putParameter', [name, value, description], () => {
            if (value.length > 4096) throw awsError('ValidationException', 'Standard parameter values are at most 4096 characters');
            this.parameters.set(name, value);
        });
    }

    deleteParameter(name: string): Promise<void> {
        return this.world.call('ssm.deleteParameter', [name], () => {
            this.parameters.delete(name);
        });
    }

    pingStatus(instanceId: string): Promise<string | undefined> {
        return this.world.call('ssm.pingStatus', [instanceId], () => this.instances.get(instanceId));
    }

    sendShellScript(p: { instanceId: string; commands: string[]; comment: string; timeoutSeconds: number }): Promise<string> {
        return this.world.call('ssm.sendShellScript', [p], () => {
            if (!this.instances.has(p.instanceId)) throw awsError('InvalidInstanceId', 'Instances not in a valid state for account');
            if (p.comment.length > 100) throw awsError('ValidationException', 'Comment must be at most 100 characters');
            if (p.timeoutSeconds < 30) throw awsError('ValidationException', 'TimeoutSeconds must be at least 30');
            const n = this.commands.length + 1;
            const h = hex(`command-${n}`, 32);
            const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
            this.commands.push({ id, instanceId: p.instanceId, comment: p.comment, commands: [...p.commands], timeoutSeconds: p.timeoutSeconds, polls: 0 });
            return id;
        });
    }

    findCommandByComment(instanceId: string, comment: string): Promise<string | undefined> {
        return this.world.call('ssm.findCommandByComment', [instanceId, comment], () => {
            const hits = this.commands.filter((c) => c.instanceId === instanceId && c.comment === comment);
            return hits.length ? hits[hits.length - 1].id : undefined;
        });
    }

    getInvocation(commandId: string, instanceId: string): Promise<Invocation | undefined> {
        return this.world.call('ssm.getInvocation', [commandId, instanceId], () => {
            const cmd = this.commands.find((c) => c.id === commandId);
            if (!cmd) throw awsError('InvalidCommandId', 'Invalid command id.');
            if (cmd.instanceId !== instanceId) return undefined; // InvocationDoesNotExist
            cmd.polls++;
            // the preflight check is delayed like the others unless a test stalls only the later commands
            const check = scriptParams(cmd.commands).action === 'check';
            const invisible = check ? Math.min(this.invisiblePolls, this.checkStallLimit) : this.invisiblePolls;
            const running = check ? Math.min(this.runningPolls, this.checkStallLimit) : this.runningPolls;
            if (cmd.polls <= invisible) return undefined;
            if (cmd.polls <= invisible + running) return { state: 'pending', status: 'InProgress', stdout: '', stderr: '' };
            if (!cmd.result) {
                const play = scriptParams(cmd.commands).action === 'check' ? this.checkResponder : this.responder;
                const r = play(cmd.commands, { instanceId, comment: cmd.comment, world: this.world });
                if (PENDING.has(r.status)) return { state: 'pending', status: r.statusDetails ?? r.status, stdout: '', stderr: '' };
                cmd.result = r;
            }
            const r = cmd.result;
            return { state: r.status === 'Success' ? 'success' : 'failed', status: r.statusDetails ?? r.status, stdout: r.stdout, stderr: r.stderr };
        });
    }
}

// ---- the kmsuser script, played ---------------------------------------------------------------------

export interface ScriptParams {
    action: string;
    adopt: boolean;
    clusterId: string;
    adminUser: string;
    adminSecret: string;
    bootSecret: string;
}

/** The K_* parameters the script builder puts at the top of the script. */
export function scriptParams(commands: string[]): ScriptParams {
    const get = (name: string): string => {
        const line = commands.find((l) => l.startsWith(`${name}=`));
        const m = line ? /^[A-Z_]+='([^']*)'$/.exec(line) : null;
        return m ? m[1] : '';
    };
    return {
        action: get('K_ACTION'),
        adopt: get('K_ADOPT') === 'true',
        clusterId: get('K_CLUSTER'),
        adminUser: get('K_ADMIN_USER'),
        adminSecret: get('K_ADMIN_SECRET'),
        bootSecret: get('K_BOOT_SECRET'),
    };
}

const SUCCESS_CODES = new Set(['CHECKED', 'CREATED', 'ADOPTED', 'RESET', 'DELETED', 'ABSENT']);

/** Output as the script prints it: a detail line on failure, then the result marker; Failed on a failure. */
export function scriptOutput(code: string, detail?: string): CommandResult {
    const ok = SUCCESS_CODES.has(code);
    const lines = [...(detail ? [`KMSUSER_DETAIL=${detail}`] : []), `KMSUSER_RESULT=${code}`];
    return { status: ok ? 'Success' : 'Failed', stdout: `${lines.join('\n')}\n`, stderr: '' };
}

/** A responder that always answers the same. */
export function respondWith(code: string, detail?: string): Responder {
    return () => scriptOutput(code, detail);
}

/**
 * The default responder: what the script would do on an instance whose cloudhsm-cli and aws CLI work,
 * against the fake cluster's kmsuser. It reads the secrets the way the instance would (not through the
 * handler's adapter, so those reads are not the handler's).
 */
export const kmsUserScriptResponder: Responder = (commands, { world }) => {
    const p = scriptParams(commands);
    const cluster = world.hsm.clusters.get(p.clusterId);
    if (!cluster) return scriptOutput('UNEXPECTED_OUTPUT', `cloudhsm-cli user list failed: cluster ${p.clusterId} is not configured on the instance`);
    const readable = (id: string) => {
        const s = world.secrets.find(id);
        return Boolean(s && !s.deleted);
    };
    const needSecrets = (boot: boolean): CommandResult | undefined => {
        if (!readable(p.adminSecret)) return scriptOutput('SECRET_UNREADABLE', `admin password secret '${p.adminSecret}' could not be read: ResourceNotFoundException`);
        if (boot && !readable(p.bootSecret)) return scriptOutput('SECRET_UNREADABLE', `kmsuser bootstrap password secret '${p.bootSecret}' could not be read: ResourceNotFoundException`);
        return undefined;
    };
    const bootstrap = () => world.secrets.find(p.bootSecret)?.value;
    switch (p.action) {
        case 'check': {
            if (cluster.kmsUser && !p.adopt) return scriptOutput('KMSUSER_EXISTS', `a user named kmsuser (role 'crypto-user') already exists in ${p.clusterId} and AdoptExistingKmsUser is false`);
            return needSecrets(false) ?? scriptOutput('CHECKED');
        }
        case 'create': {
            if (cluster.kmsUser && !p.adopt) return scriptOutput('KMSUSER_EXISTS', `a user named kmsuser (role 'crypto-user') already exists in ${p.clusterId} and AdoptExistingKmsUser is false`);
            const missing = needSecrets(true);
            if (missing) return missing;
            const existed = cluster.kmsUser;
            cluster.kmsUser = true;
            cluster.kmsUserPassword = bootstrap();
            return scriptOutput(existed ? 'ADOPTED' : 'CREATED');
        }
        case 'reset': {
            const missing = needSecrets(true);
            if (missing) return missing;
            const existed = cluster.kmsUser;
            cluster.kmsUser = true;
            cluster.kmsUserPassword = bootstrap();
            return scriptOutput(existed ? 'RESET' : 'CREATED');
        }
        case 'delete': {
            if (!cluster.kmsUser) return scriptOutput('ABSENT');
            const missing = needSecrets(false);
            if (missing) return missing;
            cluster.kmsUser = false;
            return scriptOutput('DELETED');
        }
        default:
            return scriptOutput('UNEXPECTED_OUTPUT', 'unknown action');
    }
};
