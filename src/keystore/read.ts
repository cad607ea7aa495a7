import { KeyStore, KmsAdapter } from '../aws/kms';
import { KeyStoreProps } from './types';

/** The model of a key store as Read returns it; create and update finish with the same function. */
export function toProps(store: KeyStore): KeyStoreProps {
    return {
        customKeyStoreId: store.id,
        keyStoreName: store.name,
        cloudHsmClusterId: store.clusterId,
        connectionState: store.state,
        trustAnchorCertificate: store.trustAnchor,
    };
}

/** undefined when there is no AWS_CLOUDHSM key store with this id. */
export async function readStore(kms: KmsAdapter, id: string | undefined): Promise<KeyStoreProps | undefined> {
    if (!id) return undefined;
    const store = await kms.describeStore(id);
    return store && store.type === 'AWS_CLOUDHSM' ? toProps(store) : undefined;
}

export interface StorePage {
    models: KeyStoreProps[];
    nextToken?: string;
}

export async function listStores(kms: KmsAdapter, nextToken?: string): Promise<StorePage> {
    const page = await kms.listStores(nextToken);
    return { models: page.stores.filter((s) => s.type === 'AWS_CLOUDHSM').map(toProps), nextToken: page.next };
}
