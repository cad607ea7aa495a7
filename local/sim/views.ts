/** What GET /_sim/state (and the control helpers) return: plain JSON views of the world, secrets included. */
import type { FaultRecord } from './faults';
import { keyState } from './services/kms';
import { commandStatus } from './services/ssm';
import type { Sim } from './sim';
import type { HsmUser, KmsKey, SecurityGroup, SecurityGroupRule, SimConfig, Subnet } from './state';
import { availableIps } from './services/ec2';

export interface StoreView {
    id: string;
    name: string;
    clusterId: string;
    connectionState: string;
    connectionErrorCode?: string;
    /** The kmsuser password KMS currently holds (rotated on every successful connect). */
    password: string;
    trustAnchor: string;
    createdAt: string;
}
export interface ClusterView {
    id: string;
    state: string;
    lineage: string;
    caPem: string;
    hsms: { hsmId: string; az: string; state: string }[];
    users: HsmUser[];
    quorum: number;
    vpcId: string;
    securityGroup: string;
    /** Availability Zone -> subnet id. */
    subnetMapping: Record<string, string>;
}
export interface SecurityGroupView {
    id: string;
    name: string;
    vpcId: string;
    inbound: SecurityGroupRule[];
    outbound: SecurityGroupRule[];
}
export interface SubnetView {
    id: string;
    vpcId: string;
    az: string;
    cidr: string;
    availableIpAddressCount: number;
}
export interface InstanceView {
    id: string;
    pingStatus: string;
    clusterId?: string;
    hasCloudHsmCli: boolean;
}
export interface SecretView {
    name: string;
    arn: string;
    deleted: boolean;
    deletedDate?: string;
    deletionDate?: string;
    /** AWSCURRENT value. */
    secretString?: string;
    versions: { versionId: string; stages: string[]; secretString?: string; secretBinary?: string }[];
    tags: { Key: string; Value: string }[];
}
export interface KeyView {
    keyId: string;
    arn: string;
    customKeyStoreId?: string;
    clusterId?: string;
    keyState: string;
    deletionDate?: string;
}
export interface InvocationView {
    instanceId: string;
    status: string;
    statusDetails: string;
    responseCode: number;
    stdout: string;
    stderr: string;
    startedAt?: string;
    endedAt?: string;
}
export interface CommandView {
    commandId: string;
    documentName: string;
    comment: string;
    parameters: Record<string, string[]>;
    instanceIds: string[];
    timeoutSeconds: number;
    requestedAt: string;
    status: string;
    invocations: InvocationView[];
}
export interface RequestView {
    seq: number;
    service: string;
    operation: string;
    /** Simulated time, ISO-8601. */
    time: string;
    body: unknown;
    status?: number;
    errorType?: string;
    fault?: string;
}
export interface LogStreamView {
    name: string;
    createdAt: string;
    events: Array<{ timestamp: number; message: string }>;
}
export interface LogGroupView {
    name: string;
    createdAt: string;
    streams: LogStreamView[];
}
export interface MetricView {
    namespace: string;
    metricName: string;
    dimensions: Array<{ name: string; value: string }>;
    unit?: string;
    value?: number;
    timestamp?: string;
    receivedAt: string;
}
export interface SimStateView {
    /** Simulated time, ISO-8601. */
    now: string;
    config: SimConfig;
    stores: StoreView[];
    clusters: ClusterView[];
    instances: InstanceView[];
    secrets: SecretView[];
    keys: KeyView[];
    commands: CommandView[];
    /** Parameter Store: name -> value (String parameters). */
    parameters: Record<string, string>;
    faults: FaultRecord[];
    requests: RequestView[];
    /** CloudWatch Logs, as the CloudFormation library delivered a handler's log lines (providerCredentials). */
    logGroups: LogGroupView[];
    /** CloudWatch PutMetricData data points (the library's invocation, duration and exception metrics). */
    metrics: MetricView[];
    /** EC2: the clusters' security groups and subnets. */
    securityGroups: SecurityGroupView[];
    subnets: SubnetView[];
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export function keyView(sim: Sim, k: KmsKey): KeyView {
    return {
        keyId: k.keyId,
        arn: k.arn,
        customKeyStoreId: k.customKeyStoreId,
        clusterId: k.clusterId,
        keyState: keyState(sim, k),
        deletionDate: iso(k.deletionDate),
    };
}

export const securityGroupView = (g: SecurityGroup): SecurityGroupView => ({
    id: g.id,
    name: g.name,
    vpcId: g.vpcId,
    inbound: clone(g.inbound),
    outbound: clone(g.outbound),
});

export const subnetView = (sim: Sim, s: Subnet): SubnetView => ({
    id: s.id,
    vpcId: s.vpcId,
    az: s.az,
    cidr: s.cidr,
    availableIpAddressCount: availableIps(sim, s),
});

export function requestViews(sim: Sim): RequestView[] {
    return sim.world.requests.map((r) => ({ ...r, time: iso(r.time)!, body: clone(r.body) }));
}

export function stateView(sim: Sim): SimStateView {
    const w = sim.world;
    return {
        now: iso(sim.now())!,
        config: { ...sim.config },
        stores: [...w.stores.values()].map((s) => ({
            id: s.id,
            name: s.name,
            clusterId: s.clusterId,
            connectionState: s.state,
            ...(s.errorCode ? { connectionErrorCode: s.errorCode } : {}),
            password: s.password,
            trustAnchor: s.trustAnchor,
            createdAt: iso(s.createdAt)!,
        })),
        clusters: [...w.clusters.values()].map((c) => ({
            id: c.id,
            state: c.state,
            lineage: c.lineage,
            caPem: c.caPem,
            hsms: c.hsms.map((h) => ({ hsmId: h.hsmId, az: h.az, state: h.state })),
            users: clone(c.users),
            quorum: c.quorum,
            vpcId: c.vpcId,
            securityGroup: c.securityGroup,
            subnetMapping: { ...c.subnetMapping },
        })),
        instances: [...w.instances.values()].map((i) => ({ id: i.id, pingStatus: i.pingStatus, clusterId: i.clusterId, hasCloudHsmCli: i.hasCloudHsmCli })),
        secrets: w.secrets.map((s) => ({
            name: s.name,
            arn: s.arn,
            deleted: s.deletedAt !== undefined,
            deletedDate: iso(s.deletedAt),
            deletionDate: iso(s.deletionDate),
            secretString: s.versions.find((v) => v.stages.includes('AWSCURRENT'))?.secretString,
            versions: s.versions.map((v) => ({ versionId: v.versionId, stages: [...v.stages], secretString: v.secretString, secretBinary: v.secretBinary })),
            tags: clone(s.tags),
        })),
        keys: [...w.keys.values()].map((k) => keyView(sim, k)),
        commands: [...w.commands.values()].map((c) => ({
            commandId: c.id,
            documentName: c.documentName,
            comment: c.comment,
            parameters: clone(c.parameters),
            instanceIds: [...c.instanceIds],
            timeoutSeconds: c.timeoutSeconds,
            requestedAt: iso(c.requestedAt)!,
            status: commandStatus(c).status,
            invocations: c.invocations.map((i) => ({
                instanceId: i.instanceId,
                status: i.status,
                statusDetails: i.statusDetails,
                responseCode: i.responseCode,
                stdout: i.stdout,
                stderr: i.stderr,
                startedAt: iso(i.startedAt),
                endedAt: iso(i.endedAt),
            })),
        })),
        parameters: Object.fromEntries([...w.parameters.values()].map((p) => [p.name, p.value])),
        faults: sim.faults.list(),
        requests: requestViews(sim),
        logGroups: [...w.logGroups.values()].map((g) => ({
            name: g.name,
            createdAt: iso(g.createdAt)!,
            streams: [...g.streams.values()].map((st) => ({
                name: st.name,
                createdAt: iso(st.createdAt)!,
                events: st.events.map((e) => ({ timestamp: e.timestamp, message: e.message })),
            })),
        })),
        metrics: w.metrics.map((m) => ({ ...m, dimensions: m.dimensions.map((d) => ({ ...d })), receivedAt: iso(m.receivedAt)! })),
        securityGroups: [...w.securityGroups.values()].map(securityGroupView),
        subnets: [...w.subnets.values()].map((s) => subnetView(sim, s)),
    };
}
