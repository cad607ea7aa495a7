import type { CloudHsmAdapter } from './cloudhsm';
import { buildClients, once, SessionLike } from './clients';
import type { Ec2Adapter } from './ec2';
import type { KmsAdapter } from './kms';
import type { SecretsAdapter } from './secrets';
import type { SsmAdapter } from './ssm';

/** One adapter per AWS service, one method per API call, plain types in and out. */
export interface Adapters {
    kms: KmsAdapter;
    hsm: CloudHsmAdapter;
    ssm: SsmAdapter;
    secrets: SecretsAdapter;
    /** Only the cluster network checks use it (src/cluster/network.ts). */
    ec2: Ec2Adapter;
}

/**
 * The five service adapters over the caller's session (none: the function's own role). Each adapter, its
 * client and its SDK package are loaded when a workflow first calls that service (see buildClients).
 */
export function lazyAdapters(session: SessionLike | null | undefined, region?: string): Adapters {
    const clients = buildClients(session, region);
    /* eslint-disable @typescript-eslint/no-require-imports -- each SDK package loads on its first call, to keep cold starts short */
    return once<Adapters>({
        kms: () => new (require('./kms') as typeof import('./kms')).KmsAdapter(clients.kms),
        hsm: () => new (require('./cloudhsm') as typeof import('./cloudhsm')).CloudHsmAdapter(clients.hsm),
        ssm: () => new (require('./ssm') as typeof import('./ssm')).SsmAdapter(clients.ssm),
        secrets: () => new (require('./secrets') as typeof import('./secrets')).SecretsAdapter(clients.secrets),
        ec2: () => new (require('./ec2') as typeof import('./ec2')).Ec2Adapter(clients.ec2),
    });
    /* eslint-enable @typescript-eslint/no-require-imports */
}
