import {
    ConnectCustomKeyStoreCommand,
    CreateCustomKeyStoreCommand,
    CreateKeyCommand,
    CustomKeyStoresListEntry,
    DeleteCustomKeyStoreCommand,
    DescribeCustomKeyStoresCommand,
    DescribeKeyCommand,
    DisableKeyCommand,
    DisconnectCustomKeyStoreCommand,
    EnableKeyCommand,
    GetKeyPolicyCommand,
    KeyMetadata,
    KMSClient,
    ListKeysCommand,
    ListResourceTagsCommand,
    PutKeyPolicyCommand,
    ScheduleKeyDeletionCommand,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateCustomKeyStoreCommand,
    UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { errorName } from './error-name';

export type ConnectionState = 'CONNECTED' | 'CONNECTING' | 'DISCONNECTED' | 'DISCONNECTING' | 'FAILED';

export interface KeyStore {
    id: string;
    name: string;
    clusterId: string;
    trustAnchor?: string;
    state: ConnectionState;
    connectionErrorCode?: string;
    type: string;
}

export interface KeyStorePage {
    stores: KeyStore[];
    next?: string;
}

export interface KeyPage {
    keyIds: string[];
    next?: string;
}

/** A KMS key as DescribeKey reports it. */
export interface KmsKey {
    id: string;
    arn: string;
    /** Only for keys in a custom key store. */
    storeId?: string;
    origin: string;
    state: string;
    enabled: boolean;
    description: string;
    /** Only while PendingDeletion. */
    deletionDate?: Date;
    keySpec: string;
    keyUsage: string;
    multiRegion: boolean;
}

export interface KeyTag {
    key: string;
    value: string;
}

/** What a key store's delete needs to know of a key: its store, and until when it is pending deletion. */
export interface KeyMembership {
    storeId: string;
    deletionDate?: Date;
}

/**
 * A key DescribeKey refused (AccessDeniedException): DescribeKey is authorized by each key's own key policy ("Required
 * permissions: kms:DescribeKey (key policy)", KMS API reference), and a policy that does not let the account's IAM
 * principals in keeps the key's metadata from the caller, while ListKeys (IAM alone) still lists it. Its key store is
 * unknown: it may be any.
 */
export interface HiddenKey {
    hidden: true;
    keyId: string;
}

export const isHiddenKey = (k: KeyMembership | HiddenKey | undefined): k is HiddenKey => !!k && 'hidden' in k;

function toKey(m: KeyMetadata | undefined): KmsKey {
    if (!m?.KeyId) throw new Error('KMS returned no KeyMetadata.KeyId');
    return {
        id: m.KeyId,
        arn: m.Arn ?? '',
        storeId: m.CustomKeyStoreId,
        origin: m.Origin ?? '',
        state: m.KeyState ?? '',
        enabled: m.Enabled ?? false,
        description: m.Description ?? '',
        deletionDate: m.DeletionDate,
        keySpec: m.KeySpec ?? m.CustomerMasterKeySpec ?? '',
        keyUsage: m.KeyUsage ?? '',
        multiRegion: m.MultiRegion ?? false,
    };
}

function toKeyStore(e: CustomKeyStoresListEntry): KeyStore {
    return {
        id: e.CustomKeyStoreId ?? '',
        name: e.CustomKeyStoreName ?? '',
        clusterId: e.CloudHsmClusterId ?? '',
        trustAnchor: e.TrustAnchorCertificate,
        state: (e.ConnectionState ?? 'DISCONNECTED') as ConnectionState,
        connectionErrorCode: e.ConnectionErrorCode,
        type: e.CustomKeyStoreType ?? 'AWS_CLOUDHSM',
    };
}

/** KMS custom key stores and keys; one method per API call. */
export class KmsAdapter {
    constructor(private readonly client: KMSClient) {}

    /** undefined when KMS has no store with this id. */
    async describeStore(id: string): Promise<KeyStore | undefined> {
        return this.describeOne({ CustomKeyStoreId: id });
    }

    async describeStoreByName(name: string): Promise<KeyStore | undefined> {
        return this.describeOne({ CustomKeyStoreName: name });
    }

    private async describeOne(filter: { CustomKeyStoreId?: string; CustomKeyStoreName?: string }): Promise<KeyStore | undefined> {
        try {
            const out = await this.client.send(new DescribeCustomKeyStoresCommand(filter));
            const entry = out.CustomKeyStores?.[0];
            return entry ? toKeyStore(entry) : undefined;
        } catch (err) {
            if (errorName(err) === 'CustomKeyStoreNotFoundException') return undefined;
            throw err;
        }
    }

    async listStores(marker?: string, limit?: number): Promise<KeyStorePage> {
        const out = await this.client.send(new DescribeCustomKeyStoresCommand({ Marker: marker, Limit: limit }));
        return { stores: (out.CustomKeyStores ?? []).map(toKeyStore), next: out.Truncated && out.NextMarker ? out.NextMarker : undefined };
    }

    async createStore(p: { name: string; clusterId: string; trustAnchor: string; password: string }): Promise<string> {
        const out = await this.client.send(
            new CreateCustomKeyStoreCommand({
                CustomKeyStoreName: p.name,
                CloudHsmClusterId: p.clusterId,
                TrustAnchorCertificate: p.trustAnchor,
                KeyStorePassword: p.password,
                CustomKeyStoreType: 'AWS_CLOUDHSM',
            }),
        );
        if (!out.CustomKeyStoreId) throw new Error('CreateCustomKeyStore returned no CustomKeyStoreId');
        return out.CustomKeyStoreId;
    }

    async connect(id: string): Promise<void> {
        await this.client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    }

    async disconnect(id: string): Promise<void> {
        await this.client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    }

    async update(id: string, change: { name?: string; clusterId?: string; password?: string }): Promise<void> {
        await this.client.send(
            new UpdateCustomKeyStoreCommand({
                CustomKeyStoreId: id,
                NewCustomKeyStoreName: change.name,
                CloudHsmClusterId: change.clusterId,
                KeyStorePassword: change.password,
            }),
        );
    }

    async deleteStore(id: string): Promise<void> {
        await this.client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    }

    async listKeys(marker?: string, limit = 100): Promise<KeyPage> {
        const out = await this.client.send(new ListKeysCommand({ Marker: marker, Limit: limit }));
        return {
            keyIds: (out.Keys ?? []).map((k) => k.KeyId ?? '').filter((k) => k !== ''),
            next: out.Truncated && out.NextMarker ? out.NextMarker : undefined,
        };
    }

    /**
     * The custom key store a key lives in, and its DeletionDate when pending deletion; undefined for keys outside any
     * custom key store or gone meanwhile; a HiddenKey when the key's policy does not let the caller describe it.
     */
    async keyStoreOfKey(keyId: string): Promise<KeyMembership | HiddenKey | undefined> {
        let key: KmsKey | undefined;
        try {
            key = await this.describeKey(keyId);
        } catch (err) {
            if (errorName(err) === 'AccessDeniedException') return { hidden: true, keyId };
            throw err;
        }
        if (!key?.storeId) return undefined;
        return key.deletionDate ? { storeId: key.storeId, deletionDate: key.deletionDate } : { storeId: key.storeId };
    }

    /** undefined when KMS has no such key (NotFoundException). */
    async describeKey(keyId: string): Promise<KmsKey | undefined> {
        try {
            const out = await this.client.send(new DescribeKeyCommand({ KeyId: keyId }));
            return out.KeyMetadata?.KeyId ? toKey(out.KeyMetadata) : undefined;
        } catch (err) {
            if (errorName(err) === 'NotFoundException') return undefined;
            throw err;
        }
    }

    /** A symmetric encryption key whose key material is made in the store's CloudHSM cluster. */
    async createKey(p: { storeId: string; description?: string; policy?: string; bypassPolicyLockoutSafetyCheck?: boolean; tags?: KeyTag[] }): Promise<KmsKey> {
        const out = await this.client.send(
            new CreateKeyCommand({
                Origin: 'AWS_CLOUDHSM',
                CustomKeyStoreId: p.storeId,
                KeySpec: 'SYMMETRIC_DEFAULT',
                KeyUsage: 'ENCRYPT_DECRYPT',
                Description: p.description,
                Policy: p.policy,
                BypassPolicyLockoutSafetyCheck: p.bypassPolicyLockoutSafetyCheck,
                Tags: p.tags?.length ? p.tags.map((t) => ({ TagKey: t.key, TagValue: t.value })) : undefined,
            }),
        );
        return toKey(out.KeyMetadata);
    }

    async getKeyPolicy(keyId: string): Promise<string> {
        const out = await this.client.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
        return out.Policy ?? '';
    }

    async putKeyPolicy(keyId: string, policy: string, bypassPolicyLockoutSafetyCheck?: boolean): Promise<void> {
        await this.client.send(
            new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: policy, BypassPolicyLockoutSafetyCheck: bypassPolicyLockoutSafetyCheck }),
        );
    }

    async updateKeyDescription(keyId: string, description: string): Promise<void> {
        await this.client.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: description }));
    }

    async enableKey(keyId: string): Promise<void> {
        await this.client.send(new EnableKeyCommand({ KeyId: keyId }));
    }

    async disableKey(keyId: string): Promise<void> {
        await this.client.send(new DisableKeyCommand({ KeyId: keyId }));
    }

    /** One page of a key's tags (ListResourceTags pages with Marker, at most 50 a page). */
    async listResourceTags(keyId: string, marker?: string): Promise<{ tags: KeyTag[]; next?: string }> {
        const out = await this.client.send(new ListResourceTagsCommand({ KeyId: keyId, Marker: marker }));
        return {
            tags: (out.Tags ?? []).map((t) => ({ key: t.TagKey ?? '', value: t.TagValue ?? '' })),
            next: out.Truncated && out.NextMarker ? out.NextMarker : undefined,
        };
    }

    async tagResource(keyId: string, tags: KeyTag[]): Promise<void> {
        await this.client.send(new TagResourceCommand({ KeyId: keyId, Tags: tags.map((t) => ({ TagKey: t.key, TagValue: t.value })) }));
    }

    async untagResource(keyId: string, tagKeys: string[]): Promise<void> {
        await this.client.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: tagKeys }));
    }

    /** Returns the DeletionDate KMS set. */
    async scheduleKeyDeletion(keyId: string, pendingWindowInDays: number): Promise<Date | undefined> {
        const out = await this.client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays }));
        return out.DeletionDate;
    }
}
