/** What KMS needs of a CloudHSM cluster, checked before anything is made (both types check it). */
import type { Adapters } from '../aws/adapters';
import type { Cluster } from '../aws/cloudhsm';
import { invalid, Problem } from '../engine/problem';

/** KMS needs an ACTIVE cluster with at least two active HSMs in different Availability Zones. */
export async function checkCluster(aws: Adapters, clusterId: string): Promise<Problem[]> {
    return clusterProblems(clusterId, await aws.hsm.describeCluster(clusterId));
}

/**
 * What KMS needs of the cluster's HSMs: for CreateCustomKeyStore, UpdateCustomKeyStore and CreateKey "at least two active
 * HSMs, each in a different Availability Zone"; for ConnectCustomKeyStore "at least one active HSM" (KMS API reference,
 * CloudHsmClusterInvalidConfigurationException).
 */
export type HsmRule = 'keyStore' | 'connect';

/** The cluster's own state and HSMs; an empty list means KMS accepts them (network aside: ./network.ts). */
export function clusterProblems(clusterId: string, cluster: Cluster | undefined, rule: HsmRule = 'keyStore'): Problem[] {
    if (!cluster) return [invalid(`CloudHsmClusterId ${clusterId}: no such CloudHSM cluster in this account and Region.`)];
    if (cluster.state !== 'ACTIVE')
        return [invalid(`CloudHsmClusterId ${clusterId}: the cluster is ${cluster.state}; it must be ACTIVE (initialized and activated).`)];
    const active = cluster.hsms.filter((h) => h.state === 'ACTIVE');
    const zones = new Set(active.map((h) => h.availabilityZone));
    if (rule === 'connect' && active.length >= 1) return [];
    if (active.length >= 2 && zones.size >= 2) return [];
    // CreateHsm takes one of the Availability Zones of the cluster's subnet mapping (CloudHSM API reference, CreateHsm).
    const free = Object.keys(cluster.subnetMapping ?? {})
        .filter((z) => !zones.has(z))
        .sort();
    const fix = free.length
        ? `Add an HSM in ${free.join(' or ')} (aws cloudhsmv2 create-hsm --cluster-id ${clusterId} --availability-zone ${free[0]}).`
        : zones.size < 2
          ? 'Add an HSM in another Availability Zone, then retry.'
          : 'Add an HSM, then retry.';
    const needs =
        rule === 'connect'
            ? 'KMS connects a key store only to a cluster with at least one active HSM (the connect would fail with INSUFFICIENT_CLOUDHSM_HSMS)'
            : 'KMS needs at least two active HSMs in different Availability Zones';
    return [invalid(`CloudHsmClusterId ${clusterId}: the cluster has ${active.length} active HSM(s) in ${zones.size} Availability Zone(s); ${needs}. ${fix}`)];
}
