/** What KMS needs of a CloudHSM cluster, checked before anything is made (both types check it). */
import type { Adapters } from '../aws/adapters';
import { invalid, Problem } from '../engine/problem';

/** KMS needs an ACTIVE cluster with at least two active HSMs in different Availability Zones. */
export async function checkCluster(aws: Adapters, clusterId: string): Promise<Problem[]> {
    const cluster = await aws.hsm.describeCluster(clusterId);
    if (!cluster) return [invalid(`CloudHsmClusterId ${clusterId}: no such CloudHSM cluster in this account and Region.`)];
    if (cluster.state !== 'ACTIVE')
        return [invalid(`CloudHsmClusterId ${clusterId}: the cluster is ${cluster.state}; it must be ACTIVE (initialized and activated).`)];
    const active = cluster.hsms.filter((h) => h.state === 'ACTIVE');
    const zones = new Set(active.map((h) => h.availabilityZone));
    if (active.length < 2 || zones.size < 2) {
        return [
            invalid(
                `CloudHsmClusterId ${clusterId}: the cluster has ${active.length} active HSM(s) in ${zones.size} Availability Zone(s); KMS needs at least two active HSMs in different Availability Zones. Add an HSM, then retry.`,
            ),
        ];
    }
    return [];
}
