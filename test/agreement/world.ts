/**
 * The two backends of the agreement suite, behind one small `World`: the handler's `Adapters` (what a scenario
 * calls) plus the set-up and waiting a scenario needs that the adapters cannot do (a kmsuser put in a cluster by
 * hand, a cluster that loses its HSMs, time passing).
 *
 * - fake: test/fakes/aws.ts's FakeAws, seeded like the simulator's default scenario (local/sim/scenario.ts: the
 *   same cluster ids, lineages as backup families, Availability Zones, instance ids and secret names) and set to
 *   the simulator's timings (DEFAULT_CONFIG: connect, disconnect, KMS's stale window, Run Command visibility and
 *   start, the delay before a force-deleted secret's name is free). Time is its FakeClock.
 * - sim: the simulator on a virtual clock, reached by the handler's real adapters (lazyAdapters over HTTP, the
 *   real SDK v3 clients). A scenario runs as a party of the simulator's clock (`clock.run`), so simulated time
 *   stands still while it works and passes only in waitSeconds (`clock.sleep`).
 */
import { X509Certificate } from 'node:crypto';
import { lazyAdapters } from '../../src/aws/adapters';
import { errorName } from '../../src/aws/error-name';
import type { Adapters } from '../../src/aws/adapters';
import { pointHandlerAt } from '../../local/harness';
import { DEFAULT_SCENARIO as D, RunningSimulator, startSimulator } from '../../local/sim';
import { issueCertificate, Issued } from '../../local/sim/cert';
import type { SecurityGroupRule } from '../../src/aws/ec2';
import { DEFAULT_CONFIG } from '../../local/sim/state';
import { FakeAws, FakeCluster, hsmsIn, worldsOfThisTest } from '../fakes/aws';

export type BackendName = 'fake' | 'sim';

export interface HsmSpec {
    az: string;
    state?: string;
}

/** Set-up and waiting, the same on both backends. Everything a scenario observes goes through `aws`. */
export interface World {
    readonly backend: BackendName;
    readonly aws: Adapters;
    /** Current time of the backend (epoch ms): fake time, or the simulator's virtual time. */
    now(): number;
    /** Lets `seconds` of time pass (the FakeClock advances; on the simulator the scenario sleeps on its clock). */
    waitSeconds(seconds: number): Promise<void>;
    /**
     * Puts kmsuser (a crypto user) with this password in the cluster, as an administrator would by hand; with `mfa`, a
     * token-sign MFA registered; with `coverage`, its cluster-coverage (e.g. inconsistent: on some HSMs only).
     */
    putKmsUser(clusterId: string, password: string, opts?: { mfa?: boolean; coverage?: string }): Promise<void>;
    /** Another cluster: ACTIVE, with HSMs in these Availability Zones (default a and b), of a backup lineage. */
    addCluster(p: { id: string; lineage: string; hsms?: HsmSpec[] }): Promise<void>;
    /** Changes a cluster's state and/or its HSMs. */
    setCluster(id: string, p: { state?: string; hsms?: HsmSpec[] }): Promise<void>;
    deleteCluster(id: string): Promise<void>;
    /** The trust anchor (customer CA PEM) of a cluster added with addCluster. */
    trustAnchorOf(clusterId: string): Promise<string>;
    /** Adds `n` KMS keys, in the store or (undefined) ordinary AWS_KMS keys, as someone else made them (with `policy`, their key policy). */
    addKeys(storeId: string | undefined, n: number, policy?: string): Promise<void>;
    /** Sets an instance's SSM ping status (Online / ConnectionLost). */
    setPing(instanceId: string, ping: 'Online' | 'ConnectionLost'): Promise<void>;
    /** Replaces the rules of a cluster's security group, in one direction, as someone editing it in the console would. */
    setSecurityGroupRules(groupId: string, direction: 'inbound' | 'outbound', rules: SecurityGroupRule[]): Promise<void>;
    /** Sets a subnet's free addresses (0 fills it up). */
    setFreeAddresses(subnetId: string, free: number): Promise<void>;
    deleteSubnet(subnetId: string): Promise<void>;
    /** Whether KMS renames a CONNECTED store (the current model; default) or only a DISCONNECTED one (older SDK docs). */
    setRenameConnectedStore(allowed: boolean): Promise<void>;
}

export interface Backend {
    readonly name: BackendName;
    /** Runs a scenario on a fresh default-scenario world. */
    run<T>(scenario: (w: World) => Promise<T>): Promise<T>;
    stop(): Promise<void>;
}

// ---- the fake ---------------------------------------------------------------------------------------

/** A real P-256 CA certificate per lineage for the fake's clusters (the simulator makes its own). */
const fakeCas = new Map<string, Issued>();
function fakeCa(lineage: string): Issued {
    let ca = fakeCas.get(lineage);
    if (!ca) {
        ca = issueCertificate('customerCA', `Fake customer CA (${lineage})`);
        fakeCas.set(lineage, ca);
    }
    return ca;
}
const fakeCaOf = (lineage: string): string => fakeCa(lineage).pem;
/** A cluster certificate signed by its lineage's CA, as the simulator's clusters have (DescribeClusters Certificates). */
const clusterCertOf = (clusterId: string, lineage: string): string => issueCertificate(clusterId, 'AWS CloudHSM (fake)', fakeCa(lineage), 10).pem;

const az = (x: string) => `${D.region}${x}`;
const hsmsOf = (clusterId: string, specs: HsmSpec[]) =>
    hsmsIn(
        specs.map((h) => h.az),
        clusterId,
    ).map((h, i) => ({ ...h, state: specs[i].state ?? 'ACTIVE' }));

/** The simulator's default scenario, in the fake. */
export function seedDefaultScenario(): FakeAws {
    const aws = new FakeAws();
    const c = DEFAULT_CONFIG;
    aws.kms.connectSeconds = c.connectSeconds;
    aws.kms.disconnectSeconds = c.disconnectSeconds;
    aws.kms.maxStores = c.maxKeyStores;
    aws.kms.storePageSize = c.describeStoresPageSize;
    aws.ssm.timing = { visibleSeconds: c.commandVisibilitySeconds, startSeconds: c.commandRunDelaySeconds, runSeconds: FAKE_SCRIPT_SECONDS };
    aws.kms.staleSeconds = c.kmsStaleSeconds;
    aws.secrets.purgeSeconds = c.secretPurgeSeconds;
    const cluster = (id: string, lineage: string, zones: string[]) =>
        aws.hsm.addCluster({
            id,
            family: lineage,
            hsms: hsmsOf(
                id,
                zones.map((z) => ({ az: az(z) })),
            ),
            trustAnchor: fakeCaOf(lineage),
            clusterCertificate: clusterCertOf(id, lineage),
        });
    cluster(D.clusterId, D.lineage, ['a', 'b']);
    cluster(D.relatedClusterId, D.lineage, ['a', 'c']);
    cluster(D.unrelatedClusterId, D.unrelatedLineage, ['b', 'c']);
    aws.ssm.addInstance(D.instanceId, 'Online', { clusterId: D.clusterId });
    aws.ssm.addInstance(D.relatedInstanceId, 'Online', { clusterId: D.relatedClusterId });
    aws.ssm.addInstance(D.noCliInstanceId, 'Online', { clusterId: D.clusterId, cloudHsmCli: false });
    aws.ssm.addInstance(D.offlineInstanceId, 'ConnectionLost', { clusterId: D.clusterId });
    aws.secrets.put(D.adminSecretName, JSON.stringify({ password: D.adminPassword }), { neverRead: true });
    aws.secrets.put(D.caSecretName, fakeCaOf(D.lineage), { public: true });
    aws.secrets.put(D.unrelatedCaSecretName, fakeCaOf(D.unrelatedLineage), { public: true });
    return aws;
}

/**
 * Simulated seconds a kmsuser script takes in the fake's timed mode, from SendCommand's delivery to its result.
 * The simulator models each script's duration from the calls it makes (commandBaseSeconds + per cloudhsm-cli /
 * aws call, 4-8 s for these scripts); the scenarios poll well before and well after.
 */
const FAKE_SCRIPT_SECONDS = 5;

function fakeWorld(aws: FakeAws): World {
    const clusterOf = (id: string): FakeCluster => {
        const c = aws.hsm.clusters.get(id);
        if (!c) throw new Error(`fake: no cluster ${id}`);
        return c;
    };
    return {
        backend: 'fake',
        aws: aws.adapters(),
        now: () => aws.clock.now(),
        waitSeconds: async (s) => aws.clock.advance(s * 1000),
        putKmsUser: async (clusterId, password, opts = {}) => {
            const c = clusterOf(clusterId);
            c.kmsUser = true;
            c.kmsUserPassword = password;
            c.kmsUserMfa = Boolean(opts.mfa);
            c.kmsUserCoverage = opts.coverage ?? 'full';
        },
        addCluster: async (p) =>
            void aws.hsm.addCluster({
                id: p.id,
                family: p.lineage,
                hsms: hsmsOf(p.id, p.hsms ?? [{ az: az('a') }, { az: az('b') }]),
                trustAnchor: fakeCaOf(p.lineage),
                clusterCertificate: clusterCertOf(p.id, p.lineage),
            }),
        setCluster: async (id, p) => {
            const c = clusterOf(id);
            if (p.state !== undefined) c.state = p.state;
            // as the simulator's control API does: HSMs keep their ids by position
            if (p.hsms) c.hsms = hsmsOf(id, p.hsms).map((h, i) => ({ ...h, id: c.hsms[i]?.id ?? h.id }));
            // a zone new to the cluster joins its subnet mapping, with a subnet (the simulator's upsertCluster)
            aws.hsm.addZones(c);
        },
        deleteCluster: async (id) => void aws.hsm.clusters.delete(id),
        trustAnchorOf: async (id) => clusterOf(id).trustAnchor as string,
        addKeys: async (storeId, n, policy) => void aws.kms.addKeys(storeId, n, policy),
        setPing: async (id, ping) => aws.ssm.addInstance(id, ping),
        setRenameConnectedStore: async (allowed) => void (aws.kms.renameConnectedStore = allowed),
        setSecurityGroupRules: async (groupId, direction, rules) => {
            const g = aws.ec2.groups.get(groupId);
            if (!g) throw new Error(`fake: no security group ${groupId}`);
            g[direction] = structuredClone(rules);
        },
        setFreeAddresses: async (subnetId, free) => aws.ec2.setFreeAddresses(subnetId, free),
        deleteSubnet: async (subnetId) => aws.ec2.deleteSubnet(subnetId),
    };
}

export function fakeBackend(): Backend {
    return {
        name: 'fake',
        async run(scenario) {
            const aws = seedDefaultScenario();
            try {
                return await scenario(fakeWorld(aws));
            } finally {
                // the workflow suites' after-each checks are not registered here; drop the world from their registry
                const i = worldsOfThisTest.indexOf(aws);
                if (i >= 0) worldsOfThisTest.splice(i, 1);
            }
        },
        stop: async () => undefined,
    };
}

// ---- the simulator --------------------------------------------------------------------------------

const ENV_KEYS = [
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_CLOUDHSM_V2',
    'AWS_REGION',
    'AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE',
    'KEYSTORE_SDK_MAX_ATTEMPTS',
];

export async function simBackend(): Promise<Backend> {
    const running: RunningSimulator = await startSimulator({ timeScale: 0 });
    const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
    pointHandlerAt(running.endpoint);
    // one attempt: a scenario records what AWS answered, not what the SDK's retries made of it
    process.env.KEYSTORE_SDK_MAX_ATTEMPTS = '1';
    const aws = lazyAdapters({ configuration: { region: D.region, credentials: { accessKeyId: 'AKIDAGREEMENT', secretAccessKey: 'agreement-secret' } } });
    const control = running.control;
    const clock = running.sim.clock;
    const world: World = {
        backend: 'sim',
        aws,
        now: () => clock.now(),
        waitSeconds: (s) => clock.sleep(s * 1000),
        putKmsUser: async (clusterId, password, opts = {}) =>
            void (await control.putUser(clusterId, {
                username: 'kmsuser',
                role: 'crypto-user',
                password,
                mfa: opts.mfa ? [{ strategy: 'token-sign', status: 'enabled' }] : [],
                clusterCoverage: opts.coverage ?? 'full',
            })),
        addCluster: async (p) =>
            void (await control.putCluster({
                id: p.id,
                lineage: p.lineage,
                hsms: p.hsms ?? [{ az: az('a') }, { az: az('b') }],
                users: [{ username: D.adminUsername, role: 'admin', password: D.adminPassword }],
            })),
        setCluster: async (id, p) =>
            void (await control.putCluster({ id, ...(p.state !== undefined ? { state: p.state } : {}), ...(p.hsms ? { hsms: p.hsms } : {}) })),
        deleteCluster: (id) => control.deleteCluster(id),
        trustAnchorOf: async (id) => {
            const c = (await control.state()).clusters.find((x) => x.id === id);
            if (!c) throw new Error(`sim: no cluster ${id}`);
            return c.caPem;
        },
        addKeys: async (storeId, n, policy) =>
            void (await control.putKeys(n, { ...(storeId ? { customKeyStoreId: storeId } : {}), ...(policy !== undefined ? { policy } : {}) })),
        setPing: async (id, ping) => void (await control.putInstance({ id, pingStatus: ping })),
        setRenameConnectedStore: async (allowed) => void (await control.config({ renameConnectedStore: allowed })),
        setSecurityGroupRules: async (groupId, direction, rules) =>
            void (await control.putSecurityGroup({ id: groupId, [direction]: rules.map((r) => ({ ...r, cidrs: [] })) })),
        setFreeAddresses: async (subnetId, free) => void (await control.putSubnet({ id: subnetId, availableIpAddressCount: free })),
        deleteSubnet: (subnetId) => control.deleteSubnet(subnetId),
    };
    return {
        name: 'sim',
        async run(scenario) {
            running.sim.reset('default');
            running.sim.setConfig({ renameConnectedStore: DEFAULT_CONFIG.renameConnectedStore }); // settings outlive a reset
            return clock.run(() => scenario(world));
        },
        async stop() {
            await running.stop();
            for (const [k, v] of Object.entries(saved)) {
                if (v === undefined) delete process.env[k];
                else process.env[k] = v;
            }
        },
    };
}

// ---- transcripts ------------------------------------------------------------------------------------

export interface Entry {
    step: string;
    /** What the call returned, normalized ('<undefined>' for nothing). */
    value?: unknown;
    /** The AWS error name it threw. */
    threw?: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const STORE_ID = /\bcks-[0-9a-f]{17}\b/g;
const HSM_ID = /\bhsm-[a-z0-9]{11}\b/g;
/** Security group, subnet and VPC ids (made at random by the simulator, from the cluster id by the fake). */
const EC2_ID = /\b(sg|subnet|vpc)-[0-9a-f]{17}\b/g;
const SECRET_ARN = /^(arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+)-([A-Za-z0-9]{6})$/;

/**
 * One scenario's record: each call's normalized result or error name. Generated ids (key store, key, command, HSM
 * ids), secret ARN suffixes, certificates and paging markers become numbered placeholders in order of first
 * appearance, so equal transcripts mean the same answers in the same places; dates become offsets from `now`.
 */
export class Transcript {
    readonly entries: Entry[] = [];
    private readonly names = new Map<string, string>();
    private readonly counts = new Map<string, number>();

    constructor(private readonly now: () => number) {}

    /** Runs `fn`, records its result or its error's name; returns the result (undefined when it threw). */
    async call<T>(step: string, fn: () => Promise<T>): Promise<T | undefined> {
        try {
            const value = await fn();
            this.entries.push({ step, value: value === undefined ? '<undefined>' : this.normalize(value) });
            return value;
        } catch (err) {
            this.entries.push({ step, threw: errorName(err) });
            return undefined;
        }
    }

    /** Records a value the scenario derived itself. */
    note(step: string, value: unknown): void {
        this.entries.push({ step, value: value === undefined ? '<undefined>' : this.normalize(value) });
    }

    private placeholder(kind: string, raw: string): string {
        const key = `${kind}:${raw}`;
        let name = this.names.get(key);
        if (!name) {
            const n = (this.counts.get(kind) ?? 0) + 1;
            this.counts.set(kind, n);
            name = `<${kind}-${n}>`;
            this.names.set(key, name);
        }
        return name;
    }

    private normalizeString(s: string, key?: string): string {
        if (key === 'next') return this.placeholder('marker', s);
        if (s.startsWith('-----BEGIN CERTIFICATE-----')) return this.placeholder('pem', new X509Certificate(s).fingerprint256);
        const arn = SECRET_ARN.exec(s);
        if (arn) return `${arn[1]}-${this.placeholder('suffix', arn[2])}`;
        return s
            .replace(STORE_ID, (m) => this.placeholder('store', m))
            .replace(UUID, (m) => this.placeholder('id', m))
            .replace(HSM_ID, (m) => this.placeholder('hsm', m))
            .replace(EC2_ID, (m, kind: string) => this.placeholder(kind, m));
    }

    normalize(v: unknown, key?: string): unknown {
        if (v === undefined || v === null) return v;
        if (v instanceof Date) {
            const s = Math.round((v.getTime() - this.now()) / 1000);
            return `<now${s >= 0 ? '+' : ''}${s}s>`;
        }
        if (typeof v === 'string') return this.normalizeString(v, key);
        if (Array.isArray(v)) return v.map((x) => this.normalize(x));
        if (typeof v === 'object') {
            const out: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = this.normalize(x, k);
            return out;
        }
        return v;
    }
}
