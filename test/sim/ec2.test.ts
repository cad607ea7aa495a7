/**
 * The simulator's EC2 (local/sim/services/ec2.ts) through the real SDK v3 EC2 client, on the EC2 query protocol: the
 * default scenario's cluster network, the errors EC2 answers for ids it does not know, filters and paging, the
 * control knobs, and what KMS makes of a broken network.
 */
import { CreateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DEFAULT_SCENARIO as D } from '../../local/sim';
import { parseEc2Query } from '../../local/sim/services/ec2';
import { errorOf, Harness, harness } from './helpers';

let h: Harness;
let ec2: EC2Client;
beforeAll(async () => {
    h = await harness();
    ec2 = new EC2Client({ region: 'us-east-1', endpoint: h.sim.endpoint, credentials: { accessKeyId: 'AKIDSIM', secretAccessKey: 'secret' }, maxAttempts: 1 });
});
afterAll(() => h.close());
beforeEach(() => h.sim.control.reset('default'));

const clusterOf = async (id = D.clusterId) => (await h.sim.control.state()).clusters.find((c) => c.id === id)!;

test("every cluster of the scenario has its security group, with CloudHSM's default rule both ways, and a subnet per zone", async () => {
    const c = await clusterOf();
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [c.securityGroup] }));
    expect(out.SecurityGroups).toHaveLength(1);
    const g = out.SecurityGroups![0];
    expect(g).toMatchObject({ GroupId: c.securityGroup, GroupName: 'cloudhsm-cluster-234567abcdefg-sg', VpcId: c.vpcId, OwnerId: D.accountId });
    const selfRule = { IpProtocol: 'tcp', FromPort: 2223, ToPort: 2225, UserIdGroupPairs: [{ GroupId: c.securityGroup, UserId: D.accountId }] };
    expect(g.IpPermissions).toEqual([expect.objectContaining(selfRule)]);
    expect(g.IpPermissionsEgress).toEqual([expect.objectContaining(selfRule)]);
    const subnets = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: Object.values(c.subnetMapping) }));
    expect(subnets.Subnets!.map((s) => [s.AvailabilityZone, s.SubnetId, s.VpcId, s.State])).toEqual(
        Object.entries(c.subnetMapping).map(([az, id]) => [az, id, c.vpcId, 'available']),
    );
    // a /24 less AWS's 5 reserved addresses less the HSM's network interface
    for (const s of subnets.Subnets!) expect(s.AvailableIpAddressCount).toBe(250);
    expect(subnets.Subnets![0].AvailabilityZoneId).toBe('use1-az1');
    // each cluster has its own group
    const groups = (await h.sim.control.state()).clusters.map((x) => x.securityGroup);
    expect(new Set(groups).size).toBe(3);
});

test('ids EC2 does not know fail the whole call; a filter answers only what exists', async () => {
    const c = await clusterOf();
    const [a] = Object.values(c.subnetMapping);
    expect(await errorOf(ec2.send(new DescribeSubnetsCommand({ SubnetIds: [a, 'subnet-0123456789abcdef0'] })))).toMatchObject({
        name: 'InvalidSubnetID.NotFound',
        message: "The subnet ID 'subnet-0123456789abcdef0' does not exist",
        $metadata: expect.objectContaining({ httpStatusCode: 400 }),
    });
    expect(await errorOf(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })))).toMatchObject({
        name: 'InvalidGroup.NotFound',
        message: "The security group 'sg-0123456789abcdef0' does not exist",
    });
    expect(await errorOf(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['not-a-group'] })))).toMatchObject({ name: 'InvalidGroupId.Malformed' });
    const filtered = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: [a, 'subnet-0123456789abcdef0'] }] }));
    expect(filtered.Subnets!.map((s) => s.SubnetId)).toEqual([a]);
    expect(await errorOf(ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })))).toMatchObject({
        name: 'InvalidParameterValue',
    });
    const byVpc = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [c.vpcId] }] }));
    expect(byVpc.SecurityGroups!.map((g) => g.GroupId)).toEqual([c.securityGroup]);
});

test('MaxResults and NextToken page through the subnets', async () => {
    const all = (await h.sim.control.state()).subnets.map((s) => s.id);
    expect(all.length).toBe(6);
    const seen: string[] = [];
    let token: string | undefined;
    do {
        const out = await ec2.send(new DescribeSubnetsCommand({ MaxResults: 5, ...(token ? { NextToken: token } : {}) }));
        seen.push(...out.Subnets!.map((s) => s.SubnetId!));
        token = out.NextToken;
    } while (token);
    expect(seen).toEqual(all);
    expect(await errorOf(ec2.send(new DescribeSubnetsCommand({ MaxResults: 2 })))).toMatchObject({ name: 'InvalidParameterValue' });
});

test('the control knobs: rules replaced, a subnet filled, a subnet deleted; the request log names EC2', async () => {
    const c = await clusterOf();
    const [a, b] = Object.values(c.subnetMapping);
    await h.sim.control.putSecurityGroup({ id: c.securityGroup, inbound: [] });
    await h.sim.control.putSubnet({ id: a, availableIpAddressCount: 0 });
    await h.sim.control.deleteSubnet(b);
    const g = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [c.securityGroup] }))).SecurityGroups![0];
    expect(g.IpPermissions).toEqual([]);
    expect(g.IpPermissionsEgress).toHaveLength(1);
    const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: [a, b] }] }));
    expect(subnets.Subnets!.map((s) => [s.SubnetId, s.AvailableIpAddressCount])).toEqual([[a, 0]]);
    expect((await h.sim.control.requests({ service: 'ec2' })).map((r) => r.operation)).toEqual(['DescribeSecurityGroups', 'DescribeSubnets']);
    // bad input is refused with a reason
    expect(await h.sim.control.raw('POST', '/_sim/subnets', { id: 'subnet-0123456789abcdef0', availableIpAddressCount: 0 })).toMatchObject({ status: 400 });
    expect(await h.sim.control.raw('POST', '/_sim/security-groups', { id: c.securityGroup, inbound: [{ fromPort: 1 }] })).toMatchObject({ status: 400 });
    expect(await h.sim.control.raw('DELETE', `/_sim/subnets/${b}`)).toMatchObject({ status: 404 });
});

test('a subnet deleted stays deleted when its cluster changes; a zone new to the cluster gets a subnet', async () => {
    const c = await clusterOf();
    const b = c.subnetMapping['us-east-1b'];
    await h.sim.control.deleteSubnet(b);
    await h.sim.control.putCluster({ id: D.clusterId, hsms: [{ az: 'us-east-1a' }, { az: 'us-east-1c' }] });
    const after = await clusterOf();
    expect(Object.keys(after.subnetMapping).sort()).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const ids = (await h.sim.control.state()).subnets.map((s) => s.id);
    expect(ids).not.toContain(b);
    expect(ids).toContain(after.subnetMapping['us-east-1c']);
});

test('CreateCustomKeyStore refuses a cluster whose security group lacks the rules (CloudHsmClusterInvalidConfigurationException)', async () => {
    const c = await clusterOf();
    await h.sim.control.putSecurityGroup({ id: c.securityGroup, outbound: [] });
    const ca = c.caPem;
    const err = await errorOf(
        h.kms.send(
            new CreateCustomKeyStoreCommand({
                CustomKeyStoreName: 'ks',
                CloudHsmClusterId: D.clusterId,
                TrustAnchorCertificate: ca,
                KeyStorePassword: 'Passw0rd-1',
            }),
        ),
    );
    expect(err).toMatchObject({ name: 'CloudHsmClusterInvalidConfigurationException' });
    expect((err as Error).message).toContain('must include inbound rules and outbound rules that allow TCP traffic on ports 2223-2225');
});

test('the EC2 query parser: flattened 1-based lists, nested structures', () => {
    expect(
        parseEc2Query(
            'Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=subnet-id&Filter.1.Value.1=subnet-a&Filter.1.Value.2=subnet-b&SubnetId.1=subnet-c',
        ),
    ).toEqual({
        Action: 'DescribeSubnets',
        Version: '2016-11-15',
        Filter: [{ Name: 'subnet-id', Value: ['subnet-a', 'subnet-b'] }],
        SubnetId: ['subnet-c'],
    });
});
