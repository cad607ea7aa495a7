/**
 * Named starting worlds. The default scenario's names are FIXED: the local Lambda endpoint,
 * inputs/ files and tests rely on them. Only generated material (CA/cluster certificates,
 * HSM/ENI/subnet ids, secret ARN suffixes) differs from run to run.
 */
import type { Sim } from './sim';
import { upsertCluster } from './services/cloudhsm';
import { createSecret } from './services/secrets';
import type { Instance } from './state';

export type ScenarioName = 'default' | 'empty';
export const SCENARIOS: ScenarioName[] = ['default', 'empty'];

export const DEFAULT_SCENARIO = {
    region: 'us-east-1',
    accountId: '111122223333',
    /**
     * ACTIVE, HSMs in us-east-1a and us-east-1b, lineage L1, user `admin`. Like every cluster, its security group
     * (CloudHSM's default rules) and a subnet per zone are in EC2 (services/ec2.ts), and its cluster certificate is
     * signed by its lineage's customer CA.
     */
    clusterId: 'cluster-234567abcdefg',
    /** ACTIVE, 2 HSMs, same lineage (L1) and customer CA as clusterId: a valid target of a cluster move. */
    relatedClusterId: 'cluster-765432gfedcba',
    /** ACTIVE, 2 HSMs, lineage L2 with its own CA: not related to the L1 clusters. */
    unrelatedClusterId: 'cluster-zyxwvutsrqpon',
    /** Online, cloudhsm-cli installed, attached to clusterId. */
    instanceId: 'i-0123456789abcdef0',
    /** Online, cloudhsm-cli installed, attached to relatedClusterId. */
    relatedInstanceId: 'i-0fedcba9876543210',
    /** Online, attached to clusterId, but without cloudhsm-cli (only `aws` on PATH). */
    noCliInstanceId: 'i-0123456789abcdef1',
    /** SSM agent not connected (PingStatus ConnectionLost), attached to clusterId. */
    offlineInstanceId: 'i-0abcdef0123456789',
    /** Secret with JSON {"password": adminPassword}. */
    adminSecretName: 'cloudhsm/admin-password',
    /** Secret with the customer CA PEM of the L1 clusters (the trust anchor). */
    caSecretName: 'cloudhsm/customer-ca',
    /** Secret with the customer CA PEM of the unrelated (L2) cluster: a CA that did not sign clusterId's certificate. */
    unrelatedCaSecretName: 'cloudhsm/unrelated-customer-ca',
    adminUsername: 'admin',
    /** Password of `admin` in all three clusters. */
    adminPassword: 'SimAdminPassw0rd',
    lineage: 'L1',
    unrelatedLineage: 'L2',
} as const;

export function buildScenario(sim: Sim, name: ScenarioName): void {
    if (name === 'empty') return;
    const d = DEFAULT_SCENARIO;
    const admin = () => [{ username: d.adminUsername, role: 'admin', password: d.adminPassword }];
    const az = (x: string) => `${sim.config.region}${x}`;
    const main = upsertCluster(sim, { id: d.clusterId, lineage: d.lineage, hsms: [{ az: az('a') }, { az: az('b') }], users: admin() });
    upsertCluster(sim, { id: d.relatedClusterId, lineage: d.lineage, hsms: [{ az: az('a') }, { az: az('c') }], users: admin() });
    const other = upsertCluster(sim, { id: d.unrelatedClusterId, lineage: d.unrelatedLineage, hsms: [{ az: az('b') }, { az: az('c') }], users: admin() });
    const now = sim.now();
    const instances: Instance[] = [
        { id: d.instanceId, pingStatus: 'Online', clusterId: d.clusterId, hasCloudHsmCli: true, ipAddress: '10.0.0.5', lastPingAt: now },
        { id: d.relatedInstanceId, pingStatus: 'Online', clusterId: d.relatedClusterId, hasCloudHsmCli: true, ipAddress: '10.0.0.6', lastPingAt: now },
        { id: d.noCliInstanceId, pingStatus: 'Online', clusterId: d.clusterId, hasCloudHsmCli: false, ipAddress: '10.0.0.7', lastPingAt: now },
        {
            id: d.offlineInstanceId,
            pingStatus: 'ConnectionLost',
            clusterId: d.clusterId,
            hasCloudHsmCli: true,
            ipAddress: '10.0.0.8',
            lastPingAt: now - 3_600_000,
        },
    ];
    for (const i of instances) sim.world.instances.set(i.id, i);
    createSecret(sim, { name: d.adminSecretName, secretString: JSON.stringify({ password: d.adminPassword }) });
    createSecret(sim, { name: d.caSecretName, secretString: main.caPem });
    createSecret(sim, { name: d.unrelatedCaSecretName, secretString: other.caPem });
}
