/**
 * EC2, as much as the handler's cluster network checks read: DescribeSecurityGroups and DescribeSubnets over the EC2
 * query protocol (a form-encoded POST `Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=subnet-id&
 * Filter.1.Value.1=subnet-...`, answered with XML), and the clusters' network behind them: each cluster's security
 * group and the subnets of its subnet mapping, made when the cluster is (upsertCluster).
 *
 * What the network means to KMS (the rules kms.ts applies, KMS API reference):
 * - CloudHsmClusterInvalidConfigurationException (CreateCustomKeyStore, UpdateCustomKeyStore): "The CloudHSM cluster
 *   must be configured with private subnets in at least two different Availability Zones" and "The security group for
 *   the cluster (cloudhsm-cluster-<cluster-id>-sg) must include inbound rules and outbound rules that allow TCP traffic
 *   on ports 2223-2225. The Source in the inbound rules and the Destination in the outbound rules must match the
 *   security group ID."
 * - ConnectionErrorCode: SUBNET_NOT_FOUND ("A subnet in the CloudHSM cluster configuration was deleted"),
 *   INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET ("A CloudHSM key store connection requires one free IP address in each of
 *   the associated private subnets"), NETWORK_ERRORS ("Network errors are preventing KMS from connecting"): a connect
 *   through a security group without those rules ends NETWORK_ERRORS (assumed: KMS does not say which error a rule
 *   removed after the create gives).
 * - A CONNECTED key store holds one address in each subnet of its cluster (assumed from the free-address rule: KMS
 *   puts a network interface in each subnet while connected); a disconnect frees it.
 *
 * Default rules: "CloudHSM creates a security group with the name cloudhsm-cluster-clusterID-sg. This security group
 * contains a preconfigured TCP rule that allows inbound and outbound communication within the cluster security group
 * over ports 2223-2225" (CloudHSM user guide, "Review the cluster security group"). A subnet is a /24, of which AWS
 * reserves 5 addresses (VPC user guide, "Subnet CIDR blocks"), and each HSM takes one (its network interface).
 */
import type { Sim } from '../sim';
import { Cluster, SecurityGroup, SecurityGroupRule, Subnet } from '../state';
import { AwsError, decodeToken, encodeToken, Json, page } from '../wire';

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
/** The ports the HSMs and KMS talk on. */
const HSM_PORTS = [2223, 2224, 2225];
/** Usable addresses of a /24: 256, less the 5 AWS reserves in every subnet. */
const SUBNET_ADDRESSES = 251;

/** cloudhsm-cluster-<id without its cluster- prefix>-sg, as CloudHSM names it. */
export const clusterGroupName = (clusterId: string) => `cloudhsm-cluster-${clusterId.replace(/^cluster-/, '')}-sg`;

/** The rule CloudHSM puts in both directions: TCP 2223-2225 within the group. */
export const selfRule = (groupId: string): SecurityGroupRule => ({ protocol: 'tcp', fromPort: 2223, toPort: 2225, groupIds: [groupId], cidrs: [] });

/**
 * A new cluster's security group with its default rules, and a subnet for each zone of its mapping not seen before.
 * Records removed by the control API (a deleted subnet) stay removed when the cluster is changed later.
 */
export function ensureClusterNetwork(sim: Sim, c: Cluster, old: Cluster | undefined): void {
    const w = sim.world;
    if (!old) {
        w.securityGroups.set(c.securityGroup, {
            id: c.securityGroup,
            name: clusterGroupName(c.id),
            description: `Security group for CloudHSM cluster ${c.id}`,
            vpcId: c.vpcId,
            inbound: [selfRule(c.securityGroup)],
            outbound: [selfRule(c.securityGroup)],
        });
    }
    for (const [az, id] of Object.entries(c.subnetMapping)) {
        if (old?.subnetMapping[az] === id) continue;
        if (!w.subnets.has(id)) w.subnets.set(id, { id, vpcId: c.vpcId, az, cidr: `10.${w.subnets.size % 256}.0.0/24`, usedByOthers: 0 });
    }
}

/** Free addresses: the /24's, less the HSMs' network interfaces, KMS's connections, and what others use. */
export function availableIps(sim: Sim, s: Subnet): number {
    let used = s.usedByOthers;
    for (const c of sim.world.clusters.values()) {
        used += c.hsms.filter((h) => h.subnetId === s.id && h.state !== 'DELETED').length;
        if (Object.values(c.subnetMapping).includes(s.id))
            for (const store of sim.world.stores.values()) if (store.clusterId === c.id && store.state === 'CONNECTED') used += 1;
    }
    return Math.max(0, SUBNET_ADDRESSES - used);
}

/** Sets a subnet's free addresses to `free` (by what others use), as a test fills or frees a subnet. */
export function setAvailableIps(sim: Sim, s: Subnet, free: number): void {
    s.usedByOthers = Math.max(0, s.usedByOthers + availableIps(sim, s) - free);
}

const opensHsmPorts = (rules: SecurityGroupRule[], groupId: string) =>
    HSM_PORTS.every((port) =>
        rules.some(
            (r) =>
                r.groupIds.includes(groupId) &&
                (r.protocol === '-1' ||
                    ((r.protocol === 'tcp' || r.protocol === '6') &&
                        r.fromPort !== undefined &&
                        r.toPort !== undefined &&
                        r.fromPort <= port &&
                        port <= r.toPort)),
        ),
    );

/** Whether the cluster's security group lets KMS reach the HSMs: TCP 2223-2225 in and out, within the group. */
export function securityGroupOpen(sim: Sim, c: Cluster): boolean {
    const g = sim.world.securityGroups.get(c.securityGroup);
    return !!g && opensHsmPorts(g.inbound, g.id) && opensHsmPorts(g.outbound, g.id);
}

/** What CreateCustomKeyStore and UpdateCustomKeyStore refuse with CloudHsmClusterInvalidConfigurationException, if anything. */
export function networkConfigurationError(sim: Sim, c: Cluster): string | undefined {
    if (Object.keys(c.subnetMapping).length < 2)
        return `The AWS CloudHSM cluster ${c.id} must be configured with private subnets in at least two different Availability Zones in the Region.`;
    if (!securityGroupOpen(sim, c))
        return `The security group for the AWS CloudHSM cluster ${c.id} (${clusterGroupName(c.id)}) must include inbound rules and outbound rules that allow TCP traffic on ports 2223-2225 whose source and destination are the security group.`;
    return undefined;
}

/** The ConnectionErrorCode a connect ends with because of the cluster's network, if any. */
export function connectNetworkFailure(sim: Sim, c: Cluster): string | undefined {
    const subnets = Object.values(c.subnetMapping).map((id) => sim.world.subnets.get(id));
    if (subnets.some((s) => !s)) return 'SUBNET_NOT_FOUND';
    if (!securityGroupOpen(sim, c)) return 'NETWORK_ERRORS';
    if (subnets.some((s) => availableIps(sim, s!) < 1)) return 'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET';
    return undefined;
}

// ---- the wire: EC2 query requests and XML answers --------------------------------------------------------------

/**
 * `Filter.1.Value.2=x` -> { Filter: [{ Value: [, 'x'] }] }: the EC2 protocol's lists are flattened with 1-based
 * indexes and no `member` segment (unlike CloudWatch's query protocol).
 */
export function parseEc2Query(raw: string): Json {
    const root: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(raw)) {
        const parts = key.split('.');
        let node: Record<string, unknown> | unknown[] = root;
        for (let i = 0; i < parts.length; i++) {
            const part = parts[i];
            const last = i === parts.length - 1;
            const index = /^\d+$/.test(part) ? Number(part) - 1 : undefined;
            const slot: string | number = index ?? part;
            if (last) {
                (node as Record<string | number, unknown>)[slot] = value;
                break;
            }
            const nextIsIndex = /^\d+$/.test(parts[i + 1]);
            const container = node as Record<string | number, unknown>;
            container[slot] ??= nextIsIndex ? [] : {};
            node = container[slot] as Record<string, unknown> | unknown[];
        }
    }
    return root;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const el = (name: string, value: string | number | boolean | undefined) => (value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`);
const items = (name: string, parts: string[]) => `<${name}>${parts.map((p) => `<item>${p}</item>`).join('')}</${name}>`;

export function ec2ResultXml(operation: string, requestId: string, inner: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${EC2_XMLNS}"><requestId>${requestId}</requestId>${inner}</${operation}Response>`;
}

/** EC2's error document (EC2 API reference, "Error codes": Response/Errors/Error/Code and Message, RequestID). */
export function ec2ErrorXml(err: AwsError, requestId: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(err.type)}</Code><Message>${escapeXml(err.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

// ---- the operations ------------------------------------------------------------------------------------------

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

interface Filter {
    name: string;
    values: string[];
}

function filtersOf(body: Json, allowed: readonly string[]): Filter[] {
    const raw = Array.isArray(body.Filter) ? (body.Filter as unknown[]) : [];
    return raw.map((f) => {
        const o = (f ?? {}) as Json;
        const name = typeof o.Name === 'string' ? o.Name : '';
        if (!allowed.includes(name)) throw new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`);
        return { name, values: strings(o.Value) };
    });
}

const matches = (filters: Filter[], get: (name: string) => string | undefined) => filters.every((f) => f.values.includes(get(f.name) ?? ''));

function maxResults(body: Json): number | undefined {
    if (body.MaxResults === undefined) return undefined;
    const n = Number(body.MaxResults);
    if (!Number.isInteger(n) || n < 5 || n > 1000)
        throw new AwsError(
            'InvalidParameterValue',
            `Value ( ${String(body.MaxResults)} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
        );
    return n;
}

function paged<T>(list: T[], body: Json): { items: T[]; next?: string } {
    const token = typeof body.NextToken === 'string' ? body.NextToken : undefined;
    const start = decodeToken(token, 'InvalidParameterValue', 'The token is not valid.');
    const p = page(list, start, maxResults(body) ?? 1000);
    return { items: p.items, ...(p.next !== undefined ? { next: encodeToken(p.next) } : {}) };
}

const ruleXml = (r: SecurityGroupRule, accountId: string) =>
    el('ipProtocol', r.protocol) +
    (r.protocol === '-1' ? '' : el('fromPort', r.fromPort) + el('toPort', r.toPort)) +
    items(
        'groups',
        r.groupIds.map((g) => el('userId', accountId) + el('groupId', g)),
    ) +
    items(
        'ipRanges',
        r.cidrs.map((c) => el('cidrIp', c)),
    ) +
    '<ipv6Ranges/><prefixListIds/>';

function groupXml(sim: Sim, g: SecurityGroup): string {
    const account = sim.config.accountId;
    return (
        el('ownerId', account) +
        el('groupId', g.id) +
        el('groupName', g.name) +
        el('groupDescription', g.description) +
        el('vpcId', g.vpcId) +
        items(
            'ipPermissions',
            g.inbound.map((r) => ruleXml(r, account)),
        ) +
        items(
            'ipPermissionsEgress',
            g.outbound.map((r) => ruleXml(r, account)),
        ) +
        el('securityGroupArn', `arn:aws:ec2:${sim.config.region}:${account}:security-group/${g.id}`) +
        '<tagSet/>'
    );
}

const AZ_IDS: Record<string, string> = { a: 'az1', b: 'az2', c: 'az4', d: 'az6', e: 'az3', f: 'az5' };

function subnetXml(sim: Sim, s: Subnet): string {
    const account = sim.config.accountId;
    // use1-az1: the Region's short form and a zone number (assumed: which number a zone letter maps to differs per account)
    const [area, direction, n] = sim.config.region.split('-');
    const zoneId = `${area}${direction?.[0] ?? ''}${n ?? ''}-${AZ_IDS[s.az.slice(-1)] ?? 'az1'}`;
    return (
        el('subnetId', s.id) +
        el('subnetArn', `arn:aws:ec2:${sim.config.region}:${account}:subnet/${s.id}`) +
        el('state', 'available') +
        el('ownerId', account) +
        el('vpcId', s.vpcId) +
        el('cidrBlock', s.cidr) +
        '<ipv6CidrBlockAssociationSet/>' +
        el('availableIpAddressCount', availableIps(sim, s)) +
        el('availabilityZone', s.az) +
        el('availabilityZoneId', zoneId) +
        el('defaultForAz', false) +
        el('mapPublicIpOnLaunch', false) +
        el('assignIpv6AddressOnCreation', false) +
        '<tagSet/>'
    );
}

/** The ids a request names (`GroupId.N` / `SubnetId.N`), each checked: malformed or unknown ones fail the whole call. */
function namedIds<T>(values: unknown, prefix: string, lookup: (id: string) => T | undefined, malformed: string, notFound: (id: string) => AwsError): T[] {
    const ids = strings(values);
    for (const id of ids) if (!new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`).test(id)) throw new AwsError(malformed, `Invalid id: "${id}"`);
    return ids.map((id) => {
        const found = lookup(id);
        if (!found) throw notFound(id);
        return found;
    });
}

const GROUP_FILTERS = ['group-id', 'group-name', 'vpc-id'] as const;
const SUBNET_FILTERS = ['subnet-id', 'vpc-id', 'availability-zone', 'state'] as const;

/** DescribeSecurityGroups: GroupId.N (each must exist: InvalidGroup.NotFound otherwise), Filter.N, MaxResults, NextToken. */
function DescribeSecurityGroups(sim: Sim, body: Json): Json {
    const w = sim.world;
    const named = namedIds(
        body.GroupId,
        'sg',
        (id) => w.securityGroups.get(id),
        'InvalidGroupId.Malformed',
        (id) => new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`),
    );
    const filters = filtersOf(body, GROUP_FILTERS);
    const all = named.length ? named : [...w.securityGroups.values()];
    const list = all.filter((g) => matches(filters, (n) => ({ 'group-id': g.id, 'group-name': g.name, 'vpc-id': g.vpcId })[n]));
    const p = paged(list, body);
    return {
        xml:
            items(
                'securityGroupInfo',
                p.items.map((g) => groupXml(sim, g)),
            ) + (p.next ? el('nextToken', p.next) : ''),
    };
}

/** DescribeSubnets: SubnetId.N (each must exist: InvalidSubnetID.NotFound otherwise), Filter.N, MaxResults, NextToken. */
function DescribeSubnets(sim: Sim, body: Json): Json {
    const w = sim.world;
    const named = namedIds(
        body.SubnetId,
        'subnet',
        (id) => w.subnets.get(id),
        'InvalidSubnetID.Malformed',
        (id) => new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
    );
    const filters = filtersOf(body, SUBNET_FILTERS);
    const all = named.length ? named : [...w.subnets.values()];
    const list = all.filter((s) => matches(filters, (n) => ({ 'subnet-id': s.id, 'vpc-id': s.vpcId, 'availability-zone': s.az, state: 'available' })[n]));
    const p = paged(list, body);
    return {
        xml:
            items(
                'subnetSet',
                p.items.map((s) => subnetXml(sim, s)),
            ) + (p.next ? el('nextToken', p.next) : ''),
    };
}

/** Operations answer `{ xml }`: the inside of the <OperationResponse> element. */
export const ec2Operations: Record<string, (sim: Sim, body: Json) => Json> = { DescribeSecurityGroups, DescribeSubnets };
