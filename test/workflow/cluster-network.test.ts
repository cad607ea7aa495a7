/**
 * The cluster and network preflight (src/cluster/network.ts) and DesiredConnectionState, against the in-memory fake:
 * what is called, what is not, and what the messages say.
 */
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { X509Certificate } from 'crypto';
import { preflightCluster, uncoveredPorts } from '../../src/cluster/network';
import { checkEveryDrive } from '../fakes/checks';
import { createOp, existingStore, sideEffects, stackModel, updateOp } from '../fakes/ops';
import { CLUSTER, desiredProps, RELATED_CLUSTER, standardWorld } from '../fakes/world';
import { issueCertificate } from '../../local/sim/cert';

checkEveryDrive();

const networkOf = (aws: ReturnType<typeof standardWorld>, id = CLUSTER) => {
    const c = aws.hsm.clusters.get(id)!;
    return { sg: c.securityGroup!, a: c.subnetMapping!['us-east-1a'], b: c.subnetMapping!['us-east-1b'] };
};

describe('the preflight', () => {
    test('a healthy cluster: no problem, one call to each of DescribeClusters, DescribeSecurityGroups, DescribeSubnets', async () => {
        const aws = standardWorld();
        expect(await preflightCluster(aws.adapters(), CLUSTER)).toEqual([]);
        expect(aws.log.ops()).toEqual(['hsm.describeCluster', 'ec2.describeSecurityGroup', 'ec2.describeSubnets']);
    });

    test('a missing or inactive cluster stops there: EC2 is not asked', async () => {
        const aws = standardWorld();
        aws.hsm.clusters.get(CLUSTER)!.state = 'UNINITIALIZED';
        const problems = await preflightCluster(aws.adapters(), CLUSTER);
        expect(problems.map((p) => p.message)).toEqual([expect.stringContaining('the cluster is UNINITIALIZED; it must be ACTIVE')]);
        expect(await preflightCluster(aws.adapters(), 'cluster-nosuchcluster')).toHaveLength(1);
        expect(aws.log.ops().filter((op) => op.startsWith('ec2.'))).toEqual([]);
    });

    test('the rules: a rule opens a port when it names the group itself, with TCP (or 6) over it, or all protocols (-1)', () => {
        const sg = 'sg-0123456789abcdef0';
        expect(uncoveredPorts([{ protocol: 'tcp', fromPort: 2223, toPort: 2225, groupIds: [sg] }], sg)).toEqual([]);
        expect(uncoveredPorts([{ protocol: '-1', groupIds: [sg] }], sg)).toEqual([]);
        expect(
            uncoveredPorts(
                [
                    { protocol: '6', fromPort: 2223, toPort: 2223, groupIds: [sg] },
                    { protocol: 'tcp', fromPort: 2225, toPort: 2230, groupIds: [sg] },
                ],
                sg,
            ),
        ).toEqual([2224]);
        expect(uncoveredPorts([{ protocol: 'tcp', fromPort: 0, toPort: 65535, groupIds: ['sg-0000000000000000a'] }], sg)).toEqual([2223, 2224, 2225]);
        expect(uncoveredPorts([{ protocol: 'udp', fromPort: 2223, toPort: 2225, groupIds: [sg] }], sg)).toEqual([2223, 2224, 2225]);
    });

    test('a rule that leaves one port out names that port', async () => {
        const aws = standardWorld();
        const { sg } = networkOf(aws);
        aws.ec2.groups.get(sg)!.inbound = [{ protocol: 'tcp', fromPort: 2223, toPort: 2224, groupIds: [sg] }];
        const [p] = await preflightCluster(aws.adapters(), CLUSTER);
        expect(p.message).toContain(`Security group ${sg} of the cluster has no TCP 2225 rule from itself (inbound)`);
    });

    test('a security group that no longer exists', async () => {
        const aws = standardWorld();
        aws.ec2.groups.delete(networkOf(aws).sg);
        const [p] = await preflightCluster(aws.adapters(), CLUSTER);
        expect(p).toMatchObject({
            code: HandlerErrorCode.InvalidRequest,
            message: expect.stringContaining('does not exist (EC2 DescribeSecurityGroups does not find it)'),
        });
    });

    test('the trust anchor: checked only when the cluster reports its certificate; a CA that signed it passes', async () => {
        const aws = standardWorld();
        const ca = issueCertificate('customerCA', 'Test CA');
        const other = issueCertificate('customerCA', 'Another CA');
        aws.hsm.clusters.get(CLUSTER)!.clusterCertificate = issueCertificate(CLUSTER, 'cluster', ca).pem;
        expect(await preflightCluster(aws.adapters(), CLUSTER, { trustAnchor: ca.pem })).toEqual([]);
        const [p] = await preflightCluster(aws.adapters(), CLUSTER, { trustAnchor: other.pem, trustAnchorSource: 'the CA in the secret' });
        expect(p.message).toContain('The CA in the secret did not sign the cluster certificate');
        expect(p.message).toContain(new X509Certificate(ca.pem).subject.replace(/\n/g, ', '));
        delete aws.hsm.clusters.get(CLUSTER)!.clusterCertificate;
        expect(await preflightCluster(aws.adapters(), CLUSTER, { trustAnchor: other.pem })).toEqual([]);
    });
});

describe('create', () => {
    test('a full subnet: FAILED InvalidRequest in the first invocation, nothing made', async () => {
        const aws = standardWorld();
        aws.ec2.setFreeAddresses(networkOf(aws).a, 0);
        const r = await createOp(aws);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(r.invocations).toBe(1);
        expect(sideEffects(r.calls)).toEqual([]);
        expect(r.final.message).toContain('INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET');
    });

    test('DesiredConnectionState DISCONNECTED: store and kmsuser made, no connect, the store left DISCONNECTED', async () => {
        const aws = standardWorld();
        const r = await createOp(aws, desiredProps({ desiredConnectionState: 'DISCONNECTED' }));
        expect(r.status).toBe('SUCCESS');
        expect(r.model).toMatchObject({ desiredConnectionState: 'DISCONNECTED', connectionState: 'DISCONNECTED' });
        expect(aws.log.count('kms.connect')).toBe(0);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(true);
        expect(aws.secrets.leftover()).toEqual([]);
    });
});

describe('update', () => {
    test('DesiredConnectionState DISCONNECTED: a disconnect and nothing else, then CONNECTED: the checks and a connect', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const previous = stackModel(store);
        const off = await updateOp(aws, { ...previous, desiredConnectionState: 'DISCONNECTED' }, previous);
        expect(off.status).toBe('SUCCESS');
        expect(sideEffects(off.calls).filter((e) => e.startsWith('kms.'))).toEqual(['kms.disconnect']);
        expect(off.calls.some((c) => c.op.startsWith('ec2.'))).toBe(false);
        expect(off.final.message).toContain('the KMS keys in it are unusable (key state Unavailable) until it is connected again');
        const on = await updateOp(aws, previous, { ...previous, desiredConnectionState: 'DISCONNECTED' });
        expect(on.status).toBe('SUCCESS');
        expect(sideEffects(on.calls).filter((e) => e.startsWith('kms.'))).toEqual(['kms.connect']);
        expect(on.calls.map((c) => c.op)).toEqual(expect.arrayContaining(['ec2.describeSecurityGroup', 'ec2.describeSubnets']));
        expect(aws.kms.store(store.id)?.state).toBe('CONNECTED');
    });

    test('DesiredConnectionState DISCONNECTED on a store FAILED with INVALID_CREDENTIALS: disconnected, kmsuser not repaired', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'INVALID_CREDENTIALS' });
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, desiredConnectionState: 'DISCONNECTED' }, previous);
        expect(r.status).toBe('SUCCESS');
        expect(aws.kms.store(store.id)?.state).toBe('DISCONNECTED');
        expect(aws.log.count('ssm.sendShellScript')).toBe(0);
    });

    test('a store FAILED with NETWORK_ERRORS and the outbound rule gone: diagnosed, not reconnected', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'NETWORK_ERRORS' });
        const { sg } = networkOf(aws);
        aws.ec2.groups.get(sg)!.outbound = [];
        const previous = stackModel(store);
        const r = await updateOp(aws, previous, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(r.final.message).toContain(`Key store ${store.id} is FAILED (ConnectionErrorCode NETWORK_ERRORS), and reconnecting it would fail again.`);
        expect(r.final.message).toContain(`aws ec2 authorize-security-group-egress --group-id ${sg}`);
        expect(sideEffects(r.calls)).toEqual([]);
    });

    test('a store FAILED with NETWORK_ERRORS whose network checks find nothing: reconnected', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'NETWORK_ERRORS' });
        const previous = stackModel(store);
        const r = await updateOp(aws, previous, previous);
        expect(r.status).toBe('SUCCESS');
        expect(aws.kms.store(store.id)?.state).toBe('CONNECTED');
    });

    test("a reconnect needs what KMS's Connect needs: one active HSM is enough, none is refused with the fix", async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'DISCONNECTED' });
        const c = aws.hsm.clusters.get(CLUSTER)!;
        c.hsms = c.hsms.slice(0, 1);
        const previous = stackModel(store);
        const one = await updateOp(aws, previous, previous);
        expect(one.status).toBe('SUCCESS');
        expect(aws.kms.store(store.id)?.state).toBe('CONNECTED');

        const other = standardWorld();
        const stopped = existingStore(other, { state: 'DISCONNECTED' });
        for (const h of other.hsm.clusters.get(CLUSTER)!.hsms) h.state = 'DEGRADED';
        const none = await updateOp(other, stackModel(stopped), stackModel(stopped));
        expect(none.status).toBe('FAILED');
        expect(none.final.message).toContain(
            'the cluster has 0 active HSM(s) in 0 Availability Zone(s); KMS connects a key store only to a cluster with at least one active HSM',
        );
        expect(none.final.message).toContain(`aws cloudhsmv2 create-hsm --cluster-id ${CLUSTER} --availability-zone us-east-1a`);
        expect(other.log.count('kms.connect')).toBe(0);
    });

    test('a move checks the target cluster network: a deleted subnet there names the move remedy; nothing changed', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const target = networkOf(aws, RELATED_CLUSTER);
        aws.ec2.deleteSubnet(target.a);
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, cloudHsmClusterId: RELATED_CLUSTER }, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.message).toContain(`Subnet ${target.a} (us-east-1a) of the cluster no longer exists`);
        expect(r.final.message).toContain('set CloudHsmClusterId to the new cluster');
        expect(sideEffects(r.calls)).toEqual([]);
        expect(aws.kms.store(store.id)).toMatchObject({ clusterId: CLUSTER, state: 'CONNECTED' });
    });
});
