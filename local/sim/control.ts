/**
 * The control API under /_sim/ on the simulator's port: reset, world setup, faults,
 * settings and inspection. JSON in and out; bad input -> 400 {"error": "..."}; unknown route -> 404.
 */
import { randomUUID } from 'node:crypto';
import { BadInput, parseFault } from './faults';
import { CLUSTER_ID_RE, CLUSTER_STATES, ClusterSpec, HSM_STATES, toUser, upsertCluster, UserSpec } from './services/cloudhsm';
import { addKey } from './services/kms';
import { createSecret } from './services/secrets';
import { INSTANCE_ID_RE } from './services/ssm';
import { SCENARIOS, ScenarioName } from './scenario';
import type { Sim } from './sim';
import type { SecurityGroupRule, SimConfig } from './state';
import { keyView, requestViews, securityGroupView, stateView, subnetView } from './views';
import { setAvailableIps } from './services/ec2';

export interface ControlAnswer {
    status: number;
    body: unknown;
}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadInput(`${what} must be a JSON object`);
    return v as Obj;
}
function optType(o: Obj, key: string, type: 'string' | 'boolean' | 'number', what: string): void {
    if (o[key] !== undefined && typeof o[key] !== type) throw new BadInput(`${what}.${key} must be a ${type}`);
}
function oneOf(o: Obj, key: string, allowed: readonly string[], what: string): void {
    if (o[key] !== undefined && !allowed.includes(o[key] as string)) throw new BadInput(`${what}.${key} must be one of ${allowed.join(', ')}`);
}

function checkUser(u: unknown, what: string, partial = false): UserSpec {
    const o = obj(u, what);
    for (const k of ['username', 'role', 'password']) {
        if (o[k] === undefined && !partial) throw new BadInput(`${what}.${k} is required`);
        optType(o, k, 'string', what);
    }
    optType(o, 'locked', 'boolean', what);
    optType(o, 'loggedIn', 'boolean', what);
    optType(o, 'ownsKeys', 'boolean', what);
    if (o.failedLogins !== undefined && !(Number.isInteger(o.failedLogins) && (o.failedLogins as number) >= 0))
        throw new BadInput(`${what}.failedLogins must be a non-negative integer`);
    optType(o, 'clusterCoverage', 'string', what);
    if (
        o.mfa !== undefined &&
        !(Array.isArray(o.mfa) && o.mfa.every((m) => m && typeof m === 'object' && typeof m.strategy === 'string' && typeof m.status === 'string'))
    )
        throw new BadInput(`${what}.mfa must be a list of {strategy, status}, e.g. [{"strategy":"token-sign","status":"enabled"}]`);
    return o as UserSpec;
}

function checkCluster(body: unknown): ClusterSpec {
    const o = obj(body, 'cluster');
    if (typeof o.id !== 'string' || !CLUSTER_ID_RE.test(o.id)) throw new BadInput('cluster.id must match cluster-[2-7a-zA-Z]{11,16}');
    oneOf(o, 'state', CLUSTER_STATES, 'cluster');
    for (const k of ['caPem', 'lineage', 'vpcId', 'hsmType']) optType(o, k, 'string', 'cluster');
    if (o.quorum !== undefined && !(Number.isInteger(o.quorum) && (o.quorum as number) >= 1)) throw new BadInput('cluster.quorum must be a positive integer');
    if (o.hsms !== undefined) {
        if (!Array.isArray(o.hsms)) throw new BadInput('cluster.hsms must be a list of {az, state?}');
        o.hsms.forEach((h, n) => {
            const ho = obj(h, `cluster.hsms[${n}]`);
            if (typeof ho.az !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(ho.az))
                throw new BadInput(`cluster.hsms[${n}].az must be an Availability Zone such as us-east-1a`);
            oneOf(ho, 'state', HSM_STATES, `cluster.hsms[${n}]`);
        });
    }
    if (o.users !== undefined) {
        if (!Array.isArray(o.users)) throw new BadInput('cluster.users must be a list of users');
        o.users.forEach((u, n) => checkUser(u, `cluster.users[${n}]`));
    }
    return o as unknown as ClusterSpec;
}

const CONFIG_NUMBERS: (keyof SimConfig)[] = [
    'timeScale',
    'connectSeconds',
    'disconnectSeconds',
    'commandVisibilitySeconds',
    'commandRunDelaySeconds',
    'commandTimeoutFloorMs',
    'commandBaseSeconds',
    'commandSecondsPerCliCall',
    'commandSecondsPerAwsCall',
    'secretPurgeSeconds',
    'maxKeyStores',
    'describeStoresPageSize',
    'kmsStaleSeconds',
];

const CONFIG_BOOLEANS: (keyof SimConfig)[] = ['renameConnectedStore'];

function checkQuotas(v: unknown): void {
    if (typeof v === 'boolean') return;
    const o = obj(v, 'config.kmsRequestQuotas');
    for (const [op, rate] of Object.entries(o)) {
        if (!/^[A-Za-z]+$/.test(op)) throw new BadInput(`config.kmsRequestQuotas: ${JSON.stringify(op)} is not an operation name`);
        if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0)
            throw new BadInput(`config.kmsRequestQuotas.${op} must be a non-negative number of requests per second (0 = unlimited)`);
    }
}

function checkConfig(body: unknown): Partial<SimConfig> {
    const o = obj(body, 'config');
    for (const [k, v] of Object.entries(o)) {
        if (k === 'kmsRequestQuotas') {
            checkQuotas(v);
            continue;
        }
        if (CONFIG_BOOLEANS.includes(k as keyof SimConfig)) {
            if (typeof v !== 'boolean') throw new BadInput(`config.${k} must be true or false`);
            continue;
        }
        if (!CONFIG_NUMBERS.includes(k as keyof SimConfig))
            throw new BadInput(
                `config.${k} is not a setting that can be changed; settings: ${[...CONFIG_NUMBERS, ...CONFIG_BOOLEANS, 'kmsRequestQuotas'].join(', ')}`,
            );
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new BadInput(`config.${k} must be a non-negative number`);
    }
    return o as Partial<SimConfig>;
}

function putInstance(sim: Sim, body: unknown) {
    const o = obj(body, 'instance');
    if (typeof o.id !== 'string' || !INSTANCE_ID_RE.test(o.id)) throw new BadInput('instance.id must match (^i-(\\w{8}|\\w{17})$)|(^mi-\\w{17}$)');
    oneOf(o, 'pingStatus', ['Online', 'ConnectionLost'], 'instance');
    optType(o, 'hasCloudHsmCli', 'boolean', 'instance');
    oneOf(o, 'cliConfig', ['single', 'multi'], 'instance');
    if (o.clusterId !== undefined && o.clusterId !== null && (typeof o.clusterId !== 'string' || !sim.world.clusters.has(o.clusterId)))
        throw new BadInput(`instance.clusterId must name an existing cluster (or be null to detach); got ${JSON.stringify(o.clusterId)}`);
    const old = sim.world.instances.get(o.id);
    const pingStatus = (o.pingStatus as 'Online' | 'ConnectionLost' | undefined) ?? old?.pingStatus ?? 'Online';
    const inst = {
        id: o.id,
        pingStatus,
        clusterId: o.clusterId === null ? undefined : ((o.clusterId as string | undefined) ?? old?.clusterId),
        hasCloudHsmCli: (o.hasCloudHsmCli as boolean | undefined) ?? old?.hasCloudHsmCli ?? true,
        cliConfig: (o.cliConfig as 'single' | 'multi' | undefined) ?? old?.cliConfig,
        ipAddress: old?.ipAddress ?? `10.0.${Math.floor(Math.random() * 250)}.${10 + Math.floor(Math.random() * 240)}`,
        lastPingAt: pingStatus === 'ConnectionLost' && old?.pingStatus === 'ConnectionLost' ? old.lastPingAt : sim.now(),
    };
    sim.world.instances.set(inst.id, inst);
    if (pingStatus === 'Online' && old?.pingStatus !== 'Online') sim.runner.instanceOnline(inst.id);
    return { id: inst.id, pingStatus: inst.pingStatus, clusterId: inst.clusterId, hasCloudHsmCli: inst.hasCloudHsmCli };
}

function putSecret(sim: Sim, body: unknown) {
    const o = obj(body, 'secret');
    if (typeof o.name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(o.name)) throw new BadInput('secret.name must match ^[A-Za-z0-9/_+=.@-]{1,512}$');
    optType(o, 'secretString', 'string', 'secret');
    optType(o, 'secretBinary', 'string', 'secret');
    optType(o, 'description', 'string', 'secret');
    if ((o.secretString === undefined) === (o.secretBinary === undefined))
        throw new BadInput('secret needs exactly one of secretString, secretBinary (base64)');
    const str = o.secretString as string | undefined;
    const bin = o.secretBinary as string | undefined;
    const existing = sim.world.secrets.find((s) => s.name === o.name);
    if (!existing) {
        const { secret, version } = createSecret(sim, { name: o.name, secretString: str, secretBinary: bin, description: o.description as string | undefined });
        return { name: secret.name, arn: secret.arn, versionId: version!.versionId };
    }
    // An existing secret (even one scheduled for deletion) is restored and gets a new AWSCURRENT version.
    delete existing.deletedAt;
    delete existing.deletionDate;
    delete existing.purgeAt;
    const prev = existing.versions.find((v) => v.stages.includes('AWSCURRENT'));
    for (const v of existing.versions) v.stages = v.stages.filter((l) => l !== 'AWSPREVIOUS' && l !== 'AWSCURRENT');
    if (prev) prev.stages.push('AWSPREVIOUS');
    const versionId = randomUUID();
    existing.versions.push({ versionId, stages: ['AWSCURRENT'], createdAt: sim.now(), ...(str !== undefined ? { secretString: str } : { secretBinary: bin }) });
    existing.lastChangedAt = sim.now();
    return { name: existing.name, arn: existing.arn, versionId };
}

/** The most keys one POST /_sim/keys may add (`count`). */
const MAX_KEY_COUNT = 100_000;

function putKey(sim: Sim, body: unknown) {
    const o = obj(body ?? {}, 'key');
    if (o.count !== undefined) {
        if (!Number.isInteger(o.count) || (o.count as number) < 1 || (o.count as number) > MAX_KEY_COUNT)
            throw new BadInput(`key.count must be an integer from 1 to ${MAX_KEY_COUNT}`);
        const { count, ...one } = o;
        const keyIds: string[] = [];
        for (let i = 0; i < (count as number); i++) keyIds.push(putOneKey(sim, one).keyId);
        return { count, keyIds };
    }
    return putOneKey(sim, o);
}

function putOneKey(sim: Sim, o: Obj) {
    optType(o, 'customKeyStoreId', 'string', 'key');
    optType(o, 'description', 'string', 'key');
    optType(o, 'pendingDeletion', 'boolean', 'key');
    optType(o, 'policy', 'string', 'key');
    const storeId = o.customKeyStoreId as string | undefined;
    if (storeId !== undefined && !sim.world.stores.has(storeId)) throw new BadInput(`key.customKeyStoreId: no key store ${storeId}`);
    if (o.policy !== undefined) {
        let doc: unknown;
        try {
            doc = JSON.parse(o.policy as string);
        } catch {
            throw new BadInput('key.policy must be a JSON key policy document');
        }
        if (!doc || typeof doc !== 'object' || !('Statement' in doc)) throw new BadInput('key.policy must be a key policy document with a Statement');
    }
    const k = addKey(sim, { customKeyStoreId: storeId, description: o.description as string | undefined });
    // Someone else's key with its own policy (e.g. one that does not let this account's IAM principals describe it).
    if (o.policy !== undefined) k.policy = o.policy as string;
    if (o.pendingDeletion) {
        k.deletionDate = sim.now() + 30 * 86_400_000;
        k.pendingWindowInDays = 30;
    }
    return keyView(sim, k);
}

function putUser(sim: Sim, clusterId: string, body: unknown) {
    const c = sim.world.clusters.get(clusterId);
    if (!c) return { status: 404, body: { error: `no cluster ${clusterId}` } };
    const spec = checkUser(body, 'user', true);
    if (typeof spec.username !== 'string') throw new BadInput('user.username is required');
    const i = c.users.findIndex((u) => u.username.toLowerCase() === spec.username.toLowerCase());
    if (i < 0) c.users.push(toUser(checkUser(body, 'user')));
    else c.users[i] = { ...c.users[i]!, ...spec };
    return { status: 200, body: c.users.find((u) => u.username.toLowerCase() === spec.username.toLowerCase()) };
}

/** EC2 knobs: a security group's rules (to remove or restore one), a subnet's free addresses (to fill it). */
function checkRules(v: unknown, what: string): SecurityGroupRule[] {
    if (!Array.isArray(v)) throw new BadInput(`${what} must be a list of rules {protocol, fromPort?, toPort?, groupIds?, cidrs?}`);
    return v.map((r, n) => {
        const o = obj(r, `${what}[${n}]`);
        if (typeof o.protocol !== 'string' || !o.protocol) throw new BadInput(`${what}[${n}].protocol must be tcp, udp, icmp or -1`);
        for (const k of ['fromPort', 'toPort'])
            if (o[k] !== undefined && !(Number.isInteger(o[k]) && (o[k] as number) >= -1 && (o[k] as number) <= 65535))
                throw new BadInput(`${what}[${n}].${k} must be a port number`);
        for (const k of ['groupIds', 'cidrs'])
            if (o[k] !== undefined && !(Array.isArray(o[k]) && (o[k] as unknown[]).every((x) => typeof x === 'string')))
                throw new BadInput(`${what}[${n}].${k} must be a list of strings`);
        return {
            protocol: o.protocol,
            ...(o.fromPort !== undefined ? { fromPort: o.fromPort as number } : {}),
            ...(o.toPort !== undefined ? { toPort: o.toPort as number } : {}),
            groupIds: (o.groupIds as string[] | undefined) ?? [],
            cidrs: (o.cidrs as string[] | undefined) ?? [],
        };
    });
}

function putSecurityGroup(sim: Sim, body: unknown) {
    const o = obj(body, 'securityGroup');
    const g = typeof o.id === 'string' ? sim.world.securityGroups.get(o.id) : undefined;
    if (!g) throw new BadInput(`securityGroup.id must name an existing security group (a cluster's: GET /_sim/state shows them); got ${JSON.stringify(o.id)}`);
    if (o.inbound !== undefined) g.inbound = checkRules(o.inbound, 'securityGroup.inbound');
    if (o.outbound !== undefined) g.outbound = checkRules(o.outbound, 'securityGroup.outbound');
    return securityGroupView(g);
}

function putSubnet(sim: Sim, body: unknown) {
    const o = obj(body, 'subnet');
    const s = typeof o.id === 'string' ? sim.world.subnets.get(o.id) : undefined;
    if (!s) throw new BadInput(`subnet.id must name an existing subnet (a cluster's: GET /_sim/state shows them); got ${JSON.stringify(o.id)}`);
    if (o.availableIpAddressCount !== undefined) {
        if (!(Number.isInteger(o.availableIpAddressCount) && (o.availableIpAddressCount as number) >= 0))
            throw new BadInput('subnet.availableIpAddressCount must be a non-negative integer');
        setAvailableIps(sim, s, o.availableIpAddressCount as number);
    }
    return subnetView(sim, s);
}

/** Answer one control request. `path` is the URL path (no query), `query` its parameters. */
export function handleControl(sim: Sim, method: string, path: string, query: URLSearchParams, raw: string): ControlAnswer {
    let body: unknown;
    try {
        body = raw.trim() === '' ? undefined : JSON.parse(raw);
    } catch {
        return { status: 400, body: { error: 'request body is not valid JSON' } };
    }
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    const ok = (b: unknown): ControlAnswer => ({ status: 200, body: b });
    try {
        let m: RegExpMatchArray | null;
        switch (route) {
            case 'POST /_sim/reset': {
                const scenario = body === undefined ? 'default' : (obj(body, 'reset').scenario ?? 'default');
                if (!SCENARIOS.includes(scenario as ScenarioName)) throw new BadInput(`scenario must be one of ${SCENARIOS.join(', ')}`);
                sim.reset(scenario as ScenarioName);
                return ok({ scenario });
            }
            case 'GET /_sim/state':
                return ok(stateView(sim));
            case 'GET /_sim/config':
                return ok({ ...sim.config });
            case 'GET /_sim/clock':
                return ok({ now: sim.now(), timeScale: sim.clock.timeScale });
            case 'POST /_sim/config':
                return ok(sim.setConfig(checkConfig(body)));
            case 'POST /_sim/clusters': {
                const c = upsertCluster(sim, checkCluster(body));
                return ok(stateView(sim).clusters.find((x) => x.id === c.id));
            }
            case 'POST /_sim/instances':
                return ok(putInstance(sim, body));
            case 'POST /_sim/secrets':
                return ok(putSecret(sim, body));
            case 'POST /_sim/keys':
                return ok(putKey(sim, body));
            case 'POST /_sim/security-groups':
                return ok(putSecurityGroup(sim, body));
            case 'POST /_sim/subnets':
                return ok(putSubnet(sim, body));
            case 'GET /_sim/faults':
                return ok(sim.faults.list());
            case 'POST /_sim/faults': {
                const specs = (Array.isArray(body) ? body : [body]).map(parseFault);
                return ok(specs.map((s) => sim.faults.add(s)));
            }
            case 'DELETE /_sim/faults':
                sim.faults.clear();
                return ok({ cleared: true });
            case 'GET /_sim/requests': {
                const since = Number(query.get('since') ?? 0);
                return ok(
                    requestViews(sim).filter(
                        (r) =>
                            r.seq > since &&
                            (!query.get('service') || r.service === query.get('service')) &&
                            (!query.get('operation') || r.operation === query.get('operation')),
                    ),
                );
            }
            case 'DELETE /_sim/requests':
                sim.world.requests = [];
                return ok({ cleared: true });
        }
        if ((m = route.match(/^DELETE \/_sim\/clusters\/([^/]+)$/))) {
            const id = decodeURIComponent(m[1]!);
            if (!sim.world.clusters.delete(id)) return { status: 404, body: { error: `no cluster ${id}` } };
            return ok({ deleted: id });
        }
        if ((m = route.match(/^DELETE \/_sim\/(security-groups|subnets)\/([^/]+)$/))) {
            const id = decodeURIComponent(m[2]!);
            const map = m[1] === 'subnets' ? sim.world.subnets : sim.world.securityGroups;
            if (!map.delete(id)) return { status: 404, body: { error: `no ${m[1] === 'subnets' ? 'subnet' : 'security group'} ${id}` } };
            return ok({ deleted: id });
        }
        if ((m = route.match(/^POST \/_sim\/clusters\/([^/]+)\/users$/))) return putUser(sim, decodeURIComponent(m[1]!), body);
        if ((m = route.match(/^DELETE \/_sim\/clusters\/([^/]+)\/users\/([^/]+)$/))) {
            const c = sim.world.clusters.get(decodeURIComponent(m[1]!));
            const name = decodeURIComponent(m[2]!).toLowerCase();
            if (!c || !c.users.some((u) => u.username.toLowerCase() === name)) return { status: 404, body: { error: 'no such cluster or user' } };
            c.users = c.users.filter((u) => u.username.toLowerCase() !== name);
            return ok({ deleted: name });
        }
        return { status: 404, body: { error: `no control route ${route}` } };
    } catch (e) {
        if (e instanceof BadInput) return { status: 400, body: { error: e.message } };
        throw e;
    }
}
