/**
 * EC2, for the cluster network checks only (src/cluster/network.ts): the cluster's security group and subnets.
 * Its SDK package is large, so it is loaded only when a workflow runs the checks (see lazyAdapters).
 */
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client, IpPermission } from '@aws-sdk/client-ec2';
import { errorName } from './error-name';

/** One rule of a security group, as DescribeSecurityGroups reports it. */
export interface SecurityGroupRule {
    /** tcp, udp, icmp, or -1 for all protocols (EC2 API reference, IpPermission). */
    protocol: string;
    fromPort?: number;
    toPort?: number;
    /** The security groups the rule names as its source (inbound) or destination (outbound). */
    groupIds: string[];
}

export interface SecurityGroup {
    id: string;
    name: string;
    vpcId?: string;
    inbound: SecurityGroupRule[];
    outbound: SecurityGroupRule[];
}

export interface Subnet {
    id: string;
    availabilityZone: string;
    vpcId?: string;
    availableIpAddressCount: number;
    state?: string;
}

const rules = (permissions: IpPermission[] | undefined): SecurityGroupRule[] =>
    (permissions ?? []).map((p) => ({
        protocol: p.IpProtocol ?? '',
        fromPort: p.FromPort,
        toPort: p.ToPort,
        groupIds: (p.UserIdGroupPairs ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    }));

export class Ec2Adapter {
    constructor(private readonly client: EC2Client) {}

    /**
     * undefined when the group does not exist. DescribeSecurityGroups with a GroupId that does not exist fails the
     * whole call with InvalidGroup.NotFound (EC2 API reference, "Error codes for the Amazon EC2 API").
     */
    async describeSecurityGroup(id: string): Promise<SecurityGroup | undefined> {
        try {
            const out = await this.client.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }));
            const g = (out.SecurityGroups ?? []).find((x) => x.GroupId === id);
            if (!g) return undefined;
            return { id, name: g.GroupName ?? '', vpcId: g.VpcId, inbound: rules(g.IpPermissions), outbound: rules(g.IpPermissionsEgress) };
        } catch (err) {
            if (errorName(err) === 'InvalidGroup.NotFound' || errorName(err) === 'InvalidGroupId.Malformed') return undefined;
            throw err;
        }
    }

    /**
     * The subnets among `ids` that exist. A `subnet-id` filter answers only the subnets that exist, where SubnetIds
     * naming a deleted subnet would fail the whole call with InvalidSubnetID.NotFound (DescribeSubnets, EC2 API
     * reference: "subnet-id - The ID of the subnet" filter). One page holds them all: a cluster has a subnet per zone.
     */
    async describeSubnets(ids: string[]): Promise<Subnet[]> {
        if (!ids.length) return [];
        const found: Subnet[] = [];
        let token: string | undefined;
        do {
            const out = await this.client.send(
                new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: ids }], ...(token ? { NextToken: token } : {}) }),
            );
            for (const s of out.Subnets ?? []) {
                if (!s.SubnetId) continue;
                found.push({
                    id: s.SubnetId,
                    availabilityZone: s.AvailabilityZone ?? '',
                    vpcId: s.VpcId,
                    availableIpAddressCount: s.AvailableIpAddressCount ?? 0,
                    state: s.State,
                });
            }
            token = out.NextToken || undefined;
        } while (token);
        return found;
    }
}
