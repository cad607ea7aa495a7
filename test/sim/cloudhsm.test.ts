import { X509Certificate } from 'node:crypto';
import { DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SCENARIO as D } from '../../local/sim';
import { errorOf, Harness, harness } from './helpers';

let h: Harness;
beforeAll(async () => {
    h = await harness();
});
afterAll(() => h.close());

test('DescribeClusters: full Cluster shape through the 3.332 client, certificates that parse', async () => {
    const out = await h.hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [D.clusterId] } }));
    expect(out.Clusters).toHaveLength(1);
    const c = out.Clusters![0]!;
    expect(c).toMatchObject({ ClusterId: D.clusterId, State: 'ACTIVE', HsmType: 'hsm1.medium', BackupPolicy: 'DEFAULT' });
    expect(c.CreateTimestamp).toBeInstanceOf(Date);
    expect(Math.abs(c.CreateTimestamp!.getTime() - h.sim.simNow())).toBeLessThan(86_400_000);
    expect(c.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(c.SecurityGroup).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(c.Hsms!.map((x) => [x.AvailabilityZone, x.State])).toEqual([
        ['us-east-1a', 'ACTIVE'],
        ['us-east-1b', 'ACTIVE'],
    ]);
    for (const hsm of c.Hsms!) {
        expect(hsm.HsmId).toMatch(/^hsm-[2-7a-zA-Z]{11,16}$/);
        expect(hsm).toMatchObject({ ClusterId: D.clusterId, SubnetId: c.SubnetMapping![hsm.AvailabilityZone!] });
        expect(hsm.EniId).toMatch(/^eni-/);
        expect(hsm.EniIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
    // The cluster certificate is issued by the customer CA that the CA secret holds (the trust anchor).
    const ca = new X509Certificate((await h.sm.send(new GetSecretValueCommand({ SecretId: D.caSecretName }))).SecretString!);
    const cert = new X509Certificate(c.Certificates!.ClusterCertificate!);
    expect(ca.ca).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    // Related clusters share the CA; the unrelated one has its own.
    const st = await h.sim.control.state();
    const pem = (id: string) => st.clusters.find((x) => x.id === id)!.caPem;
    expect(pem(D.relatedClusterId)).toBe(pem(D.clusterId));
    expect(pem(D.unrelatedClusterId)).not.toBe(pem(D.clusterId));
});

test('DescribeClusters: filters, nonexistent id -> empty list, paging with MaxResults/NextToken', async () => {
    expect((await h.hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: ['cluster-doesnotexist2'] } }))).Clusters).toEqual([]);
    const all = await h.hsm.send(new DescribeClustersCommand({}));
    expect(all.Clusters!.map((c) => c.ClusterId).sort()).toEqual([D.clusterId, D.relatedClusterId, D.unrelatedClusterId].sort());
    expect(all.NextToken).toBeUndefined();
    await h.sim.control.putCluster({ id: 'cluster-uninitialized2', state: 'UNINITIALIZED' });
    const active = await h.hsm.send(new DescribeClustersCommand({ Filters: { states: ['ACTIVE'] } }));
    expect(active.Clusters).toHaveLength(3);
    const p1 = await h.hsm.send(new DescribeClustersCommand({ MaxResults: 2 }));
    expect(p1.Clusters).toHaveLength(2);
    const p2 = await h.hsm.send(new DescribeClustersCommand({ MaxResults: 2, NextToken: p1.NextToken }));
    expect(p2.Clusters).toHaveLength(2);
    expect(p2.NextToken).toBeUndefined();
});

test('DescribeClusters errors: the old client surfaces them by name', async () => {
    const e = await errorOf(h.hsm.send(new DescribeClustersCommand({ Filters: { nope: ['x'] } })));
    expect(e.name).toBe('CloudHsmInvalidRequestException');
    expect(e.message).toMatch(/Invalid filter key: nope/);
    expect((await errorOf(h.hsm.send(new DescribeClustersCommand({ MaxResults: 26 })))).name).toBe('ValidationException');
    expect((await errorOf(h.hsm.send(new DescribeClustersCommand({ NextToken: '%%%' })))).name).toBe('CloudHsmInvalidRequestException');
});
