/** Typed helpers for the control API, over HTTP: they work against an in-process simulator or a `npm run sim` one. */
import type { FaultRecord, FaultSpec } from './faults';
import type { ScenarioName } from './scenario';
import type { ClusterSpec, UserSpec } from './services/cloudhsm';
import type { HsmUser, SecurityGroupRule, SimConfig } from './state';
import type { ClusterView, KeyView, RequestView, SecurityGroupView, SimStateView, SubnetView } from './views';

export interface InstanceSpec {
    id: string;
    pingStatus?: 'Online' | 'ConnectionLost';
    /** Cluster the instance's cloudhsm-cli talks to; null detaches it. */
    clusterId?: string | null;
    hasCloudHsmCli?: boolean;
    cliConfig?: 'single' | 'multi';
}
export interface SecretSpec {
    name: string;
    secretString?: string;
    /** base64 */
    secretBinary?: string;
    description?: string;
}
export interface KeySpec {
    customKeyStoreId?: string;
    description?: string;
    pendingDeletion?: boolean;
    /** The key policy (JSON text); default: KMS's default key policy, which lets the account's IAM principals in. */
    policy?: string;
}
/** A security group's rule lists to replace (a cluster's group: GET /_sim/state -> clusters[].securityGroup). */
export interface SecurityGroupSpec {
    id: string;
    inbound?: SecurityGroupRule[];
    outbound?: SecurityGroupRule[];
}
/** A subnet's free addresses to set (0 fills it). */
export interface SubnetSpec {
    id: string;
    availableIpAddressCount?: number;
}
export interface RequestFilter {
    service?: string;
    operation?: string;
    /** Only requests with seq greater than this. */
    since?: number;
}

export class ControlError extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
        this.name = 'ControlError';
    }
}

export interface SimControl {
    reset(scenario?: ScenarioName): Promise<{ scenario: ScenarioName }>;
    state(): Promise<SimStateView>;
    config(patch?: Partial<SimConfig>): Promise<SimConfig>;
    /** Simulated time now (epoch ms) and the time scale. */
    clock(): Promise<{ now: number; timeScale: number }>;
    putCluster(spec: ClusterSpec): Promise<ClusterView>;
    deleteCluster(id: string): Promise<void>;
    putUser(clusterId: string, user: Partial<UserSpec> & { username: string }): Promise<HsmUser>;
    deleteUser(clusterId: string, username: string): Promise<void>;
    putInstance(spec: InstanceSpec): Promise<Required<Omit<InstanceSpec, 'clusterId'>> & { clusterId?: string }>;
    putSecret(spec: SecretSpec): Promise<{ name: string; arn: string; versionId: string }>;
    putKey(spec?: KeySpec): Promise<KeyView>;
    putSecurityGroup(spec: SecurityGroupSpec): Promise<SecurityGroupView>;
    deleteSecurityGroup(id: string): Promise<void>;
    putSubnet(spec: SubnetSpec): Promise<SubnetView>;
    deleteSubnet(id: string): Promise<void>;
    /** Adds `count` keys alike in one call (an account with thousands of keys). */
    putKeys(count: number, spec?: KeySpec): Promise<{ count: number; keyIds: string[] }>;
    addFault(spec: FaultSpec): Promise<FaultRecord>;
    addFaults(specs: FaultSpec[]): Promise<FaultRecord[]>;
    faults(): Promise<FaultRecord[]>;
    clearFaults(): Promise<void>;
    requests(filter?: RequestFilter): Promise<RequestView[]>;
    clearRequests(): Promise<void>;
    /** Any control route, raw: returns status and parsed body without throwing. */
    raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

/** Control helpers for the simulator at `endpoint` (e.g. http://127.0.0.1:4566). Non-200 answers throw ControlError. */
export function controlClient(endpoint: string): SimControl {
    const base = endpoint.replace(/\/+$/, '');
    const raw = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${base}${path}`, {
            method,
            headers: { 'content-type': 'application/json' },
            body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        });
        const text = await res.text();
        let parsed: unknown = text;
        try {
            parsed = JSON.parse(text);
        } catch {
            /* leave as text */
        }
        return { status: res.status, body: parsed };
    };
    const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
        const r = await raw(method, path, body);
        if (r.status !== 200) throw new ControlError(r.status, (r.body as { error?: string })?.error ?? `HTTP ${r.status}`);
        return r.body as T;
    };
    const enc = encodeURIComponent;
    return {
        reset: (scenario = 'default') => call('POST', '/_sim/reset', { scenario }),
        state: () => call('GET', '/_sim/state'),
        clock: () => call('GET', '/_sim/clock'),
        config: (patch) => (patch ? call('POST', '/_sim/config', patch) : call('GET', '/_sim/config')),
        putCluster: (spec) => call('POST', '/_sim/clusters', spec),
        deleteCluster: async (id) => void (await call('DELETE', `/_sim/clusters/${enc(id)}`)),
        putUser: (clusterId, user) => call('POST', `/_sim/clusters/${enc(clusterId)}/users`, user),
        deleteUser: async (clusterId, username) => void (await call('DELETE', `/_sim/clusters/${enc(clusterId)}/users/${enc(username)}`)),
        putInstance: (spec) => call('POST', '/_sim/instances', spec),
        putSecret: (spec) => call('POST', '/_sim/secrets', spec),
        putKey: (spec = {}) => call('POST', '/_sim/keys', spec),
        putSecurityGroup: (spec) => call('POST', '/_sim/security-groups', spec),
        deleteSecurityGroup: async (id) => void (await call('DELETE', `/_sim/security-groups/${enc(id)}`)),
        putSubnet: (spec) => call('POST', '/_sim/subnets', spec),
        deleteSubnet: async (id) => void (await call('DELETE', `/_sim/subnets/${enc(id)}`)),
        putKeys: (count, spec = {}) => call('POST', '/_sim/keys', { ...spec, count }),
        addFault: async (spec) => (await call<FaultRecord[]>('POST', '/_sim/faults', spec))[0]!,
        addFaults: (specs) => call('POST', '/_sim/faults', specs),
        faults: () => call('GET', '/_sim/faults'),
        clearFaults: async () => void (await call('DELETE', '/_sim/faults')),
        requests: (f = {}) => {
            const q = new URLSearchParams();
            if (f.service) q.set('service', f.service);
            if (f.operation) q.set('operation', f.operation);
            if (f.since !== undefined) q.set('since', String(f.since));
            const s = q.toString();
            return call('GET', `/_sim/requests${s ? `?${s}` : ''}`);
        },
        clearRequests: async () => void (await call('DELETE', '/_sim/requests')),
        raw,
    };
}
