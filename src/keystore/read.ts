import type { Adapters } from '../aws/adapters';
import { KeyStore, KmsAdapter } from '../aws/kms';
import { mapLimit } from '../engine/concurrency';
import { decodeRecord, DesiredConnectionState, desiredStateOf, recordName } from './record';
import { KeyStoreProps } from './types';

/**
 * The model of a key store as Read returns it; create and update finish with the same function. The live state is
 * KMS's (ConnectionState); what was asked (DesiredConnectionState) is the operation's, or the record's for Read.
 */
export function toProps(store: KeyStore, desired: DesiredConnectionState): KeyStoreProps {
    return {
        customKeyStoreId: store.id,
        keyStoreName: store.name,
        cloudHsmClusterId: store.clusterId,
        desiredConnectionState: desired,
        connectionState: store.state,
        trustAnchorCertificate: store.trustAnchor,
    };
}

/** undefined when there is no AWS_CLOUDHSM key store with this id. */
export async function readStore(kms: KmsAdapter, id: string | undefined, desired: unknown): Promise<KeyStoreProps | undefined> {
    if (!id) return undefined;
    const store = await kms.describeStore(id);
    return store && store.type === 'AWS_CLOUDHSM' ? toProps(store, desiredStateOf(desired)) : undefined;
}

/** What the store's record says was asked of its connection: the default for a store without a record. */
async function recordedState(aws: Adapters, id: string): Promise<DesiredConnectionState> {
    return desiredStateOf(decodeRecord(await aws.ssm.getParameter(recordName(id)))?.desiredConnectionState);
}

/** Read: the store from KMS, and what the last create or update asked of its connection, from its record. */
export async function readModel(aws: Adapters, id: string | undefined): Promise<KeyStoreProps | undefined> {
    if (!id) return undefined;
    const store = await aws.kms.describeStore(id);
    if (!store || store.type !== 'AWS_CLOUDHSM') return undefined;
    return toProps(store, await recordedState(aws, id));
}

export interface StorePage {
    models: KeyStoreProps[];
    nextToken?: string;
}

/** Parameter Store reads at once while listing (an account has at most 10 custom key stores per Region). */
const RECORD_READS = 4;

export async function listStores(aws: Adapters, nextToken?: string): Promise<StorePage> {
    const page = await aws.kms.listStores(nextToken);
    const stores = page.stores.filter((s) => s.type === 'AWS_CLOUDHSM');
    const models = await mapLimit(stores, RECORD_READS, async (s) => toProps(s, await recordedState(aws, s.id)));
    return { models, nextToken: page.next };
}
