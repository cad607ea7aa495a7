import {
    ConnectCustomKeyStoreCommand,
    CreateCustomKeyStoreCommand,
    CustomKeyStoresListEntry,
    DeleteCustomKeyStoreCommand,
    DescribeCustomKeyStoresCommand,
    DescribeKeyCommand,
    DisconnectCustomKeyStoreCommand,
    KMSClient,
    ListKeysCommand,
    UpdateCustomKeyStoreCommand,
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

/** KMS custom key stores and the key lookups a delete needs; one method per API call. */
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

    /** The custom key store a key lives in; undefined for keys outside any custom key store or gone meanwhile. */
    async keyStoreOfKey(keyId: string): Promise<string | undefined> {
        try {
            const out = await this.client.send(new DescribeKeyCommand({ KeyId: keyId }));
            return out.KeyMetadata?.CustomKeyStoreId;
        } catch (err) {
            if (errorName(err) === 'NotFoundException') return undefined;
            throw err;
        }
    }
}
