import { CloudHSMV2Client, DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { errorName } from './error-name';

export interface ClusterHsm {
    id: string;
    availabilityZone: string;
    state: string;
}

export interface Cluster {
    id: string;
    state: string;
    hsms: ClusterHsm[];
    /** The cluster's security group, cloudhsm-cluster-<id>-sg (absent before the cluster has one). */
    securityGroup?: string;
    /** Availability Zone -> the cluster's subnet there, as chosen when the cluster was created. */
    subnetMapping?: Record<string, string>;
    vpcId?: string;
    /** The cluster certificate (PEM), signed by the customer CA when the cluster was initialized. */
    clusterCertificate?: string;
}

export class CloudHsmAdapter {
    constructor(private readonly client: CloudHSMV2Client) {}

    /** undefined when the cluster does not exist (an empty answer or a ResourceNotFound error). */
    async describeCluster(id: string): Promise<Cluster | undefined> {
        try {
            const out = await this.client.send(new DescribeClustersCommand({ Filters: { clusterIds: [id] } }));
            const c = (out.Clusters ?? []).find((x) => x.ClusterId === id);
            if (!c) return undefined;
            return {
                id,
                state: c.State ?? 'UNKNOWN',
                hsms: (c.Hsms ?? []).map((h) => ({ id: h.HsmId ?? '', availabilityZone: h.AvailabilityZone ?? '', state: h.State ?? '' })),
                ...(c.SecurityGroup ? { securityGroup: c.SecurityGroup } : {}),
                ...(c.SubnetMapping ? { subnetMapping: { ...c.SubnetMapping } } : {}),
                ...(c.VpcId ? { vpcId: c.VpcId } : {}),
                ...(c.Certificates?.ClusterCertificate ? { clusterCertificate: c.Certificates.ClusterCertificate } : {}),
            };
        } catch (err) {
            if (errorName(err) === 'CloudHsmResourceNotFoundException') return undefined;
            throw err;
        }
    }
}
