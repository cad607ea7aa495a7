/**
 * CloudHSM v2 (BaldrApiService): DescribeClusters with the full Cluster shape, and the
 * cluster records behind it (HSMs, customer CA, backup lineage, user table).
 */
import { issueCertificate } from '../cert';
import { ensureClusterNetwork } from './ec2';
import type { Sim } from '../sim';
import { Cluster, Hsm, HSM_ID_ALPHABET, HsmUser, randomFrom, randomHex } from '../state';
import { AwsError, decodeToken, encodeToken, Json, page, Validator } from '../wire';

type Handler = (sim: Sim, body: Json) => Json;

export const CLUSTER_STATES = [
    'CREATE_IN_PROGRESS',
    'UNINITIALIZED',
    'INITIALIZE_IN_PROGRESS',
    'INITIALIZED',
    'ACTIVE',
    'UPDATE_IN_PROGRESS',
    'MODIFY_IN_PROGRESS',
    'ROLLBACK_IN_PROGRESS',
    'DELETE_IN_PROGRESS',
    'DELETED',
    'DEGRADED',
];
export const HSM_STATES = ['CREATE_IN_PROGRESS', 'ACTIVE', 'DEGRADED', 'DELETE_IN_PROGRESS', 'DELETED'];
export const CLUSTER_ID_RE = /^cluster-[2-7a-zA-Z]{11,16}$/;

/** Two clusters are related when they share backup history (the simulator's `lineage`). */
export function related(a: Cluster | undefined, b: Cluster | undefined): boolean {
    return !!a && !!b && (a.id === b.id || a.lineage === b.lineage);
}

/** KMS's rule for key stores: at least two ACTIVE HSMs in different Availability Zones. */
export function validForKeyStore(c: Cluster): boolean {
    return new Set(c.hsms.filter((h) => h.state === 'ACTIVE').map((h) => h.az)).size >= 2;
}

export interface UserSpec {
    username: string;
    role: string;
    password: string;
    locked?: boolean;
    failedLogins?: number;
    loggedIn?: boolean;
    ownsKeys?: boolean;
    /** `user list`'s mfa (default none) and cluster-coverage (default full): see HsmUser. */
    mfa?: Array<{ strategy: string; status: string }>;
    clusterCoverage?: string;
    [extra: string]: unknown;
}

export interface ClusterSpec {
    id: string;
    state?: string;
    hsms?: { az: string; state?: string }[];
    caPem?: string;
    lineage?: string;
    users?: UserSpec[];
    quorum?: number;
    vpcId?: string;
    hsmType?: string;
}

export const toUser = (u: UserSpec): HsmUser => ({
    ...u,
    username: u.username,
    role: u.role,
    password: u.password,
    locked: u.locked ?? false,
    failedLogins: u.failedLogins ?? 0,
    loggedIn: u.loggedIn ?? false,
    ownsKeys: u.ownsKeys ?? false,
});

function makeHsms(sim: Sim, clusterId: string, specs: { az: string; state?: string }[], old: Hsm[], mapping: Record<string, string> = {}): Hsm[] {
    // an Availability Zone keeps its subnet (the cluster's subnet mapping), even while it has no HSM
    const subnets = new Map([...Object.entries(mapping), ...old.map((h): [string, string] => [h.az, h.subnetId])]);
    return specs.map((s, i) => {
        const prev = old[i];
        if (!subnets.has(s.az)) subnets.set(s.az, `subnet-${randomHex(17)}`);
        return {
            hsmId: prev?.hsmId ?? `hsm-${randomFrom(HSM_ID_ALPHABET, 11)}`,
            az: s.az,
            subnetId: subnets.get(s.az)!,
            eniId: prev?.eniId ?? `eni-${randomHex(17)}`,
            eniIp: prev?.eniIp ?? `10.0.${subnets.size - 1}.${10 + i}`,
            state: s.state ?? 'ACTIVE',
        };
    });
}

/** Add a cluster, or change the given fields of an existing one (users, when given, replace the whole table). */
export function upsertCluster(sim: Sim, spec: ClusterSpec): Cluster {
    const w = sim.world;
    const old = w.clusters.get(spec.id);
    const lineage = spec.lineage ?? old?.lineage ?? `lineage-${spec.id}`;
    const sibling = [...w.clusters.values()].find((c) => c.id !== spec.id && c.lineage === lineage);
    let caPem = old?.caPem;
    let caKey = old?.caKey;
    if (spec.caPem !== undefined && spec.caPem !== caPem) {
        caPem = spec.caPem;
        caKey = undefined;
    } else if (!caPem || (spec.lineage !== undefined && spec.lineage !== old?.lineage && sibling)) {
        // Clusters of one lineage (restored from each other's backups) share the customer CA.
        const ca = sibling ? { pem: sibling.caPem, key: sibling.caKey } : issueCertificate('customerCA', `Simulated customer CA (${lineage})`);
        caPem = ca.pem;
        caKey = ca.key;
    }
    const issuer = caKey ? { pem: caPem, key: caKey, subject: { cn: 'customerCA', org: `Simulated customer CA (${lineage})` } } : undefined;
    const clusterCertPem = old && old.caPem === caPem ? old.clusterCertPem : issueCertificate(spec.id, 'AWS CloudHSM (simulated)', issuer, 10).pem;
    const hsms = spec.hsms
        ? makeHsms(sim, spec.id, spec.hsms, old?.hsms ?? [], old?.subnetMapping)
        : (old?.hsms ?? makeHsms(sim, spec.id, [{ az: `${sim.config.region}a` }, { az: `${sim.config.region}b` }], []));
    const c: Cluster = {
        id: spec.id,
        state: spec.state ?? old?.state ?? 'ACTIVE',
        hsms,
        caPem,
        caKey,
        clusterCertPem,
        lineage,
        sourceBackupId: old?.sourceBackupId ?? (sibling ? `backup-${randomFrom(HSM_ID_ALPHABET, 11)}` : undefined),
        users: spec.users ? spec.users.map(toUser) : (old?.users ?? []),
        quorum: spec.quorum ?? old?.quorum ?? 1,
        vpcId: spec.vpcId ?? old?.vpcId ?? `vpc-${randomHex(17)}`,
        securityGroup: old?.securityGroup ?? `sg-${randomHex(17)}`,
        subnetMapping: { ...old?.subnetMapping, ...Object.fromEntries(hsms.map((h) => [h.az, h.subnetId])) },
        hsmType: spec.hsmType ?? old?.hsmType ?? 'hsm1.medium',
        createdAt: old?.createdAt ?? sim.now(),
    };
    w.clusters.set(c.id, c);
    // its security group (new cluster) and the subnets of zones new to its mapping: what CreateCluster sets up
    ensureClusterNetwork(sim, c, old);
    return c;
}

function clusterShape(sim: Sim, c: Cluster): Json {
    return {
        BackupPolicy: 'DEFAULT',
        BackupRetentionPolicy: { Type: 'DAYS', Value: '90' },
        Certificates: { ClusterCertificate: c.clusterCertPem },
        ClusterId: c.id,
        CreateTimestamp: sim.epoch(c.createdAt),
        Hsms: c.hsms.map((h) => ({
            AvailabilityZone: h.az,
            ClusterId: c.id,
            SubnetId: h.subnetId,
            EniId: h.eniId,
            EniIp: h.eniIp,
            HsmType: c.hsmType,
            HsmId: h.hsmId,
            State: h.state,
            StateMessage: h.state === 'ACTIVE' ? 'HSM created.' : `HSM is ${h.state}.`,
        })),
        HsmType: c.hsmType,
        SecurityGroup: c.securityGroup,
        ...(c.sourceBackupId ? { SourceBackupId: c.sourceBackupId } : {}),
        State: c.state,
        StateMessage: c.state === 'ACTIVE' ? 'Cluster is active.' : `Cluster is ${c.state}.`,
        SubnetMapping: { ...c.subnetMapping },
        VpcId: c.vpcId,
        NetworkType: 'IPV4',
        Mode: 'FIPS',
        TagList: [],
    };
}

const FILTER_KEYS = ['clusterIds', 'vpcIds', 'states'];

const DescribeClusters: Handler = (sim, body) => {
    const v = new Validator(body);
    const filters = v.obj('Filters') ?? {};
    const max = v.int('MaxResults', { min: 1, max: 25 });
    const token = v.str('NextToken', { max: 256 });
    v.done();
    const wanted = new Map<string, string[]>();
    for (const [key, values] of Object.entries(filters)) {
        if (!FILTER_KEYS.includes(key))
            throw new AwsError('CloudHsmInvalidRequestException', `Invalid filter key: ${key}. Valid keys: ${FILTER_KEYS.join(', ')}.`);
        if (!Array.isArray(values) || values.some((x) => typeof x !== 'string'))
            throw new AwsError('SerializationException', `Filter ${key} must be a list of strings`);
        wanted.set(key, values as string[]);
    }
    const match = (key: string, value: string) => !wanted.has(key) || wanted.get(key)!.includes(value);
    const clusters = [...sim.world.clusters.values()]
        .filter((c) => match('clusterIds', c.id) && match('vpcIds', c.vpcId) && match('states', c.state))
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const start = decodeToken(token, 'CloudHsmInvalidRequestException', 'The NextToken value is not valid.');
    const p = page(clusters, start, max ?? 1000);
    return { Clusters: p.items.map((c) => clusterShape(sim, c)), ...(p.next !== undefined ? { NextToken: encodeToken(p.next) } : {}) };
};

export const cloudhsmOperations: Record<string, Handler> = { DescribeClusters };
