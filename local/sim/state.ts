/** The simulated world: every record the four services keep, plus the simulator's own settings. */
import { randomBytes, randomInt } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface SimConfig {
    /**
     * Real seconds per simulated second (0.001: a 20-minute connect takes 1.2 s); 0 = virtual time, where time
     * moves only when every party waits (local/clock.ts). Fixed when the simulator starts.
     */
    timeScale: number;
    /** Simulated seconds from ConnectCustomKeyStore to CONNECTED/FAILED. */
    connectSeconds: number;
    /** Simulated seconds from DisconnectCustomKeyStore to DISCONNECTED. */
    disconnectSeconds: number;
    /**
     * Simulated seconds after SendCommand before GetCommandInvocation knows the invocation (InvocationDoesNotExist
     * until then). SSM is eventually consistent; AWS gives no figure, so the default is a few seconds (assumed).
     */
    commandVisibilitySeconds: number;
    /** Simulated seconds after SendCommand before the script starts on an online instance. */
    commandRunDelaySeconds: number;
    /**
     * Real milliseconds a script may run on this machine before it is killed as stuck (ExecutionTimedOut). Under a
     * scaled clock it is the floor of the scaled execution timeout, so a scaled-down timeout does not kill real work.
     */
    commandTimeoutFloorMs: number;
    /**
     * Modelled duration of a Run Command script, in simulated seconds: this much for the agent to start the script
     * and report back, plus `commandSecondsPerCliCall` for each `cloudhsm-cli` call and `commandSecondsPerAwsCall`
     * for each `aws` call it made, however long it really took here. AWS documents no figures: assumed from
     * cloudhsm-cli's single command mode, which connects to the cluster and logs in on every call.
     */
    commandBaseSeconds: number;
    commandSecondsPerCliCall: number;
    commandSecondsPerAwsCall: number;
    /**
     * Simulated seconds a secret deleted with ForceDeleteWithoutRecovery keeps its name: deletion is "an asynchronous
     * background process, so there might be a short delay" (Secrets Manager API reference, DeleteSecret); the length
     * of the delay is not documented (assumed a few seconds).
     */
    secretPurgeSeconds: number;
    /** KMS quota of custom key stores per account and Region. */
    maxKeyStores: number;
    /** Page size of DescribeCustomKeyStores without Limit (AWS does not document its own). */
    describeStoresPageSize: number;
    /**
     * KMS's eventual consistency: for this many simulated seconds after a ConnectCustomKeyStore,
     * DisconnectCustomKeyStore or UpdateCustomKeyStore changed a key store, DescribeCustomKeyStores still shows it as it
     * was before, and a ConnectCustomKeyStore still uses the password it had before an update. "The AWS KMS API follows
     * an eventual consistency model ... typically less than a few seconds ... in some cases it can take several
     * minutes" (KMS developer guide, eventual consistency); how long, and that Connect sees the old password, are
     * assumed. 0 = no lag.
     */
    kmsStaleSeconds: number;
    /**
     * UpdateCustomKeyStore may rename a CONNECTED AWS CloudHSM key store: true as the current KMS API reference (and
     * botocore's model) says, "can be connected or disconnected"; false as older SDK documentation (.NET, CLI v1) says,
     * the store must be DISCONNECTED, else CustomKeyStoreInvalidStateException.
     */
    renameConnectedStore: boolean;
    /**
     * KMS request quotas, requests per simulated second per operation (a token bucket each, holding one second's
     * worth): `true` = the KMS developer guide's defaults (KMS_REQUEST_QUOTAS), an object = those with these
     * operations' rates replaced (0 = unlimited), `false` = no quotas. A call over its quota answers ThrottlingException.
     */
    kmsRequestQuotas: boolean | Record<string, number>;
    region: string;
    accountId: string;
}

export const DEFAULT_CONFIG: SimConfig = {
    timeScale: 0,
    connectSeconds: 300,
    disconnectSeconds: 10,
    commandVisibilitySeconds: 3,
    commandRunDelaySeconds: 1,
    commandTimeoutFloorMs: 60_000,
    commandBaseSeconds: 1,
    commandSecondsPerCliCall: 2,
    commandSecondsPerAwsCall: 1,
    secretPurgeSeconds: 5,
    maxKeyStores: 10,
    describeStoresPageSize: 100,
    kmsStaleSeconds: 5,
    renameConnectedStore: true,
    kmsRequestQuotas: false,
    region: 'us-east-1',
    accountId: '111122223333',
};

export interface HsmUser {
    username: string;
    role: string;
    password: string;
    locked: boolean;
    failedLogins: number;
    loggedIn: boolean;
    ownsKeys: boolean;
    /**
     * `user list`'s "mfa": the user's multi-factor registrations, e.g. [{"strategy":"token-sign","status":"enabled"}]
     * (CloudHSM user guide, cloudhsm_cli-user-list); absent: none. KMS cannot log in as a kmsuser that has one.
     */
    mfa?: Array<{ strategy: string; status: string }>;
    /**
     * `user list`'s "cluster-coverage": "full" when the user is on every HSM of the cluster (absent: full), "inconsistent"
     * when it is on a subset only (CloudHSM user guide, "Client SDK 5 user contains inconsistent values").
     */
    clusterCoverage?: string;
    /** Anything else the cloudhsm-cli stand-in keeps on a user is carried through unchanged. */
    [extra: string]: unknown;
}

export interface Hsm {
    hsmId: string;
    az: string;
    subnetId: string;
    eniId: string;
    eniIp: string;
    state: string;
}

export interface Cluster {
    id: string;
    state: string;
    hsms: Hsm[];
    /** The customer CA (trust anchor) PEM; clusters of one lineage share it. */
    caPem: string;
    caKey?: KeyObject;
    clusterCertPem: string;
    /** Backup lineage: clusters restored from one another's backups share it and count as "related". */
    lineage: string;
    sourceBackupId?: string;
    users: HsmUser[];
    quorum: number;
    vpcId: string;
    securityGroup: string;
    /** Availability Zone -> subnet, chosen when the cluster was made; an HSM goes in one of these zones (CreateHsm). */
    subnetMapping: Record<string, string>;
    hsmType: string;
    createdAt: number;
}

/** One rule of a security group (EC2 IpPermission): a protocol (-1 = all), a port range, its groups and CIDRs. */
export interface SecurityGroupRule {
    protocol: string;
    fromPort?: number;
    toPort?: number;
    /** Source (inbound) or destination (outbound) security groups. */
    groupIds: string[];
    cidrs: string[];
}

export interface SecurityGroup {
    id: string;
    name: string;
    description: string;
    vpcId: string;
    inbound: SecurityGroupRule[];
    outbound: SecurityGroupRule[];
}

export interface Subnet {
    id: string;
    vpcId: string;
    az: string;
    cidr: string;
    /** Addresses taken by something other than the cluster's HSMs and KMS's connections (set to fill a subnet). */
    usedByOthers: number;
}

export type ConnectionState = 'CONNECTED' | 'CONNECTING' | 'FAILED' | 'DISCONNECTED' | 'DISCONNECTING';

export interface KeyStore {
    id: string;
    name: string;
    clusterId: string;
    trustAnchor: string;
    /** The kmsuser password KMS holds (rotated on every successful connect). */
    password: string;
    state: ConnectionState;
    errorCode?: string;
    createdAt: number;
    seq: number;
    /** Bumped by every connect/disconnect so a superseded timer does nothing. */
    opGen: number;
    /** Cluster in which KMS is logged in as kmsuser while connected. */
    loggedInCluster?: string;
    /**
     * The store as it was before its last change by Connect, Disconnect or UpdateCustomKeyStore, which
     * DescribeCustomKeyStores shows (and Connect uses the password of) until `until`, simulated ms (kmsStaleSeconds).
     */
    stale?: { name: string; clusterId: string; state: ConnectionState; errorCode?: string; password: string; until: number };
    /** The password the connect in progress logs in with (the stale one when it was asked for inside the window). */
    connectPassword?: string;
}

export interface KmsKey {
    keyId: string;
    arn: string;
    createdAt: number;
    description: string;
    origin: string;
    enabled: boolean;
    customKeyStoreId?: string;
    clusterId?: string;
    deletionDate?: number;
    pendingWindowInDays?: number;
    /** The key policy document; undefined: KMS's default key policy. */
    policy?: string;
    tags?: { key: string; value: string }[];
    seq: number;
}

export interface Instance {
    id: string;
    pingStatus: 'Online' | 'ConnectionLost';
    clusterId?: string;
    hasCloudHsmCli: boolean;
    /** The cloudhsm-cli configuration: one cluster without an id (configure-cli -a, the common case) or several. */
    cliConfig?: 'single' | 'multi';
    ipAddress: string;
    /** Simulated ms of the last agent ping (now while Online; frozen when the connection is lost). */
    lastPingAt: number;
}

export interface SecretVersion {
    versionId: string;
    secretString?: string;
    secretBinary?: string;
    stages: string[];
    createdAt: number;
}

export interface Secret {
    name: string;
    arn: string;
    description?: string;
    kmsKeyId?: string;
    tags: { Key: string; Value: string }[];
    versions: SecretVersion[];
    createdAt: number;
    lastChangedAt: number;
    lastAccessedAt?: number;
    deletedAt?: number;
    deletionDate?: number;
    /** Set by a ForceDeleteWithoutRecovery: the simulated ms at which the name becomes free. */
    purgeAt?: number;
}

export type InvocationStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';

export interface Invocation {
    instanceId: string;
    status: InvocationStatus;
    statusDetails: string;
    responseCode: number;
    visibleAt: number;
    startedAt?: number;
    endedAt?: number;
    stdout: string;
    stderr: string;
    /** Taken by the runner (fault applied, queued on the cluster lock, or running). */
    delivered?: boolean;
    /** Set while the script runs: kills its process group. */
    kill?: (reason: 'timeout' | 'cancel') => void;
}

export interface Command {
    id: string;
    documentName: string;
    comment: string;
    parameters: Record<string, string[]>;
    instanceIds: string[];
    timeoutSeconds: number;
    requestedAt: number;
    invocations: Invocation[];
}

export interface Parameter {
    name: string;
    type: string;
    value: string;
    description?: string;
    version: number;
    /** Simulated epoch ms. */
    modifiedAt: number;
}

export interface RequestRecord {
    seq: number;
    service: string;
    operation: string;
    /** Simulated epoch ms. */
    time: number;
    body: unknown;
    status?: number;
    errorType?: string;
    fault?: string;
}

export interface LogEvent {
    timestamp: number;
    message: string;
    /** Simulated epoch ms. */
    ingestionTime: number;
}

export interface LogStream {
    name: string;
    createdAt: number;
    events: LogEvent[];
    /** Counts accepted PutLogEvents calls; the (deprecated, ignored) sequence token is derived from it. */
    puts: number;
}

export interface LogGroup {
    name: string;
    createdAt: number;
    streams: Map<string, LogStream>;
}

/** One PutMetricData datum as CloudWatch received it. */
export interface MetricDatum {
    namespace: string;
    metricName: string;
    dimensions: Array<{ name: string; value: string }>;
    unit?: string;
    value?: number;
    /** As sent (ISO-8601 from SDK v2), or absent. */
    timestamp?: string;
    /** Simulated epoch ms of receipt. */
    receivedAt: number;
}

export interface World {
    clusters: Map<string, Cluster>;
    stores: Map<string, KeyStore>;
    keys: Map<string, KmsKey>;
    instances: Map<string, Instance>;
    secrets: Secret[];
    commands: Map<string, Command>;
    parameters: Map<string, Parameter>;
    requests: RequestRecord[];
    seq: number;
    logGroups: Map<string, LogGroup>;
    metrics: MetricDatum[];
    /** EC2: the clusters' security groups and subnets (services/ec2.ts). */
    securityGroups: Map<string, SecurityGroup>;
    subnets: Map<string, Subnet>;
}

export const newWorld = (): World => ({
    clusters: new Map(),
    stores: new Map(),
    keys: new Map(),
    instances: new Map(),
    secrets: [],
    commands: new Map(),
    parameters: new Map(),
    requests: [],
    seq: 0,
    logGroups: new Map(),
    metrics: [],
    securityGroups: new Map(),
    subnets: new Map(),
});

export const randomHex = (n: number): string =>
    randomBytes(Math.ceil(n / 2))
        .toString('hex')
        .slice(0, n);

export function randomFrom(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
    return s;
}

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Alphabet of CloudHSM resource ids (`cluster-`/`hsm-` + [2-7a-zA-Z]). */
export const HSM_ID_ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';

/** A per-key promise chain: run() calls with the same key never overlap. */
export class KeyedMutex {
    private readonly tails = new Map<string, Promise<void>>();
    run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
        const prev = this.tails.get(key) ?? Promise.resolve();
        const result = prev.then(fn);
        const tail = result.then(
            () => undefined,
            () => undefined,
        );
        this.tails.set(key, tail);
        void tail.then(() => {
            if (this.tails.get(key) === tail) this.tails.delete(key);
        });
        return result;
    }
}
