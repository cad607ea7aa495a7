/**
 * End to end: the preflight of the cluster and its network (src/cluster/network.ts). Each broken prerequisite of a
 * CloudHSM key store makes a create fail in its first invocation, in seconds of simulated time, with a message that
 * names the resource and the fix, and nothing made: no bootstrap secret, no kmsuser command, no key store. Without
 * the preflight these creates made a store and either failed at CreateCustomKeyStore (security group rules, trust
 * anchor: rolled back) or after a whole connect (a full or deleted subnet: FAILED after minutes).
 */
import { defaultProperties } from '../../local/harness';
import { OperationResult } from '../../local/driver';
import { SimStateView } from '../../local/sim';
import { E2E, leftovers, requestsOf, S, useE2E } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const zone = (x: string) => `${S.region}${x}`;

/** The default cluster's security group and its subnets in zones a and b, as the simulator made them. */
async function network(): Promise<{ sg: string; a: string; b: string }> {
    const c = (await h.sim.control.state()).clusters.find((x) => x.id === S.clusterId)!;
    return { sg: c.securityGroup, a: c.subnetMapping[zone('a')], b: c.subnetMapping[zone('b')] };
}

/** A create that failed fast: InvalidRequest, at most two invocations, a few simulated seconds, nothing made. */
function expectRefusedBeforeAnythingIsMade(r: OperationResult, state: SimStateView): void {
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(r.events.length).toBeLessThanOrEqual(2);
    expect(r.events[r.events.length - 1].elapsedSimSeconds).toBeLessThan(60);
    for (const op of ['CreateSecret', 'SendCommand', 'CreateCustomKeyStore', 'PutParameter']) expect(requestsOf(state, op)).toEqual([]);
    expect(leftovers(state)).toEqual([]);
    // what it looked at: the cluster, its security group, its subnets
    for (const op of ['DescribeClusters', 'DescribeSecurityGroups', 'DescribeSubnets']) expect(requestsOf(state, op).length).toBeGreaterThan(0);
}

async function create(overrides: Record<string, unknown> = {}): Promise<OperationResult> {
    const r = await h.run(h.driver.create(defaultProperties(overrides)));
    expectRefusedBeforeAnythingIsMade(r, await h.sim.control.state());
    return r;
}

describe('create: a broken cluster prerequisite fails at once, naming the fix, with nothing made', () => {
    test('the security group lost its inbound rule for TCP 2223-2225', async () => {
        const { sg } = await network();
        await h.sim.control.putSecurityGroup({ id: sg, inbound: [] });
        const r = await create();
        expect(r.message).toContain(
            `Security group ${sg} of the cluster has no TCP 2223-2225 rule from itself (inbound), so a connect would fail with NETWORK_ERRORS.`,
        );
        expect(r.message).toContain(`Add it (aws ec2 authorize-security-group-ingress --group-id ${sg} --protocol tcp --port 2223-2225 --source-group ${sg}).`);
        expect(r.message).not.toMatch(/outbound/);
    });

    test('the security group lost its outbound rule (a rule to another group, or for other ports, does not count)', async () => {
        const { sg } = await network();
        await h.sim.control.putSecurityGroup({
            id: sg,
            outbound: [
                { protocol: 'tcp', fromPort: 2223, toPort: 2225, groupIds: ['sg-0123456789abcdef0'], cidrs: [] },
                { protocol: 'tcp', fromPort: 443, toPort: 443, groupIds: [sg], cidrs: [] },
            ],
        });
        const r = await create();
        expect(r.message).toContain(
            `Security group ${sg} of the cluster has no TCP 2223-2225 rule to itself (outbound), so a connect would fail with NETWORK_ERRORS.`,
        );
        expect(r.message).toContain(`Add it (aws ec2 authorize-security-group-egress --group-id ${sg} --protocol tcp --port 2223-2225 --source-group ${sg}).`);
        expect(r.message).not.toMatch(/inbound/);
    });

    test('a cluster subnet has no free IP address', async () => {
        const { a } = await network();
        await h.sim.control.putSubnet({ id: a, availableIpAddressCount: 0 });
        const r = await create();
        expect(r.message).toContain(
            `Subnet ${a} (${zone('a')}) of the cluster has no free IP address, so a connect would fail with INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET.`,
        );
        expect(r.message).toContain('Free one, two are better (delete an unused network interface in it).');
    });

    test('a cluster subnet was deleted', async () => {
        const { b } = await network();
        await h.sim.control.deleteSubnet(b);
        const r = await create();
        expect(r.message).toContain(`Subnet ${b} (${zone('b')}) of the cluster no longer exists, so a connect would fail with SUBNET_NOT_FOUND.`);
        expect(r.message).toContain("A cluster's subnets are fixed: restore a backup of it into existing subnets, and use the new cluster.");
    });

    test('the cluster has one HSM', async () => {
        await h.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: zone('a') }] });
        const r = await create();
        expect(r.message).toContain(`${S.clusterId}: the cluster has 1 active HSM(s) in 1 Availability Zone(s)`);
        expect(r.message).toContain(`aws cloudhsmv2 create-hsm --cluster-id ${S.clusterId} --availability-zone ${zone('b')}`);
    });

    test('both HSMs are in one Availability Zone', async () => {
        await h.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: zone('a') }, { az: zone('a') }] });
        const r = await create();
        expect(r.message).toContain('the cluster has 2 active HSM(s) in 1 Availability Zone(s)');
        expect(r.message).toContain(`Add an HSM in ${zone('b')} (aws cloudhsmv2 create-hsm --cluster-id ${S.clusterId} --availability-zone ${zone('b')}).`);
    });

    test('the CA in CloudHsmCustCaCertSecretName did not sign the cluster certificate', async () => {
        const r = await create({ CloudHsmCustCaCertSecretName: S.unrelatedCaSecretName });
        expect(r.message).toContain(
            `The CA in CloudHsmCustCaCertSecretName ${S.unrelatedCaSecretName} did not sign the cluster certificate, so KMS would refuse it (IncorrectTrustAnchorException).`,
        );
        expect(r.message).toContain(
            `Use the customerCA.crt the cluster was initialized with (the certificate's issuer: O=Simulated customer CA (${S.lineage}), CN=customerCA).`,
        );
    });

    test('every check that fails is in the one message, not only the first, each with its fix', async () => {
        const { sg, b } = await network();
        await h.sim.control.putSecurityGroup({ id: sg, inbound: [] });
        await h.sim.control.deleteSubnet(b);
        const r = await create({ CloudHsmCustCaCertSecretName: S.unrelatedCaSecretName });
        for (const part of [
            'has no TCP 2223-2225 rule from itself (inbound)',
            `(aws ec2 authorize-security-group-ingress --group-id ${sg} --protocol tcp --port 2223-2225 --source-group ${sg})`,
            `Subnet ${b} (${zone('b')}) of the cluster no longer exists`,
            'restore a backup of it into existing subnets',
            'did not sign the cluster certificate',
            'Use the customerCA.crt the cluster was initialized with',
        ])
            expect(r.message).toContain(part);
    });

    test('with five checks failing, each is still named within the length CloudFormation shows (a fix may be cut short)', async () => {
        const { sg, a } = await network();
        await h.sim.control.putCluster({ id: S.clusterId, hsms: [{ az: zone('b') }] });
        await h.sim.control.putSecurityGroup({ id: sg, inbound: [], outbound: [] });
        await h.sim.control.putSubnet({ id: a, availableIpAddressCount: 0 });
        const r = await create({ CloudHsmCustCaCertSecretName: S.unrelatedCaSecretName });
        for (const part of [
            '1 active HSM(s)',
            `--availability-zone ${zone('a')}`,
            'has no TCP 2223-2225 rule from itself (inbound) nor TCP 2223-2225 rule to itself (outbound)',
            `Subnet ${a} (${zone('a')}) of the cluster has no free IP address`,
            'did not sign the cluster certificate',
        ])
            expect(r.message).toContain(part);
        expect(r.message.length).toBeLessThanOrEqual(1024);
    });

    test('a healthy network: the checks pass and the create connects (a connected store then holds an address per subnet)', async () => {
        const before = await h.sim.control.state();
        const r = await h.run(h.driver.create(defaultProperties()));
        expect(r.status).toBe('SUCCESS');
        const after = await h.sim.control.state();
        const free = (s: SimStateView, id: string) => s.subnets.find((x) => x.id === id)!.availableIpAddressCount;
        const { a, b } = await network();
        expect(free(after, a)).toBe(free(before, a) - 1);
        expect(free(after, b)).toBe(free(before, b) - 1);
    });
});
