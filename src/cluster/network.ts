/**
 * The preflight of a key store's cluster: everything KMS needs of the cluster and its network, checked in seconds
 * before a create makes anything and before an update moves or reconnects a key store, so that a broken network
 * fails at once with its fix instead of after a connect of up to 20 minutes (NETWORK_ERRORS, SUBNET_NOT_FOUND,
 * INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET).
 *
 * What KMS needs is documented in the KMS API reference, CloudHsmClusterInvalidConfigurationException: "The
 * CloudHSM cluster must be configured with private subnets in at least two different Availability Zones in the
 * Region. The security group for the cluster (cloudhsm-cluster-<cluster-id>-sg) must include inbound rules and
 * outbound rules that allow TCP traffic on ports 2223-2225. The Source in the inbound rules and the Destination in
 * the outbound rules must match the security group ID. ... the CloudHSM cluster must have at least two active HSMs,
 * each in a different Availability Zone." The free address: KMS API reference, ConnectionErrorCode
 * INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET: "A CloudHSM key store connection requires one free IP address in each of
 * the associated private subnets, although two are preferable." The trust anchor: CreateCustomKeyStore,
 * TrustAnchorCertificate: "the content of the trust anchor certificate for the CloudHSM cluster ... the
 * customerCA.crt file that you created when you initialized the cluster", which signed the cluster certificate
 * (CloudHSM user guide, "Initialize the cluster").
 *
 * Not checked: that the subnets are private (that needs their route tables, DescribeRouteTables); CloudHSM puts
 * the HSMs' network interfaces in the subnets given when the cluster was created.
 */
import { X509Certificate } from 'crypto';
import type { Adapters } from '../aws/adapters';
import type { Cluster } from '../aws/cloudhsm';
import type { SecurityGroup, SecurityGroupRule } from '../aws/ec2';
import { invalid, Problem } from '../engine/problem';
import { clusterProblems } from './checks';

/** The ports the HSMs and KMS talk on (CloudHSM user guide, "Review cluster security group"). */
export const HSM_PORTS = [2223, 2224, 2225] as const;

export interface PreflightOptions {
    /** The trust anchor PEM the key store has or will have: the cluster certificate must be signed by it. */
    trustAnchor?: string;
    /** Where the trust anchor comes from, for messages (e.g. "the CA in CloudHsmCustCaCertSecretName ca/secret"). */
    trustAnchorSource?: string;
    /** What a person does when the cluster's subnets are wrong: depends on whether a key store exists already. */
    subnetRemedy?: string;
    /** The message when the trust anchor did not sign the cluster certificate (a cluster move: an unrelated cluster). */
    unsignedMessage?: string;
    /**
     * A reconnect of an existing store: KMS's rule for ConnectCustomKeyStore (one active HSM), and no check of the zones
     * of its subnets, which KMS checked when the store was made on (or moved to) the cluster.
     */
    connect?: boolean;
}

/**
 * Every problem KMS would meet with this cluster, all of them (not only the first): the cluster's state and HSMs,
 * its subnets' zones, its security group's rules, its subnets (there, with a free address), the trust anchor.
 */
export async function preflightCluster(aws: Adapters, clusterId: string, opts: PreflightOptions = {}): Promise<Problem[]> {
    const cluster = await aws.hsm.describeCluster(clusterId);
    const problems = clusterProblems(clusterId, cluster, opts.connect ? 'connect' : 'keyStore');
    // a missing or inactive cluster says all there is to say
    if (!cluster || cluster.state !== 'ACTIVE') return problems;
    if (!opts.connect) problems.push(...zoneProblems(cluster));
    // the two EC2 calls at once: a preflight costs one round trip more than DescribeClusters
    const [group, subnets] = await Promise.all([securityGroupProblems(aws, cluster), subnetProblems(aws, cluster, opts)]);
    problems.push(...group, ...subnets);
    problems.push(...trustAnchorProblems(cluster, opts));
    return problems;
}

function zoneProblems(c: Cluster): Problem[] {
    const zones = Object.keys(c.subnetMapping ?? {}).sort();
    if (!c.subnetMapping || zones.length >= 2) return [];
    return [
        invalid(
            `CloudHsmClusterId ${c.id}: the cluster has subnets in ${zones.length} Availability Zone(s) (${zones.join(', ') || 'none'}); KMS needs private subnets in at least two. A cluster's subnets are fixed: restore a backup of it into subnets in two zones (aws cloudhsmv2 create-cluster --source-backup-id ... --subnet-ids ...), and use the new cluster.`,
        ),
    ];
}

/** The ports among 2223-2225 that no rule of `rules` opens for TCP to or from the group itself. */
export function uncoveredPorts(rules: SecurityGroupRule[], groupId: string): number[] {
    const opens = (r: SecurityGroupRule, port: number) => {
        if (!r.groupIds.includes(groupId)) return false;
        // -1: all protocols and ports (EC2 API reference, IpPermission: "Use -1 to specify all protocols ... all ports")
        if (r.protocol === '-1') return true;
        if (r.protocol !== 'tcp' && r.protocol !== '6') return false;
        return r.fromPort !== undefined && r.toPort !== undefined && r.fromPort <= port && port <= r.toPort;
    };
    return HSM_PORTS.filter((port) => !rules.some((r) => opens(r, port)));
}

const portsText = (ports: number[]) => (ports.length === HSM_PORTS.length ? '2223-2225' : ports.join(', '));

async function securityGroupProblems(aws: Adapters, c: Cluster): Promise<Problem[]> {
    const id = c.securityGroup;
    if (!id)
        return [
            invalid(
                `CloudHsmClusterId ${c.id}: the cluster has no security group; KMS connects through the cluster's security group cloudhsm-cluster-${c.id.replace(/^cluster-/, '')}-sg.`,
            ),
        ];
    const group: SecurityGroup | undefined = await aws.ec2.describeSecurityGroup(id);
    if (!group)
        return [
            invalid(
                `Security group ${id} of the cluster does not exist (EC2 DescribeSecurityGroups does not find it), and KMS connects through it. A cluster's security group is fixed: restore a backup of the cluster into a new cluster (it gets its own group), and use that cluster.`,
            ),
        ];
    const inbound = uncoveredPorts(group.inbound, id);
    const outbound = uncoveredPorts(group.outbound, id);
    if (!inbound.length && !outbound.length) return [];
    // the AWS CLI's shorthand (--protocol, --port, --source-group) works in both directions (aws-cli examples)
    const add = (verb: string) => `aws ec2 authorize-security-group-${verb} --group-id ${id} --protocol tcp --port 2223-2225 --source-group ${id}`;
    const what = [
        ...(inbound.length ? [`TCP ${portsText(inbound)} rule from itself (inbound)`] : []),
        ...(outbound.length ? [`TCP ${portsText(outbound)} rule to itself (outbound)`] : []),
    ].join(' nor ');
    const fix =
        inbound.length && outbound.length
            ? `Add them (${add('ingress')}; the same with authorize-security-group-egress).`
            : `Add it (${add(inbound.length ? 'ingress' : 'egress')}).`;
    // messages name the group by id only: several problems must fit in one message of CloudFormation's length
    return [invalid(`Security group ${id} of the cluster has no ${what}, so a connect would fail with NETWORK_ERRORS. ${fix}`)];
}

async function subnetProblems(aws: Adapters, c: Cluster, opts: PreflightOptions): Promise<Problem[]> {
    const mapping = Object.entries(c.subnetMapping ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (!mapping.length) return [];
    const found = new Map((await aws.ec2.describeSubnets(mapping.map(([, id]) => id))).map((s) => [s.id, s]));
    const problems: Problem[] = [];
    const missing = mapping.filter(([, id]) => !found.has(id));
    if (missing.length) {
        const list = missing.map(([zone, id]) => `${id} (${zone})`).join(', ');
        const remedy = opts.subnetRemedy ?? "A cluster's subnets are fixed: restore a backup of it into existing subnets, and use the new cluster.";
        problems.push(
            invalid(
                `Subnet${missing.length > 1 ? 's' : ''} ${list} of the cluster no longer exist${missing.length > 1 ? '' : 's'}, so a connect would fail with SUBNET_NOT_FOUND. ${remedy}`,
            ),
        );
    }
    for (const [zone, id] of mapping) {
        const s = found.get(id);
        if (s && s.availableIpAddressCount < 1)
            problems.push(
                invalid(
                    `Subnet ${id} (${zone}) of the cluster has no free IP address, so a connect would fail with INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET. Free one, two are better (delete an unused network interface in it).`,
                ),
            );
    }
    return problems;
}

function trustAnchorProblems(c: Cluster, opts: PreflightOptions): Problem[] {
    if (!opts.trustAnchor || !c.clusterCertificate) return [];
    let ca: X509Certificate;
    let cert: X509Certificate;
    try {
        ca = new X509Certificate(opts.trustAnchor);
        cert = new X509Certificate(c.clusterCertificate);
    } catch {
        // an unparseable trust anchor is reported where it is read; an unparseable cluster certificate is left to KMS
        return [];
    }
    if (cert.checkIssued(ca) && cert.verify(ca.publicKey)) return [];
    if (opts.unsignedMessage) return [invalid(opts.unsignedMessage)];
    const source = opts.trustAnchorSource ?? 'the trust anchor';
    return [
        invalid(
            `${source[0].toUpperCase()}${source.slice(1)} did not sign the cluster certificate, so KMS would refuse it (IncorrectTrustAnchorException). Use the customerCA.crt the cluster was initialized with (the certificate's issuer: ${cert.issuer.replace(/\n/g, ', ')}).`,
        ),
    ];
}
