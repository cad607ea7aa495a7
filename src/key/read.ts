import { KeyTag, KmsAdapter, KmsKey } from '../aws/kms';
import { errorName } from '../aws/error-name';
import { mapLimit } from '../engine/concurrency';
import { policyValue } from './policy';
import { KeyProps } from './types';

/** How many DescribeKey calls LIST keeps in flight: fast, and far below KMS's request quota. */
const LIST_CONCURRENCY = 8;
const LIST_PAGE_SIZE = 100;

/** A key this type manages: in an AWS CloudHSM key store and not on its way out (AWS::KMS::Key reads PendingDeletion as gone). */
export function isManagedKey(key: KmsKey | undefined): key is KmsKey {
    return !!key && key.origin === 'AWS_CLOUDHSM' && !!key.storeId && key.state !== 'PendingDeletion';
}

/** What DescribeKey alone says about a key (LIST's model). */
export function toKeyProps(key: KmsKey): KeyProps {
    return {
        keyId: key.id,
        arn: key.arn,
        keyState: key.state,
        customKeyStoreId: key.storeId,
        description: key.description,
        enabled: key.enabled,
        keySpec: key.keySpec || 'SYMMETRIC_DEFAULT',
        keyUsage: key.keyUsage || 'ENCRYPT_DECRYPT',
        enableKeyRotation: false,
        multiRegion: key.multiRegion,
    };
}

export async function allTags(kms: KmsAdapter, keyId: string): Promise<KeyTag[]> {
    const tags: KeyTag[] = [];
    let marker: string | undefined;
    do {
        const page = await kms.listResourceTags(keyId, marker);
        tags.push(...page.tags);
        marker = page.next;
    } while (marker);
    return tags;
}

/** The model of a key as Read returns it; create and update finish with the same function. undefined: NotFound. */
export async function readKey(kms: KmsAdapter, keyId: string | undefined): Promise<KeyProps | undefined> {
    if (!keyId) return undefined;
    const key = await kms.describeKey(keyId);
    if (!isManagedKey(key)) return undefined;
    const [policy, tags] = await Promise.all([kms.getKeyPolicy(key.id), allTags(kms, key.id)]);
    return { ...toKeyProps(key), keyPolicy: policyValue(policy), tags };
}

export interface KeyListPage {
    models: KeyProps[];
    nextToken?: string;
}

/**
 * A key's DescribeKey, or undefined when KMS refuses it (AccessDeniedException): DescribeKey is authorized by each
 * key's own key policy (KMS API reference, DescribeKey), so a listed key may be one this handler cannot see.
 */
async function describeIfAllowed(kms: KmsAdapter, keyId: string): Promise<KmsKey | undefined> {
    try {
        return await kms.describeKey(keyId);
    } catch (err) {
        if (errorName(err) === 'AccessDeniedException') return undefined;
        throw err;
    }
}

/** One ListKeys page (nextToken is its Marker), keys of AWS CloudHSM key stores only; keys the handler may not describe are skipped. */
export async function listKeys(kms: KmsAdapter, nextToken?: string): Promise<KeyListPage> {
    const page = await kms.listKeys(nextToken, LIST_PAGE_SIZE);
    const keys = await mapLimit(page.keyIds, LIST_CONCURRENCY, (id) => describeIfAllowed(kms, id));
    return { models: keys.filter(isManagedKey).map(toKeyProps), nextToken: page.next };
}
