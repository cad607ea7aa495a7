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
            };
        } catch (err) {
            if (errorName(err) === 'CloudHsmResourceNotFoundException') return undefined;
            throw err;
        }
    }
}
