/**
 * In-memory fakes of the four adapters the workflows use (src/aws/adapters.ts `Adapters`), with the
 * real service rules that matter to the handler (kept equal to the simulator's by test/agreement):
 * - KMS custom key stores: unique names, one store per cluster family, identical-retry of a DISCONNECTED
 *   store returns its id, the ConnectionState machine (connect / disconnect settle after a configurable
 *   number of describes or seconds of fake time), update and delete state rules, paging; Connect refuses
 *   at once a cluster that is not ACTIVE or has no ACTIVE HSM.
 *   A connect that would succeed logs in as kmsuser (checkPasswords) when it settles: USER_NOT_FOUND
 *   without one, INVALID_CREDENTIALS when the store's password is not kmsuser's (USER_LOCKED_OUT once
 *   five in a row failed, until kmsuser's password is changed); when CONNECTED, KMS rotates it and stays
 *   logged in until the store is disconnected. A kmsuser with MFA fails INVALID_CREDENTIALS, one on some HSMs
 *   only USER_NOT_FOUND. Any update needs two active HSMs in two zones on the store's cluster. With
 *   `staleSeconds` (the simulator's kmsStaleSeconds; 0 by default here), describes show a store as it was before a
 *   connect, disconnect or update for that long, and a connect inside it uses the password from before an update.
 * - KMS keys: key states, default key policy, the policy and tag checks, 7-30 day deletion windows; DescribeKey
 *   refuses (AccessDeniedException) a key whose policy keeps the caller out (the simulator's rule, key-policy.ts).
 * - CloudHSM clusters with HSMs in AZs, and kmsuser (exists, password), one per cluster.
 * - Secrets Manager: ClientRequestToken idempotency, force delete (the name stays taken for
 *   purgeSeconds), scheduled deletion; every value ever stored is kept so tests can scan outputs for it.
 * - SSM: ping status, Run Command, comment lookup (timed: listed only visibleSeconds after SendCommand, as the
 *   simulator's ListCommands), invocations that are invisible for a few polls
 *   (InvocationDoesNotExist), then InProgress, then the responder's result (or, with `timing`, the same
 *   by fake time, as the simulator does); a command for an instance that is not Online waits for it
 *   until its delivery times out. The default responder plays the kmsuser script (K_ACTION / K_ADOPT /
 *   K_CLUSTER / K_*_SECRET lines) against the fake cluster (the instance's own when it is attached to
 *   one): CREATED / ADOPTED / RESET / DELETED / ABSENT, KMSUSER_EXISTS, SECRET_UNREADABLE,
 *   KMSUSER_LOGGED_IN, KMSUSER_MFA, KMSUSER_PARTIAL, CLI_MISSING; kmsuser's password becomes the bootstrap secret's value, as on a
 *   real instance.
 * - Parameter Store: String parameters with the name and value rules of PutParameter.
 * - EC2 (FakeEc2): the clusters' security groups and subnets, and what KMS makes of them, as the simulator has it.
 * test/agreement runs the same scenarios against this fake and the simulator (local/sim) and fails when
 * they answer differently: the simulator is the reference.
 * Every call is recorded in one shared CallLog (op = "service.method"). Errors are plain Errors whose
 * `name` is the AWS error name, as the SDK v3 clients throw them. One-shot faults can be injected on any
 * op, and a "crash" after any op's side effect (the invocation never answers) can be armed for the driver.
 */
import { createHash } from 'crypto';
import type { Cluster, ClusterHsm, CloudHsmAdapter } from '../../src/aws/cloudhsm';
import type { ConnectionState, HiddenKey, KeyMembership, KeyPage, KeyStore, KeyStorePage, KeyTag, KmsAdapter, KmsKey } from '../../src/aws/kms';
import { keyPolicyDecision } from '../../local/sim/services/key-policy';
import type { Ec2Adapter, SecurityGroup, SecurityGroupRule, Subnet } from '../../src/aws/ec2';
import type { SecretInfo, SecretsAdapter } from '../../src/aws/secrets';
import type { Invocation, SsmAdapter } from '../../src/aws/ssm';
import type { Clock } from '../../src/engine/runner';
import type { Adapters } from '../../src/keystore/types';

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
    'kms.createStore',
    'kms.connect',
    'kms.disconnect',
    'kms.update',
    'kms.deleteStore',
    'secrets.create',
    'secrets.forceDelete',
    'ssm.sendShellScript',
    'ssm.putParameter',
    'ssm.deleteParameter',
    'kms.createKey',
    'kms.putKeyPolicy',
    'kms.updateKeyDescription',
    'kms.enableKey',
    'kms.disableKey',
    'kms.tagResource',
    'kms.untagResource',
    'kms.scheduleKeyDeletion',
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
    readonly ec2: FakeEc2;
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
        this.ec2 = new FakeEc2(this);
        worldsOfThisTest.push(this);
    }

    adapters(): Adapters {
        return {
            kms: this.kms as unknown as KmsAdapter,
            hsm: this.hsm as unknown as CloudHsmAdapter,
            secrets: this.secrets as unknown as SecretsAdapter,
            ssm: this.ssm as unknown as SsmAdapter,
            ec2: this.ec2 as unknown as Ec2Adapter,
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
        this.ssm.deliverDue();
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
    /** A connect: what it was set to turn into; what it does turn into is decided when it settles. */
    outcome?: ConnectOutcome;
    /** Settles on the describe that brings this to 0. */
    describesLeft?: number;
    /** Or settles once fake time reaches this (on any call that looks at the store). */
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
    /** KMS is logged in to the cluster as kmsuser (from a successful connect until the disconnect settles). */
    loggedIn?: boolean;
    /** What describes show until `until` (fake ms) after a change by connect, disconnect or update (staleSeconds). */
    stale?: { name: string; clusterId: string; state: ConnectionState; connectionErrorCode?: string; password: string; until: number };
    /** The password the connect in progress logs in with (the one from before an update inside the stale window). */
    connectPassword?: string;
}

/** A KMS key of the fake: keys in a store need it CONNECTED to be created and are Unavailable otherwise. */
export interface FakeKey {
    id: string;
    storeId?: string;
    deletionDate?: Date;
    enabled?: boolean;
    description?: string;
    /** undefined: KMS's default key policy. */
    policy?: string;
    tags?: KeyTag[];
}

const KEY_ARN_PREFIX = `arn:aws:kms:${REGION}:${ACCOUNT}:key/`;

/** DescribeKey is authorized by the key's own policy; whom that lets in is decided as the simulator decides it. */
const describable = (k: FakeKey) => keyPolicyDecision(k.policy, ACCOUNT, 'kms:DescribeKey') === 'allowed';
const MAX_TAGS = 50;

/** KMS's default key policy: the account's root user may do everything (as the simulator answers it). */
export function defaultKeyPolicy(): string {
    return JSON.stringify({
        Version: '2012-10-17',
        Id: 'key-default-1',
        Statement: [
            { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
        ],
    });
}

/** MalformedPolicyDocumentException as the simulator models it: not JSON, no statement, or (without the bypass) a lockout. */
function checkPolicy(text: string, bypass: boolean | undefined): void {
    if (text.length < 1 || text.length > 32768) throw awsError('ValidationException', 'Policy must be 1-32768 characters');
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch {
        throw awsError('MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
    }
    const statements = (doc as { Statement?: unknown })?.Statement;
    const list = Array.isArray(statements) ? statements : statements && typeof statements === 'object' ? [statements] : [];
    if (!list.length) throw awsError('MalformedPolicyDocumentException', 'The key policy must contain at least one statement.');
    if (bypass) return;
    const allows = list.some((st: { Effect?: unknown; Action?: unknown }) => {
        const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
        return st.Effect === 'Allow' && actions.some((a) => a === 'kms:*' || a === '*' || a === 'kms:PutKeyPolicy');
    });
    if (!allows) throw awsError('MalformedPolicyDocumentException', 'The new key policy will not allow you to update the key policy in the future.');
}

/** Tags as CreateKey and TagResource take them: TagKey 1-128, TagValue 0-256, no aws: prefix, one value per key. */
function checkTags(tags: KeyTag[]): void {
    for (const t of tags) {
        if (t.key.length < 1 || t.key.length > 128 || t.value.length > 256)
            throw awsError('ValidationException', 'TagKey must be 1-128 and TagValue 0-256 characters');
    }
    for (const t of tags) if (t.key.toLowerCase().startsWith('aws:')) throw awsError('TagException', `Tag key ${t.key} uses the reserved prefix aws:.`);
    if (new Set(tags.map((t) => t.key)).size !== tags.length) throw awsError('TagException', 'Duplicate tag keys in the request.');
}

/** Two PEM texts of one certificate: line endings and blanks do not count. */
function samePem(a: string, b: string): boolean {
    const norm = (x: string) => x.replace(/\s+/g, '');
    return norm(a) === norm(b);
}

function checkLength(what: string, value: string | undefined, min: number, max: number): void {
    if (value !== undefined && (value.length < min || value.length > max)) throw awsError('ValidationException', `${what} must be ${min}-${max} characters`);
}

export class FakeKms implements PublicOf<KmsAdapter> {
    /** A connect shows its outcome on the Nth describe after it (unless connectSeconds is set). */
    connectDescribes = 3;
    /** When set, a connect settles this many seconds of fake time after it was asked for. */
    connectSeconds?: number;
    disconnectDescribes = 2;
    /** When set, a disconnect settles this many seconds of fake time after it was asked for. */
    disconnectSeconds?: number;
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
    /** UpdateCustomKeyStore renames a CONNECTED store (the current KMS model); false: DISCONNECTED only (older SDK docs), as the simulator's setting. */
    renameConnectedStore = true;
    /**
     * KMS's eventual consistency, as the simulator's kmsStaleSeconds: for this many fake seconds after a connect,
     * disconnect or update changed a store, describes show it as it was before, and a connect uses the password it had
     * before an update. 0 (the default here): none.
     */
    staleSeconds = 0;
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
        if (rec.state === 'CONNECTED' && p.loggedIn === undefined) rec.loggedIn = true;
        this.stores.set(rec.id, rec);
        return rec;
    }

    /** Adds `n` KMS keys in the given store (undefined: ordinary KMS keys). Returns their ids. */
    /** `policy`: someone else's key policy (undefined: KMS's default, which lets the account in). */
    addKeys(storeId: string | undefined, n: number, policy?: string): string[] {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
            const id = `${hex(`key-${this.keys.length}`, 8)}-${hex(`k2-${this.keys.length}`, 4)}-4${hex(`k3-${this.keys.length}`, 3)}-8${hex(`k4-${this.keys.length}`, 3)}-${hex(`k5-${this.keys.length}`, 12)}`;
            this.keys.push({ id, storeId, ...(policy !== undefined ? { policy } : {}) });
            ids.push(id);
        }
        return ids;
    }

    store(id: string): StoreRec | undefined {
        this.settleDue();
        return this.stores.get(id);
    }

    all(): StoreRec[] {
        this.settleDue();
        return [...this.stores.values()];
    }

    /** Whether KMS is logged in to this cluster as kmsuser (a store on it connected, or still disconnecting). */
    loggedInTo(clusterId: string): boolean {
        return this.all().some((s) => s.loggedIn && s.clusterId === clusterId);
    }

    // -- the adapter --

    describeStore(id: string): Promise<KeyStore | undefined> {
        return this.world.call('kms.describeStore', [id], () => {
            const rec = this.store(id);
            if (!rec) return undefined;
            this.settle(rec);
            return view(this.shown(rec));
        });
    }

    describeStoreByName(name: string): Promise<KeyStore | undefined> {
        return this.world.call('kms.describeStoreByName', [name], () => {
            const rec = this.all().find((s) => this.shown(s).name === name);
            if (!rec) return undefined;
            this.settle(rec);
            return view(this.shown(rec));
        });
    }

    listStores(marker?: string, limit?: number): Promise<KeyStorePage> {
        return this.world.call('kms.listStores', [marker, limit], () => {
            const all = this.all();
            const start = marker === undefined ? 0 : parsePageMarker(marker, 'stores');
            const size = Math.min(limit ?? this.storePageSize, this.storePageSize);
            const page = all.slice(start, start + size);
            const next = start + size < all.length ? `stores:${start + size}` : undefined;
            return { stores: page.map((s) => view(this.shown(s))), next };
        });
    }

    /** The simulator's order: input constraints, identical retry, name, quota, cluster in use, the cluster, the trust anchor. */
    createStore(p: { name: string; clusterId: string; trustAnchor: string; password: string }): Promise<string> {
        return this.world.call('kms.createStore', [p], () => {
            checkLength('CustomKeyStoreName', p.name, 1, 256);
            checkLength('TrustAnchorCertificate', p.trustAnchor, 1, 5000);
            checkLength('KeyStorePassword', p.password, 7, 32);
            const same = this.all().find(
                (s) =>
                    s.name === p.name &&
                    s.clusterId === p.clusterId &&
                    s.trustAnchor === p.trustAnchor &&
                    s.password === p.password &&
                    s.state === 'DISCONNECTED',
            );
            if (same) return same.id; // "recognizes the duplicate as the likely consequence of a retry"
            if (this.all().some((s) => s.name === p.name))
                throw awsError(
                    'CustomKeyStoreNameInUseException',
                    `The specified custom key store name is already assigned to another custom key store in the account.`,
                );
            if (this.stores.size >= this.maxStores) throw awsError('LimitExceededException', 'You have reached the quota of custom key stores.');
            const cluster = this.world.hsm.clusters.get(p.clusterId);
            if (cluster && this.all().some((s) => this.familyOf(s.clusterId) === cluster.family)) {
                throw awsError(
                    'CloudHsmClusterInUseException',
                    `The AWS CloudHSM cluster ${p.clusterId} is already associated with a custom key store or shares a backup history with such a cluster.`,
                );
            }
            this.checkCluster(p.clusterId);
            if (cluster?.trustAnchor !== undefined && !samePem(cluster.trustAnchor, p.trustAnchor))
                throw awsError('IncorrectTrustAnchorException', 'The trust anchor certificate does not match the cluster.');
            const rec: StoreRec = {
                id: this.newId(),
                name: p.name,
                clusterId: p.clusterId,
                trustAnchor: p.trustAnchor,
                password: p.password,
                state: 'DISCONNECTED',
                type: 'AWS_CLOUDHSM',
            };
            this.stores.set(rec.id, rec);
            return rec.id;
        });
    }

    connect(id: string): Promise<void> {
        return this.world.call('kms.connect', [id], () => {
            const rec = this.mustFind(id);
            if (rec.state === 'DISCONNECTING' || rec.state === 'FAILED') throw invalidState(rec, 'ConnectCustomKeyStore');
            if (rec.state !== 'DISCONNECTED') return; // CONNECTED / CONNECTING: nothing to do
            // Connect's own errors, answered at once (the store stays DISCONNECTED); a missing cluster shows up later as FAILED.
            const cluster = this.world.hsm.clusters.get(rec.clusterId);
            if (cluster && cluster.state !== 'ACTIVE')
                throw awsError('CloudHsmClusterNotActiveException', `The AWS CloudHSM cluster ${cluster.id} is not active.`);
            if (cluster && !cluster.hsms.some((h) => h.state === 'ACTIVE'))
                throw awsError('CloudHsmClusterInvalidConfigurationException', `The AWS CloudHSM cluster ${cluster.id} does not contain an active HSM.`);
            const outcome = this.connectOutcomes.length ? (this.connectOutcomes.shift() as ConnectOutcome) : this.defaultConnectOutcome;
            // inside the stale window after an update, the connect logs in with the password from before it
            const stalePassword = rec.stale && this.world.clock.now() < rec.stale.until ? rec.stale.password : undefined;
            this.beforeChange(rec);
            rec.connectPassword = stalePassword !== undefined && stalePassword !== rec.password ? stalePassword : undefined;
            rec.state = 'CONNECTING';
            rec.connectionErrorCode = undefined;
            const settle =
                this.connectSeconds !== undefined ? { at: this.world.clock.now() + this.connectSeconds * 1000 } : { describesLeft: this.connectDescribes };
            rec.transition = outcome === 'NEVER' ? { to: 'CONNECTING' } : { to: 'CONNECTED', outcome, ...settle };
        });
    }

    disconnect(id: string): Promise<void> {
        return this.world.call('kms.disconnect', [id], () => {
            const rec = this.mustFind(id);
            if (rec.state === 'DISCONNECTING' || rec.state === 'DISCONNECTED') throw invalidState(rec, 'DisconnectCustomKeyStore');
            this.beforeChange(rec);
            rec.state = 'DISCONNECTING';
            rec.connectionErrorCode = undefined;
            const settle =
                this.disconnectSeconds !== undefined
                    ? { at: this.world.clock.now() + this.disconnectSeconds * 1000 }
                    : { describesLeft: this.disconnectDescribes };
            rec.transition = { to: 'DISCONNECTED', ...settle };
        });
    }

    update(id: string, change: { name?: string; clusterId?: string; password?: string }): Promise<void> {
        return this.world.call('kms.update', [id, change], () => {
            checkLength('NewCustomKeyStoreName', change.name, 1, 256);
            checkLength('KeyStorePassword', change.password, 7, 32);
            const rec = this.mustFind(id);
            if ((change.password !== undefined || change.clusterId !== undefined) && rec.state !== 'DISCONNECTED')
                throw invalidState(rec, 'UpdateCustomKeyStore (KeyStorePassword / CloudHsmClusterId)');
            if (change.name !== undefined && rec.state !== 'DISCONNECTED' && (rec.state !== 'CONNECTED' || !this.renameConnectedStore))
                throw invalidState(rec, 'UpdateCustomKeyStore (NewCustomKeyStoreName)');
            if (change.name !== undefined && this.all().some((s) => s.id !== id && s.name === change.name))
                throw awsError(
                    'CustomKeyStoreNameInUseException',
                    'The specified custom key store name is already assigned to another custom key store in the account.',
                );
            if (change.clusterId !== undefined && change.clusterId !== rec.clusterId) {
                const cluster = this.world.hsm.clusters.get(change.clusterId);
                if (!cluster) throw awsError('CloudHsmClusterNotFoundException', `AWS KMS cannot find the AWS CloudHSM cluster ${change.clusterId}.`);
                if (cluster.family !== this.familyOf(rec.clusterId))
                    throw awsError('CloudHsmClusterNotRelatedException', `The cluster ${change.clusterId} is not related to ${rec.clusterId}.`);
                this.checkCluster(change.clusterId);
            } else if (change.name !== undefined || change.password !== undefined || change.clusterId !== undefined) {
                // any change needs two active HSMs in two zones, as the simulator has it (KMS API reference)
                this.checkCluster(rec.clusterId);
            }
            const changed =
                (change.name !== undefined && change.name !== rec.name) ||
                (change.password !== undefined && change.password !== rec.password) ||
                (change.clusterId !== undefined && change.clusterId !== rec.clusterId);
            if (changed) this.beforeChange(rec);
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

    keyStoreOfKey(keyId: string): Promise<KeyMembership | HiddenKey | undefined> {
        return this.world.call('kms.keyStoreOfKey', [keyId], (): KeyMembership | HiddenKey | undefined => {
            const key = this.findKey(keyId);
            if (key && !describable(key)) return { hidden: true, keyId };
            if (!key?.storeId) return undefined;
            return key.deletionDate ? { storeId: key.storeId, deletionDate: key.deletionDate } : { storeId: key.storeId };
        });
    }

    describeKey(keyId: string): Promise<KmsKey | undefined> {
        return this.world.call('kms.describeKey', [keyId], () => {
            const k = this.findKey(keyId);
            if (k && !describable(k))
                throw awsError('AccessDeniedException', `User: the caller is not authorized to perform: kms:DescribeKey on resource: ${KEY_ARN_PREFIX}${k.id}`);
            return k ? this.metadata(k) : undefined;
        });
    }

    createKey(p: { storeId: string; description?: string; policy?: string; bypassPolicyLockoutSafetyCheck?: boolean; tags?: KeyTag[] }): Promise<KmsKey> {
        return this.world.call('kms.createKey', [p], () => {
            if (p.tags) checkTags(p.tags);
            if (p.policy !== undefined) checkPolicy(p.policy, p.bypassPolicyLockoutSafetyCheck);
            if (p.tags && p.tags.length > MAX_TAGS) throw awsError('TagException', `A KMS key can have at most ${MAX_TAGS} tags.`);
            if (p.description !== undefined) checkLength('Description', p.description, 0, 8192);
            const store = this.mustFind(p.storeId);
            if (store.state !== 'CONNECTED') throw invalidState(store, 'CreateKey');
            const cluster = this.world.hsm.clusters.get(store.clusterId);
            if (!cluster || !twoZones(cluster))
                throw awsError('CloudHsmClusterInvalidConfigurationException', 'The cluster needs two active HSMs in different Availability Zones.');
            const [id] = this.addKeys(p.storeId, 1);
            const k = this.keys.find((x) => x.id === id) as FakeKey;
            Object.assign(k, { enabled: true, description: p.description ?? '', policy: p.policy, tags: [...(p.tags ?? [])] });
            return this.metadata(k);
        });
    }

    getKeyPolicy(keyId: string): Promise<string> {
        return this.world.call('kms.getKeyPolicy', [keyId], () => this.mustFindKey(keyId).policy ?? defaultKeyPolicy());
    }

    putKeyPolicy(keyId: string, policy: string, bypassPolicyLockoutSafetyCheck?: boolean): Promise<void> {
        return this.world.call('kms.putKeyPolicy', [keyId, policy, bypassPolicyLockoutSafetyCheck], () => {
            const k = this.liveKey(keyId);
            checkPolicy(policy, bypassPolicyLockoutSafetyCheck);
            k.policy = policy;
        });
    }

    updateKeyDescription(keyId: string, description: string): Promise<void> {
        return this.world.call('kms.updateKeyDescription', [keyId, description], () => {
            checkLength('Description', description, 0, 8192);
            this.liveKey(keyId).description = description;
        });
    }

    /** An Unavailable key (its store not CONNECTED) takes the change; it shows once the store is connected again. */
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
            checkTags(tags);
            const k = this.liveKey(keyId);
            const merged = [...(k.tags ?? []).filter((t) => !tags.some((n) => n.key === t.key)), ...tags];
            if (merged.length > MAX_TAGS) throw awsError('LimitExceededException', `A KMS key can have at most ${MAX_TAGS} tags.`);
            k.tags = merged;
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
            if (!Number.isInteger(days) || days < 7 || days > 30)
                throw awsError('ValidationException', 'PendingWindowInDays value must be between 7 and 30, inclusive.');
            const k = this.liveKey(keyId);
            k.deletionDate = new Date(this.world.clock.now() + days * 86_400_000);
            return k.deletionDate;
        });
    }

    // -- internals --

    /** A key by id or key ARN. */
    private findKey(keyId: string): FakeKey | undefined {
        const id = keyId.startsWith(KEY_ARN_PREFIX) ? keyId.slice(KEY_ARN_PREFIX.length) : keyId;
        return this.keys.find((x) => x.id === id);
    }

    private mustFindKey(keyId: string): FakeKey {
        const k = this.findKey(keyId);
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
        const connected = !k.storeId || this.store(k.storeId)?.state === 'CONNECTED';
        const state = k.deletionDate ? 'PendingDeletion' : !connected ? 'Unavailable' : k.enabled === false ? 'Disabled' : 'Enabled';
        return {
            id: k.id,
            arn: `${KEY_ARN_PREFIX}${k.id}`,
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

    /** KMS's checks of a cluster for a store (create, or a move by update). */
    private checkCluster(clusterId: string): void {
        const cluster = this.world.hsm.clusters.get(clusterId);
        if (!cluster) throw awsError('CloudHsmClusterNotFoundException', `AWS KMS cannot find the AWS CloudHSM cluster ${clusterId}.`);
        if (cluster.state !== 'ACTIVE') throw awsError('CloudHsmClusterNotActiveException', `The AWS CloudHSM cluster ${clusterId} is not active.`);
        if (!twoZones(cluster))
            throw awsError(
                'CloudHsmClusterInvalidConfigurationException',
                `The AWS CloudHSM cluster ${clusterId} needs two active HSMs in different Availability Zones.`,
            );
        const network = this.world.ec2.configurationError(cluster);
        if (network) throw awsError('CloudHsmClusterInvalidConfigurationException', network);
    }

    /** Stores KMS keeps connected to a cluster: each holds an address in every subnet of the cluster. */
    connectedTo(clusterId: string): number {
        return this.all().filter((s) => s.clusterId === clusterId && s.state === 'CONNECTED').length;
    }

    /** Before a change by connect, disconnect or update: describes go on showing the store as it is now (the simulator's rule). */
    private beforeChange(rec: StoreRec): void {
        if (!(this.staleSeconds > 0)) return;
        const now = this.world.clock.now();
        if (!rec.stale || now >= rec.stale.until)
            rec.stale = {
                name: rec.name,
                clusterId: rec.clusterId,
                state: rec.state,
                connectionErrorCode: rec.connectionErrorCode,
                password: rec.password,
                until: now,
            };
        rec.stale.until = now + this.staleSeconds * 1000;
    }

    /** The store as a describe shows it now. */
    private shown(rec: StoreRec): StoreRec {
        if (!rec.stale || this.world.clock.now() >= rec.stale.until) return rec;
        const { name, clusterId, state, connectionErrorCode } = rec.stale;
        return { ...rec, name, clusterId, state, connectionErrorCode };
    }

    private newId(): string {
        this.made++;
        return `cks-${hex(`store-${this.made}`, 17)}`;
    }

    private familyOf(clusterId: string): string {
        return this.world.hsm.clusters.get(clusterId)?.family ?? clusterId;
    }

    private mustFind(id: string): StoreRec {
        const rec = this.store(id);
        if (!rec) throw awsError('CustomKeyStoreNotFoundException', `AWS KMS cannot find a custom key store with the specified key store ID ${id}.`);
        return rec;
    }

    /** Transitions timed in fake seconds settle on whatever looks at the store once their time has come. */
    private settleDue(): void {
        const now = this.world.clock.now();
        for (const rec of this.stores.values()) if (rec.transition?.at !== undefined && now >= rec.transition.at) this.finish(rec);
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
        this.finish(rec);
    }

    /** The transition's end: a connect logs in as kmsuser now, against the cluster as it is now. */
    private finish(rec: StoreRec): void {
        const t = rec.transition as Transition;
        rec.transition = undefined;
        rec.connectionErrorCode = undefined;
        if (t.to === 'DISCONNECTED') {
            rec.state = 'DISCONNECTED';
            rec.loggedIn = false;
            return;
        }
        const fail = (code: string) => {
            rec.state = 'FAILED';
            rec.connectionErrorCode = code;
        };
        if (t.outcome !== 'CONNECTED') return fail(t.outcome ?? 'INTERNAL_ERROR');
        const cluster = this.world.hsm.clusters.get(rec.clusterId);
        if (!cluster) return fail('CLUSTER_NOT_FOUND');
        if (cluster.state !== 'ACTIVE' || !cluster.hsms.some((h) => h.state === 'ACTIVE')) return fail('INSUFFICIENT_CLOUDHSM_HSMS');
        const network = this.world.ec2.connectFailure(cluster);
        if (network) return fail(network);
        const password = rec.connectPassword ?? rec.password;
        rec.connectPassword = undefined;
        if (this.checkPasswords) {
            if (!cluster.kmsUser) return fail('USER_NOT_FOUND');
            // as the simulator: a kmsuser on some HSMs only is not found, one with MFA cannot be logged in as
            if (cluster.kmsUserCoverage !== 'full') return fail('USER_NOT_FOUND');
            if (cluster.kmsUserMfa) return fail('INVALID_CREDENTIALS');
            if (cluster.kmsUserLocked) return fail('USER_LOCKED_OUT');
            if (cluster.kmsUserPassword !== undefined && cluster.kmsUserPassword !== password) {
                cluster.kmsUserFailedLogins++;
                return fail('INVALID_CREDENTIALS');
            }
            this.rotations++;
            rec.password = `kmsRotated${hex(`rotation-${this.rotations}`, 20)}`;
            cluster.kmsUserPassword = rec.password;
        }
        rec.state = 'CONNECTED';
        rec.loggedIn = true;
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
    if (!m)
        throw awsError('InvalidMarkerException', 'The request was rejected because the marker that specifies where pagination should next begin is not valid.');
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
    /** Failed logins in a row (KMS's connects with a wrong password); at MAX_FAILED_LOGINS it is locked out. */
    failedLogins?: number;
    locked?: boolean;
    /** MFA registered (user list shows a non-empty "mfa"): KMS cannot log in as it. */
    mfa?: boolean;
    /** user list's "cluster-coverage" (default full); "inconsistent": on some HSMs only. */
    coverage?: string;
}

/** Failed logins after which the HSMs lock a user out until an admin changes its password (as the simulator has it). */
export const MAX_FAILED_LOGINS = 5;

export interface FakeCluster extends Cluster {
    /** Clusters of one family share backup history: KMS may move a store between them only. */
    family: string;
    /**
     * Whether kmsuser exists in this cluster. Each cluster has its own users (as in the simulator): a cluster
     * restored from a backup starts with the users the backup had, and goes its own way after that.
     */
    kmsUser: boolean;
    /** kmsuser's current password. */
    kmsUserPassword?: string;
    /** kmsuser is locked out after too many failed logins (a password change by an admin unlocks it). */
    kmsUserLocked: boolean;
    kmsUserFailedLogins: number;
    /** kmsuser has MFA registered (a new kmsuser has none). */
    kmsUserMfa: boolean;
    /** kmsuser's cluster-coverage: full (a new kmsuser), or e.g. inconsistent (on some HSMs only). */
    kmsUserCoverage: string;
    trustAnchor?: string;
}

export class FakeHsm implements PublicOf<CloudHsmAdapter> {
    readonly clusters = new Map<string, FakeCluster>();
    private readonly users = new Map<string, KmsUserState>();

    constructor(private readonly world: FakeAws) {}

    /** Default: ACTIVE, two ACTIVE HSMs in two AZs, no kmsuser, its own family. */
    addCluster(
        p: Partial<Omit<FakeCluster, 'kmsUser' | 'kmsUserPassword' | 'kmsUserLocked' | 'kmsUserFailedLogins' | 'kmsUserMfa' | 'kmsUserCoverage'>> & {
            id: string;
            kmsUser?: boolean;
        },
    ): FakeCluster {
        const family = p.family ?? p.id;
        if (!this.users.has(p.id)) this.users.set(p.id, { exists: false });
        const users = this.users.get(p.id) as KmsUserState;
        const c = {
            id: p.id,
            state: p.state ?? 'ACTIVE',
            hsms: p.hsms ?? hsmsIn(['us-east-1a', 'us-east-1b'], p.id),
            family,
            trustAnchor: p.trustAnchor,
            get kmsUser(): boolean {
                return users.exists;
            },
            /** A kmsuser made (or removed) anew: on every HSM, without MFA. */
            set kmsUser(v: boolean) {
                users.exists = v;
                if (!v) Object.assign(users, { password: undefined, failedLogins: 0, locked: false });
                Object.assign(users, { mfa: false, coverage: 'full' });
            },
            get kmsUserMfa(): boolean {
                return users.mfa ?? false;
            },
            set kmsUserMfa(v: boolean) {
                users.mfa = v;
            },
            get kmsUserCoverage(): string {
                return users.coverage ?? 'full';
            },
            set kmsUserCoverage(v: string) {
                users.coverage = v;
            },
            get kmsUserPassword(): string | undefined {
                return users.password;
            },
            /** A new password (set by an admin, or KMS's rotation) also unlocks the user. */
            set kmsUserPassword(v: string | undefined) {
                Object.assign(users, { password: v, failedLogins: 0, locked: false });
            },
            get kmsUserLocked(): boolean {
                return users.locked ?? false;
            },
            set kmsUserLocked(v: boolean) {
                users.locked = v;
            },
            get kmsUserFailedLogins(): number {
                return users.failedLogins ?? 0;
            },
            set kmsUserFailedLogins(v: number) {
                users.failedLogins = v;
                if (v >= MAX_FAILED_LOGINS) users.locked = true;
            },
        };
        if (p.kmsUser !== undefined) c.kmsUser = p.kmsUser;
        const old = this.clusters.get(c.id);
        Object.assign(c, {
            securityGroup: p.securityGroup ?? old?.securityGroup ?? `sg-${hex(`sg-${p.id}`, 17)}`,
            vpcId: p.vpcId ?? old?.vpcId ?? `vpc-${hex(`vpc-${p.id}`, 17)}`,
            subnetMapping: p.subnetMapping ?? old?.subnetMapping ?? {},
            ...(p.clusterCertificate ? { clusterCertificate: p.clusterCertificate } : {}),
        });
        this.clusters.set(c.id, c);
        this.addZones(c);
        return c;
    }

    /**
     * A subnet for every zone of the cluster's HSMs not yet in its subnet mapping, and the cluster's security group when
     * it has none: as the simulator's clusters get theirs (local/sim/services/ec2.ts).
     */
    addZones(c: FakeCluster): void {
        const mapping = { ...c.subnetMapping };
        for (const h of c.hsms) mapping[h.availabilityZone] ??= `subnet-${hex(`subnet-${c.id}-${h.availabilityZone}`, 17)}`;
        c.subnetMapping = mapping;
        this.world.ec2.addClusterNetwork(c);
    }

    describeCluster(id: string): Promise<Cluster | undefined> {
        return this.world.call('hsm.describeCluster', [id], () => {
            const c = this.clusters.get(id);
            if (!c) return undefined;
            return {
                id: c.id,
                state: c.state,
                hsms: c.hsms.map((h) => ({ ...h })),
                ...(c.securityGroup ? { securityGroup: c.securityGroup } : {}),
                ...(c.subnetMapping ? { subnetMapping: { ...c.subnetMapping } } : {}),
                ...(c.vpcId ? { vpcId: c.vpcId } : {}),
                ...(c.clusterCertificate ? { clusterCertificate: c.clusterCertificate } : {}),
            };
        });
    }
}

// ---- EC2 ----------------------------------------------------------------------------------------------------

/** A subnet of the fake: free addresses are the /24's 251, less its HSMs, KMS's connections and `usedByOthers`. */
export interface FakeSubnet {
    id: string;
    az: string;
    vpcId: string;
    usedByOthers: number;
}

const SUBNET_ADDRESSES = 251;

/**
 * The clusters' security groups (CloudHSM's default rule: TCP 2223-2225 in and out within the group) and subnets,
 * with the simulator's rules for KMS (local/sim/services/ec2.ts): CreateCustomKeyStore and a cluster move refuse a
 * cluster with subnets in fewer than two zones or without the rules (CloudHsmClusterInvalidConfigurationException);
 * a connect ends SUBNET_NOT_FOUND, NETWORK_ERRORS or INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET; a CONNECTED store holds an
 * address in each subnet.
 */
export class FakeEc2 implements PublicOf<Ec2Adapter> {
    readonly groups = new Map<string, SecurityGroup>();
    readonly subnets = new Map<string, FakeSubnet>();
    /** Subnets deleted by a test stay deleted when their cluster changes. */
    private readonly removed = new Set<string>();

    constructor(private readonly world: FakeAws) {}

    addClusterNetwork(c: FakeCluster): void {
        const sg = c.securityGroup as string;
        if (!this.groups.has(sg)) {
            const rule = (): SecurityGroupRule => ({ protocol: 'tcp', fromPort: 2223, toPort: 2225, groupIds: [sg] });
            this.groups.set(sg, {
                id: sg,
                name: `cloudhsm-cluster-${c.id.replace(/^cluster-/, '')}-sg`,
                vpcId: c.vpcId,
                inbound: [rule()],
                outbound: [rule()],
            });
        }
        for (const [az, id] of Object.entries(c.subnetMapping ?? {}))
            if (!this.subnets.has(id) && !this.removed.has(id)) this.subnets.set(id, { id, az, vpcId: c.vpcId as string, usedByOthers: 0 });
    }

    deleteSubnet(id: string): void {
        this.subnets.delete(id);
        this.removed.add(id);
    }

    freeAddresses(s: FakeSubnet): number {
        let used = s.usedByOthers;
        for (const c of this.world.hsm.clusters.values()) {
            if (c.subnetMapping?.[s.az] !== s.id) continue;
            used += c.hsms.filter((h) => h.availabilityZone === s.az && h.state !== 'DELETED').length + this.world.kms.connectedTo(c.id);
        }
        return Math.max(0, SUBNET_ADDRESSES - used);
    }

    /** Sets a subnet's free addresses (0 fills it). */
    setFreeAddresses(id: string, free: number): void {
        const s = this.subnets.get(id);
        if (!s) throw new Error(`fake: no subnet ${id}`);
        s.usedByOthers = Math.max(0, s.usedByOthers + this.freeAddresses(s) - free);
    }

    private open(c: Cluster): boolean {
        const g = c.securityGroup ? this.groups.get(c.securityGroup) : undefined;
        const covers = (rules: SecurityGroupRule[]) =>
            [2223, 2224, 2225].every((port) =>
                rules.some(
                    (r) =>
                        r.groupIds.includes(g!.id) &&
                        (r.protocol === '-1' ||
                            (r.protocol === 'tcp' && r.fromPort !== undefined && r.toPort !== undefined && r.fromPort <= port && port <= r.toPort)),
                ),
            );
        return !!g && covers(g.inbound) && covers(g.outbound);
    }

    configurationError(c: Cluster): string | undefined {
        if (Object.keys(c.subnetMapping ?? {}).length < 2) return `The AWS CloudHSM cluster ${c.id} needs private subnets in two Availability Zones.`;
        if (!this.open(c)) return `The security group of the AWS CloudHSM cluster ${c.id} must allow TCP 2223-2225 within itself.`;
        return undefined;
    }

    connectFailure(c: Cluster): string | undefined {
        const subnets = Object.values(c.subnetMapping ?? {}).map((id) => this.subnets.get(id));
        if (subnets.some((s) => !s)) return 'SUBNET_NOT_FOUND';
        if (!this.open(c)) return 'NETWORK_ERRORS';
        if (subnets.some((s) => this.freeAddresses(s!) < 1)) return 'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET';
        return undefined;
    }

    describeSecurityGroup(id: string): Promise<SecurityGroup | undefined> {
        return this.world.call('ec2.describeSecurityGroup', [id], () => {
            const g = this.groups.get(id);
            return g && structuredClone(g);
        });
    }

    describeSubnets(ids: string[]): Promise<Subnet[]> {
        return this.world.call('ec2.describeSubnets', [ids], () =>
            ids.flatMap((id) => {
                const s = this.subnets.get(id);
                return s ? [{ id: s.id, availabilityZone: s.az, vpcId: s.vpcId, availableIpAddressCount: this.freeAddresses(s), state: 'available' }] : [];
            }),
        );
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
    description?: string;
    deleted: boolean;
    /** Force-deleted: the name stays taken (it looks scheduled for deletion) until this fake time. */
    purgeAt?: number;
    /** A value that may show up anywhere (the CA certificate): not scanned for. */
    public: boolean;
    /** The handler must never read it (the admin password). */
    neverRead: boolean;
}

const SECRET_NAME_RE = /^[A-Za-z0-9/_+=.@-]+$/;

export class FakeSecrets implements PublicOf<SecretsAdapter> {
    /**
     * Fake seconds a force-deleted secret keeps its name: deletion is "an asynchronous background process, so
     * there might be a short delay" (DeleteSecret); meanwhile it looks scheduled for deletion. The simulator's
     * default (local/sim/state.ts secretPurgeSeconds).
     */
    purgeSeconds = 5;
    private readonly live = new Map<string, SecretRec>();
    /** Every value ever stored, public or not, in order. */
    readonly stored: Array<{ name: string; value: string; public: boolean }> = [];
    /** ARNs force-deleted, in order. */
    readonly forceDeleted: string[] = [];
    private made = 0;

    constructor(private readonly world: FakeAws) {}

    /** The secrets by name, force-deleted ones whose name is free again gone. */
    get secrets(): Map<string, SecretRec> {
        const now = this.world.clock.now();
        for (const [name, rec] of this.live) if (rec.purgeAt !== undefined && now >= rec.purgeAt) this.live.delete(name);
        return this.live;
    }

    /** Test set-up: a secret that already exists. */
    put(name: string, value: string, opts: { public?: boolean; neverRead?: boolean } = {}): SecretRec {
        const rec = this.newRec(name, value, undefined, undefined, opts);
        this.secrets.set(name, rec);
        return rec;
    }

    /** Test set-up: a secret scheduled for deletion (DescribeSecret shows DeletedDate). */
    scheduleDeletion(nameOrArn: string): void {
        const rec = this.find(nameOrArn);
        if (rec) rec.deleted = true;
    }

    find(id: string): SecretRec | undefined {
        const secrets = this.secrets;
        return secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id);
    }

    /** Values that must never leak: everything stored except public ones. */
    secretValues(): string[] {
        return this.stored.filter((s) => !s.public).map((s) => s.value);
    }

    /** Secrets the handler made (bootstrap secrets), whether still there or not. */
    madeByHandler(): string[] {
        return this.world.log
            .of('secrets.create')
            .filter((c) => !c.threw)
            .map((c) => (c.args[0] as { name: string }).name);
    }

    /** Names of secrets the handler made that still exist (a failed or finished operation leaves none); a force-deleted one does not. */
    leftover(): string[] {
        return [...new Set(this.madeByHandler())].filter((name) => {
            const rec = this.secrets.get(name);
            return rec !== undefined && rec.purgeAt === undefined;
        });
    }

    describe(secretId: string): Promise<SecretInfo | undefined> {
        return this.world.call('secrets.describe', [secretId], () => {
            const rec = this.find(secretId);
            return rec
                ? { arn: rec.arn, name: rec.name, deleted: rec.deleted, ...(rec.description !== undefined ? { description: rec.description } : {}) }
                : undefined;
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

    /** The simulator's order: input constraints (ValidationException), the name's characters, then the name's secret. */
    create(p: { name: string; value: string; token: string; description: string }): Promise<string> {
        return this.world.call('secrets.create', [p], () => {
            if (p.name.length < 1 || p.name.length > 512) throw awsError('ValidationException', 'Name must be 1-512 characters.');
            if (p.token.length < 32 || p.token.length > 64) throw awsError('ValidationException', 'ClientRequestToken must be 32-64 characters.');
            if (p.description.length > 2048) throw awsError('ValidationException', 'Description must be at most 2048 characters.');
            if (p.value.length > 65536) throw awsError('ValidationException', 'SecretString must be at most 65536 characters.');
            if (!SECRET_NAME_RE.test(p.name))
                throw awsError(
                    'InvalidParameterException',
                    'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
                );
            const existing = this.secrets.get(p.name);
            if (existing) {
                if (existing.deleted)
                    throw awsError(
                        'InvalidRequestException',
                        "You can't create this secret because a secret with this name is already scheduled for deletion.",
                    );
                if (existing.token === p.token && existing.value === p.value) return existing.arn; // an identical retry is ignored
                if (existing.token === p.token)
                    throw awsError(
                        'ResourceExistsException',
                        `You can't use ClientRequestToken ${p.token} because that value is already in use for a version of secret ${existing.arn}.`,
                    );
                throw awsError('ResourceExistsException', `The operation failed because the secret ${p.name} already exists.`);
            }
            const rec = this.newRec(p.name, p.value, p.token, p.description, {});
            this.secrets.set(p.name, rec);
            return rec.arn;
        });
    }

    scheduleDelete(secretId: string, days: number): Promise<void> {
        return this.world.call('secrets.scheduleDelete', [secretId, days], () => {
            if (days < 7 || days > 30) throw awsError('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
            const rec = this.find(secretId);
            if (!rec) return; // the adapter's answer to ResourceNotFoundException
            if (rec.deleted)
                throw awsError('InvalidRequestException', "You can't perform this operation on the secret because it was already scheduled for deletion.");
            rec.deleted = true;
        });
    }

    forceDelete(secretId: string): Promise<void> {
        return this.world.call('secrets.forceDelete', [secretId], () => {
            const rec = this.find(secretId);
            if (!rec) return; // "does not return ResourceNotFoundException"
            if (rec.purgeAt !== undefined) return; // already being deleted
            rec.deleted = true;
            rec.purgeAt = this.world.clock.now() + this.purgeSeconds * 1000;
            this.forceDeleted.push(rec.arn);
            void this.secrets; // purged at once when purgeSeconds is 0
        });
    }

    private newRec(
        name: string,
        value: string,
        token: string | undefined,
        description: string | undefined,
        opts: { public?: boolean; neverRead?: boolean },
    ): SecretRec {
        this.made++;
        const suffix = hex(`secret-${this.made}`, 6).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]);
        this.stored.push({ name, value, public: Boolean(opts.public) });
        return {
            arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`,
            name,
            value,
            token,
            ...(description !== undefined ? { description } : {}),
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
    /** Fake time of the SendCommand. */
    sentAt: number;
    /** Fake time the agent got it (undefined while the instance is not Online). */
    deliveredAt?: number;
    result?: CommandResult;
}

export type Responder = (commands: string[], info: { instanceId: string; comment: string; world: FakeAws }) => CommandResult;

/**
 * Run Command by fake time, as the simulator has it: GetCommandInvocation knows an invocation `visibleSeconds`
 * after SendCommand; the agent starts it `startSeconds` after SendCommand (or when its instance comes back
 * online), and its result is there `runSeconds` later.
 */
export interface SsmTiming {
    visibleSeconds: number;
    startSeconds: number;
    runSeconds: number;
}

/** What the fake knows of a managed instance besides its ping status. */
export interface InstanceInfo {
    /** cloudhsm-cli installed (default true): without it the kmsuser script answers CLI_MISSING. */
    cloudHsmCli?: boolean;
    /** The cluster its cloudhsm-cli is configured for; the script acts on it (default: the script's K_CLUSTER). */
    clusterId?: string;
}

const PENDING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

export class FakeSsm implements PublicOf<SsmAdapter> {
    /** Instance id -> SSM ping status. */
    readonly instances = new Map<string, string>();
    readonly instanceInfo = new Map<string, InstanceInfo>();
    /** Parameter Store: name -> value. */
    readonly parameters = new Map<string, string>();
    readonly commands: CommandRec[] = [];
    /** GetCommandInvocation answers InvocationDoesNotExist (adapter: undefined) for this many polls. */
    invisiblePolls = 1;
    /** ...then InProgress for this many. */
    runningPolls = 1;
    /** When set, invocations follow fake time instead of the number of polls (invisiblePolls / runningPolls). */
    timing?: SsmTiming;
    responder: Responder = kmsUserScriptResponder;
    /** The create's read-only preflight (action check) is answered by this one, so a test's responder plays the step it means. */
    checkResponder: Responder = kmsUserScriptResponder;
    /** At most this many invisible / InProgress polls for a preflight check (a stall meant for the kmsuser step leaves it alone). */
    checkStallLimit = 1;

    constructor(private readonly world: FakeAws) {}

    /** Adds an instance or changes its ping status; one that comes back Online gets the commands waiting for it. */
    addInstance(id: string, ping = 'Online', info?: InstanceInfo): void {
        const was = this.instances.get(id);
        this.instances.set(id, ping);
        if (info) this.instanceInfo.set(id, { ...this.instanceInfo.get(id), ...info });
        if (ping !== 'Online' || was === 'Online') return;
        const now = this.world.clock.now();
        for (const c of this.commands) {
            if (c.instanceId === id && c.deliveredAt === undefined && !c.result && now < c.sentAt + c.timeoutSeconds * 1000) {
                c.deliveredAt = Math.max(now, c.sentAt + (this.timing?.startSeconds ?? 0) * 1000);
            }
        }
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
            if (name.length < 1 || name.length > 2048 || !/^[a-zA-Z0-9_.\-/]+$/.test(name))
                throw awsError('ValidationException', 'Parameter name must be 1-2048 characters of a-zA-Z0-9_.-/');
            if (value.length < 1) throw awsError('ValidationException', 'Value must not be empty');
            if (description.length > 1024) throw awsError('ValidationException', 'Description must be at most 1024 characters');
            const bare = name.replace(/^\//, '').toLowerCase();
            if (bare.startsWith('aws') || bare.startsWith('ssm'))
                throw awsError('ValidationException', 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
            if (name.includes('/') && !name.startsWith('/')) throw awsError('ValidationException', 'Parameter name must be a fully qualified name.');
            if (name.split('/').length - 1 > 15) throw awsError('HierarchyLevelLimitExceededException', 'A hierarchy can have a maximum of 15 levels.');
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
            if (p.comment.length > 100) throw awsError('ValidationException', 'Comment must be at most 100 characters');
            if (p.timeoutSeconds < 30) throw awsError('ValidationException', 'TimeoutSeconds must be at least 30');
            if (!this.instances.has(p.instanceId)) throw awsError('InvalidInstanceId', 'Instances not in a valid state for account');
            const n = this.commands.length + 1;
            const h = hex(`command-${n}`, 32);
            const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
            const now = this.world.clock.now();
            const online = this.instances.get(p.instanceId) === 'Online';
            this.commands.push({
                id,
                instanceId: p.instanceId,
                comment: p.comment,
                commands: [...p.commands],
                timeoutSeconds: p.timeoutSeconds,
                polls: 0,
                sentAt: now,
                ...(online ? { deliveredAt: now + (this.timing?.startSeconds ?? 0) * 1000 } : {}),
            });
            return id;
        });
    }

    findCommandByComment(instanceId: string, comment: string): Promise<string | undefined> {
        return this.world.call('ssm.findCommandByComment', [instanceId, comment], () => {
            // timed, as the simulator: ListCommands lists a command only visibleSeconds after SendCommand
            const now = this.world.clock.now();
            const listed = (c: CommandRec) => !this.timing || now >= c.sentAt + this.timing.visibleSeconds * 1000;
            const hits = this.commands.filter((c) => c.instanceId === instanceId && c.comment === comment && listed(c));
            return hits.length ? hits[hits.length - 1].id : undefined;
        });
    }

    getInvocation(commandId: string, instanceId: string): Promise<Invocation | undefined> {
        return this.world.call('ssm.getInvocation', [commandId, instanceId], () => {
            const cmd = this.commands.find((c) => c.id === commandId);
            if (!cmd) throw awsError('InvalidCommandId', 'Invalid command id.');
            if (cmd.instanceId !== instanceId) return undefined; // InvocationDoesNotExist
            cmd.polls++;
            if (this.timing) return this.timedInvocation(cmd, this.timing);
            // the preflight check is delayed like the others unless a test stalls only the later commands
            const check = scriptParams(cmd.commands).action === 'check';
            const invisible = check ? Math.min(this.invisiblePolls, this.checkStallLimit) : this.invisiblePolls;
            const running = check ? Math.min(this.runningPolls, this.checkStallLimit) : this.runningPolls;
            if (cmd.polls <= invisible) return undefined;
            const undelivered = this.undelivered(cmd);
            if (undelivered) return undelivered;
            if (!cmd.result && cmd.polls <= invisible + running)
                return { state: 'pending', status: 'InProgress', statusCode: 'InProgress', stdout: '', stderr: '' };
            return this.play(cmd);
        });
    }

    /** Timed mode: plays every command whose agent has it (called before every fake call, so its effects come in time order). */
    deliverDue(): void {
        if (!this.timing) return;
        const now = this.world.clock.now();
        for (const c of this.commands) if (!c.result && c.deliveredAt !== undefined && now >= c.deliveredAt) this.play(c);
    }

    private timedInvocation(cmd: CommandRec, timing: SsmTiming): Invocation | undefined {
        const now = this.world.clock.now();
        if (now < cmd.sentAt + timing.visibleSeconds * 1000) return undefined;
        const undelivered = this.undelivered(cmd);
        if (undelivered) return undelivered;
        if (now < (cmd.deliveredAt as number) + timing.runSeconds * 1000)
            return { state: 'pending', status: 'InProgress', statusCode: 'InProgress', stdout: '', stderr: '' };
        return this.play(cmd);
    }

    /** A command the agent does not have yet: Pending, until its delivery times out (TimeoutSeconds after SendCommand). */
    private undelivered(cmd: CommandRec): Invocation | undefined {
        if (cmd.result || (cmd.deliveredAt !== undefined && this.world.clock.now() >= cmd.deliveredAt)) return undefined;
        if (this.world.clock.now() >= cmd.sentAt + cmd.timeoutSeconds * 1000 && cmd.deliveredAt === undefined) {
            cmd.result = { status: 'TimedOut', statusDetails: 'DeliveryTimedOut', stdout: '', stderr: '' };
            return undefined;
        }
        return { state: 'pending', status: 'Pending', statusCode: 'Pending', stdout: '', stderr: '' };
    }

    /** The command's result: its responder's answer, kept once final. */
    private play(cmd: CommandRec): Invocation {
        if (!cmd.result) {
            const play = scriptParams(cmd.commands).action === 'check' ? this.checkResponder : this.responder;
            const r = play(cmd.commands, { instanceId: cmd.instanceId, comment: cmd.comment, world: this.world });
            if (PENDING.has(r.status)) return { state: 'pending', status: r.statusDetails ?? r.status, statusCode: r.status, stdout: '', stderr: '' };
            cmd.result = r;
        }
        const r = cmd.result;
        return {
            state: r.status === 'Success' ? 'success' : 'failed',
            status: r.statusDetails ?? r.status,
            statusCode: r.status,
            stdout: r.stdout,
            stderr: r.stderr,
        };
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
 * The default responder: what the script would do on an instance whose aws CLI works, against the fake
 * cluster's kmsuser: the cluster the instance's cloudhsm-cli is configured for (InstanceInfo.clusterId), else
 * the script's K_CLUSTER. It reads the secrets the way the instance would (not through the handler's adapter,
 * so those reads are not the handler's). A password change or delete of kmsuser fails while KMS is logged in
 * as kmsuser (a store on the cluster CONNECTED, or not yet DISCONNECTED).
 */
export const kmsUserScriptResponder: Responder = (commands, { world, instanceId }) => {
    const p = scriptParams(commands);
    const info = world.ssm.instanceInfo.get(instanceId);
    if (info?.cloudHsmCli === false) return scriptOutput('CLI_MISSING', 'cloudhsm-cli (Client SDK 5) not found on PATH nor at /opt/cloudhsm/bin/cloudhsm-cli');
    const clusterId = info?.clusterId ?? p.clusterId;
    const cluster = world.hsm.clusters.get(clusterId);
    if (!cluster) return scriptOutput('UNEXPECTED_OUTPUT', `cloudhsm-cli user list failed: cluster ${clusterId} is not configured on the instance`);
    const readable = (id: string) => {
        const s = world.secrets.find(id);
        return Boolean(s && !s.deleted);
    };
    const needSecrets = (boot: boolean): CommandResult | undefined => {
        if (!readable(p.adminSecret))
            return scriptOutput('SECRET_UNREADABLE', `admin password secret '${p.adminSecret}' could not be read: ResourceNotFoundException`);
        if (boot && !readable(p.bootSecret))
            return scriptOutput('SECRET_UNREADABLE', `kmsuser bootstrap password secret '${p.bootSecret}' could not be read: ResourceNotFoundException`);
        return undefined;
    };
    const loggedIn = (what: string) =>
        world.kms.loggedInTo(cluster.id)
            ? scriptOutput(
                  'KMSUSER_LOGGED_IN',
                  `cloudhsm-cli user ${what} failed: Cannot ${what === 'delete' ? 'delete' : 'change the password of'} a user who is currently logged in`,
              )
            : undefined;
    const bootstrap = () => world.secrets.find(p.bootSecret)?.value;
    // an existing kmsuser KMS cannot use is left untouched (the script's k_require_usable)
    const unusable = (): CommandResult | undefined => {
        if (!cluster.kmsUser) return undefined;
        if (cluster.kmsUserMfa)
            return scriptOutput('KMSUSER_MFA', `kmsuser in ${p.clusterId} has multi-factor authentication registered; it was left untouched`);
        if (cluster.kmsUserCoverage !== 'full')
            return scriptOutput(
                'KMSUSER_PARTIAL',
                `kmsuser in ${p.clusterId} is not on every HSM of the cluster (cluster-coverage '${cluster.kmsUserCoverage}'); it was left untouched`,
            );
        return undefined;
    };
    switch (p.action) {
        case 'check': {
            if (cluster.kmsUser && !p.adopt)
                return scriptOutput(
                    'KMSUSER_EXISTS',
                    `a user named kmsuser (role 'crypto-user') already exists in ${p.clusterId} and AdoptExistingKmsUser is false`,
                );
            return unusable() ?? needSecrets(false) ?? scriptOutput('CHECKED');
        }
        case 'create': {
            if (cluster.kmsUser && !p.adopt)
                return scriptOutput(
                    'KMSUSER_EXISTS',
                    `a user named kmsuser (role 'crypto-user') already exists in ${p.clusterId} and AdoptExistingKmsUser is false`,
                );
            const missing = unusable() ?? needSecrets(true) ?? (cluster.kmsUser ? loggedIn('change-password') : undefined);
            if (missing) return missing;
            const existed = cluster.kmsUser;
            cluster.kmsUser = true;
            cluster.kmsUserPassword = bootstrap();
            return scriptOutput(existed ? 'ADOPTED' : 'CREATED');
        }
        case 'reset': {
            const missing = unusable() ?? needSecrets(true) ?? (cluster.kmsUser ? loggedIn('change-password') : undefined);
            if (missing) return missing;
            const existed = cluster.kmsUser;
            cluster.kmsUser = true;
            cluster.kmsUserPassword = bootstrap();
            return scriptOutput(existed ? 'RESET' : 'CREATED');
        }
        case 'delete': {
            if (!cluster.kmsUser) return scriptOutput('ABSENT');
            const missing = needSecrets(false) ?? loggedIn('delete');
            if (missing) return missing;
            cluster.kmsUser = false;
            return scriptOutput('DELETED');
        }
        default:
            return scriptOutput('UNEXPECTED_OUTPUT', 'unknown action');
    }
};
