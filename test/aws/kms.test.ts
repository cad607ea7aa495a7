import {
    ConnectCustomKeyStoreCommand,
    CreateCustomKeyStoreCommand,
    CustomKeyStoreHasCMKsException,
    CustomKeyStoreInvalidStateException,
    CustomKeyStoreNotFoundException,
    DeleteCustomKeyStoreCommand,
    DescribeCustomKeyStoresCommand,
    DescribeKeyCommand,
    DisconnectCustomKeyStoreCommand,
    KMSClient,
    KMSServiceException,
    ListKeysCommand,
    NotFoundException,
    UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsAdapter } from '../../src/aws/kms';

const kmsMock = mockClient(KMSClient);
const client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } });
const kms = new KmsAdapter(client);

const md = { $metadata: {} };
const entry = {
    CustomKeyStoreId: 'cks-1234567890abcdef0',
    CustomKeyStoreName: 'ExampleKeyStore',
    CloudHsmClusterId: 'cluster-1a23b4cdefg',
    TrustAnchorCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    ConnectionState: 'CONNECTED' as const,
    CreationDate: new Date(1599288695918),
    CustomKeyStoreType: 'AWS_CLOUDHSM' as const,
};
const store = {
    id: 'cks-1234567890abcdef0',
    name: 'ExampleKeyStore',
    clusterId: 'cluster-1a23b4cdefg',
    trustAnchor: entry.TrustAnchorCertificate,
    state: 'CONNECTED',
    connectionErrorCode: undefined,
    type: 'AWS_CLOUDHSM',
};

function inputsOf<T>(cmd: T) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- aws-sdk-client-mock's command type does not accept a union of commands
    return kmsMock.commandCalls(cmd as any).map((c) => c.args[0].input);
}

beforeEach(() => kmsMock.reset());
afterAll(() => kmsMock.restore());

describe('KmsAdapter.describeStore / describeStoreByName', () => {
    it('sends DescribeCustomKeyStores with only CustomKeyStoreId and maps the entry to a plain KeyStore', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [entry], Truncated: false });
        await expect(kms.describeStore('cks-1234567890abcdef0')).resolves.toStrictEqual(store);
        expect(inputsOf(DescribeCustomKeyStoresCommand)).toStrictEqual([{ CustomKeyStoreId: 'cks-1234567890abcdef0' }]);
        expect(kmsMock.calls()).toHaveLength(1);
    });

    it('sends DescribeCustomKeyStores with only CustomKeyStoreName', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [entry] });
        await expect(kms.describeStoreByName('ExampleKeyStore')).resolves.toStrictEqual(store);
        expect(inputsOf(DescribeCustomKeyStoresCommand)).toStrictEqual([{ CustomKeyStoreName: 'ExampleKeyStore' }]);
    });

    it('carries a FAILED state and its ConnectionErrorCode', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
            CustomKeyStores: [{ ...entry, ConnectionState: 'FAILED', ConnectionErrorCode: 'INVALID_CREDENTIALS' }],
        });
        await expect(kms.describeStore('cks-1234567890abcdef0')).resolves.toMatchObject({
            state: 'FAILED',
            connectionErrorCode: 'INVALID_CREDENTIALS',
        });
    });

    it('defaults missing members (state DISCONNECTED, type AWS_CLOUDHSM, empty strings)', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [{}] });
        await expect(kms.describeStore('cks-x')).resolves.toStrictEqual({
            id: '',
            name: '',
            clusterId: '',
            trustAnchor: undefined,
            state: 'DISCONNECTED',
            connectionErrorCode: undefined,
            type: 'AWS_CLOUDHSM',
        });
    });

    it.each([
        ['an empty list', { CustomKeyStores: [] }],
        ['no CustomKeyStores member', {}],
    ])('returns undefined for %s', async (_label, out) => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves(out);
        await expect(kms.describeStore('cks-gone')).resolves.toBeUndefined();
        await expect(kms.describeStoreByName('gone')).resolves.toBeUndefined();
    });

    it('maps CustomKeyStoreNotFoundException (real SDK class) to undefined', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'no such store', ...md }));
        await expect(kms.describeStore('cks-gone')).resolves.toBeUndefined();
        await expect(kms.describeStoreByName('gone')).resolves.toBeUndefined();
    });

    it('maps a base-class error named CustomKeyStoreNotFoundException to undefined', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new KMSServiceException({ name: 'CustomKeyStoreNotFoundException', $fault: 'client', ...md }));
        await expect(kms.describeStore('cks-gone')).resolves.toBeUndefined();
    });

    it('propagates other errors unchanged', async () => {
        const err = new KMSServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'nope', ...md });
        kmsMock.on(DescribeCustomKeyStoresCommand).rejects(err);
        await expect(kms.describeStore('cks-1')).rejects.toBe(err);
        await expect(kms.describeStoreByName('n')).rejects.toBe(err);
    });
});

describe('KmsAdapter.listStores', () => {
    it('sends Marker and Limit and returns the next marker when truncated', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [entry], NextMarker: 'm2', Truncated: true });
        await expect(kms.listStores('m1', 5)).resolves.toStrictEqual({ stores: [store], next: 'm2' });
        expect(inputsOf(DescribeCustomKeyStoresCommand)).toStrictEqual([{ Marker: 'm1', Limit: 5 }]);
    });

    it('sends no Marker/Limit values on the first page when none are given', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [], Truncated: false });
        await expect(kms.listStores()).resolves.toStrictEqual({ stores: [], next: undefined });
        const [input] = inputsOf(DescribeCustomKeyStoresCommand);
        expect(input.Marker).toBeUndefined();
        expect(input.Limit).toBeUndefined();
        expect(input.CustomKeyStoreId).toBeUndefined();
        expect(input.CustomKeyStoreName).toBeUndefined();
    });

    it('returns no next marker on the last page (NextMarker absent)', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [entry], Truncated: false });
        await expect(kms.listStores('m2')).resolves.toStrictEqual({ stores: [store], next: undefined });
    });

    it('returns no next marker when Truncated is true but NextMarker is missing (no endless paging)', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [], Truncated: true });
        await expect(kms.listStores()).resolves.toStrictEqual({ stores: [], next: undefined });
    });

    it('returns the next marker only when truncated: a NextMarker on a page with Truncated false is ignored', async () => {
        kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [entry], NextMarker: 'stale', Truncated: false });
        await expect(kms.listStores()).resolves.toStrictEqual({ stores: [store], next: undefined });
    });

    it('propagates errors unchanged (no not-found mapping for a list)', async () => {
        const err = new KMSServiceException({ name: 'InvalidMarkerException', $fault: 'client', ...md });
        kmsMock.on(DescribeCustomKeyStoresCommand).rejects(err);
        await expect(kms.listStores('bad')).rejects.toBe(err);
    });
});

describe('KmsAdapter.createStore', () => {
    const p = { name: 'ks', clusterId: 'cluster-1a23b4cdefg', trustAnchor: 'PEM', password: 'kmsPswd1' };

    it('sends CreateCustomKeyStore with CustomKeyStoreType AWS_CLOUDHSM and returns the id', async () => {
        kmsMock.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: 'cks-new' });
        await expect(kms.createStore(p)).resolves.toBe('cks-new');
        expect(inputsOf(CreateCustomKeyStoreCommand)).toStrictEqual([
            {
                CustomKeyStoreName: 'ks',
                CloudHsmClusterId: 'cluster-1a23b4cdefg',
                TrustAnchorCertificate: 'PEM',
                KeyStorePassword: 'kmsPswd1',
                CustomKeyStoreType: 'AWS_CLOUDHSM',
            },
        ]);
    });

    it('throws when KMS returns no CustomKeyStoreId', async () => {
        kmsMock.on(CreateCustomKeyStoreCommand).resolves({});
        await expect(kms.createStore(p)).rejects.toThrow('CreateCustomKeyStore returned no CustomKeyStoreId');
    });

    it('propagates KMS errors unchanged', async () => {
        const err = new KMSServiceException({ name: 'CustomKeyStoreNameInUseException', $fault: 'client', ...md });
        kmsMock.on(CreateCustomKeyStoreCommand).rejects(err);
        await expect(kms.createStore(p)).rejects.toBe(err);
    });
});

describe('KmsAdapter connect / disconnect / deleteStore', () => {
    it.each([
        ['connect', ConnectCustomKeyStoreCommand],
        ['disconnect', DisconnectCustomKeyStoreCommand],
        ['deleteStore', DeleteCustomKeyStoreCommand],
    ] as const)('%s sends only CustomKeyStoreId and resolves to undefined', async (method, cmd) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- aws-sdk-client-mock's command type does not accept a union of commands
        kmsMock.on(cmd as any).resolves({});
        await expect(kms[method]('cks-1')).resolves.toBeUndefined();
        expect(inputsOf(cmd)).toStrictEqual([{ CustomKeyStoreId: 'cks-1' }]);
        expect(kmsMock.calls()).toHaveLength(1);
    });

    it('does not swallow CustomKeyStoreNotFoundException (only describe maps it)', async () => {
        const err = new CustomKeyStoreNotFoundException({ message: 'gone', ...md });
        kmsMock.on(DisconnectCustomKeyStoreCommand).rejects(err);
        await expect(kms.disconnect('cks-1')).rejects.toBe(err);
    });

    it('propagates CustomKeyStoreInvalidStateException and CustomKeyStoreHasCMKsException unchanged', async () => {
        const invalid = new CustomKeyStoreInvalidStateException({ message: 'state', ...md });
        const hasKeys = new CustomKeyStoreHasCMKsException({ message: 'keys', ...md });
        kmsMock.on(ConnectCustomKeyStoreCommand).rejects(invalid).on(DeleteCustomKeyStoreCommand).rejects(hasKeys);
        await expect(kms.connect('cks-1')).rejects.toBe(invalid);
        await expect(kms.deleteStore('cks-1')).rejects.toBe(hasKeys);
    });
});

describe('KmsAdapter.update', () => {
    it('sends every change', async () => {
        kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
        await expect(kms.update('cks-1', { name: 'new', clusterId: 'cluster-2b', password: 'pw12345' })).resolves.toBeUndefined();
        expect(inputsOf(UpdateCustomKeyStoreCommand)).toStrictEqual([
            { CustomKeyStoreId: 'cks-1', NewCustomKeyStoreName: 'new', CloudHsmClusterId: 'cluster-2b', KeyStorePassword: 'pw12345' },
        ]);
    });

    it('sends only the name for a rename (other members undefined, so the SDK omits them)', async () => {
        kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
        await kms.update('cks-1', { name: 'new' });
        const [input] = inputsOf(UpdateCustomKeyStoreCommand);
        expect(input).toMatchObject({ CustomKeyStoreId: 'cks-1', NewCustomKeyStoreName: 'new' });
        expect(input.CloudHsmClusterId).toBeUndefined();
        expect(input.KeyStorePassword).toBeUndefined();
    });

    it('propagates errors unchanged', async () => {
        const err = new CustomKeyStoreInvalidStateException({ message: 'connected', ...md });
        kmsMock.on(UpdateCustomKeyStoreCommand).rejects(err);
        await expect(kms.update('cks-1', { password: 'pw12345' })).rejects.toBe(err);
    });
});

describe('KmsAdapter.listKeys', () => {
    it('sends Marker and the default Limit 100, returns key ids and the next marker when truncated', async () => {
        kmsMock.on(ListKeysCommand).resolves({
            Keys: [{ KeyId: 'k1', KeyArn: 'arn:k1' }, { KeyArn: 'arn:no-id' }, { KeyId: 'k2' }],
            NextMarker: 'n2',
            Truncated: true,
        });
        await expect(kms.listKeys('n1')).resolves.toStrictEqual({ keyIds: ['k1', 'k2'], next: 'n2' });
        expect(inputsOf(ListKeysCommand)).toStrictEqual([{ Marker: 'n1', Limit: 100 }]);
    });

    it('passes an explicit limit and no marker on the first page', async () => {
        kmsMock.on(ListKeysCommand).resolves({ Keys: [], Truncated: false });
        await expect(kms.listKeys(undefined, 7)).resolves.toStrictEqual({ keyIds: [], next: undefined });
        const [input] = inputsOf(ListKeysCommand);
        expect(input.Marker).toBeUndefined();
        expect(input.Limit).toBe(7);
    });

    it('returns no next marker on the last page (NextMarker absent) or with no Keys member', async () => {
        kmsMock
            .on(ListKeysCommand)
            .resolvesOnce({ Keys: [{ KeyId: 'k9' }], Truncated: false })
            .resolvesOnce({});
        await expect(kms.listKeys('n9')).resolves.toStrictEqual({ keyIds: ['k9'], next: undefined });
        await expect(kms.listKeys()).resolves.toStrictEqual({ keyIds: [], next: undefined });
    });

    it('returns no next marker when Truncated is true but NextMarker is missing', async () => {
        kmsMock.on(ListKeysCommand).resolves({ Keys: [], Truncated: true });
        await expect(kms.listKeys()).resolves.toStrictEqual({ keyIds: [], next: undefined });
    });

    it('returns the next marker only when truncated: a NextMarker with Truncated false is ignored', async () => {
        kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'k1' }], NextMarker: 'stale', Truncated: false });
        await expect(kms.listKeys()).resolves.toStrictEqual({ keyIds: ['k1'], next: undefined });
    });

    it('propagates errors unchanged', async () => {
        const err = new KMSServiceException({ name: 'DependencyTimeoutException', $fault: 'server', ...md });
        kmsMock.on(ListKeysCommand).rejects(err);
        await expect(kms.listKeys()).rejects.toBe(err);
    });
});

describe('KmsAdapter.keyStoreOfKey', () => {
    it('sends DescribeKey with KeyId and returns KeyMetadata.CustomKeyStoreId', async () => {
        kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', CustomKeyStoreId: 'cks-1', Origin: 'AWS_CLOUDHSM' } });
        await expect(kms.keyStoreOfKey('k1')).resolves.toStrictEqual({ storeId: 'cks-1' });
        expect(inputsOf(DescribeKeyCommand)).toStrictEqual([{ KeyId: 'k1' }]);
    });

    it('gives the DeletionDate of a key pending deletion', async () => {
        const when = new Date('2027-01-01T00:00:00Z');
        kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', CustomKeyStoreId: 'cks-1', KeyState: 'PendingDeletion', DeletionDate: when } });
        await expect(kms.keyStoreOfKey('k1')).resolves.toStrictEqual({ storeId: 'cks-1', deletionDate: when });
    });

    it('returns undefined for a key outside any custom key store', async () => {
        kmsMock
            .on(DescribeKeyCommand)
            .resolvesOnce({ KeyMetadata: { KeyId: 'k1' } })
            .resolvesOnce({});
        await expect(kms.keyStoreOfKey('k1')).resolves.toBeUndefined();
        await expect(kms.keyStoreOfKey('k2')).resolves.toBeUndefined();
    });

    it('maps NotFoundException (real SDK class) to undefined', async () => {
        kmsMock.on(DescribeKeyCommand).rejects(new NotFoundException({ message: 'gone', ...md }));
        await expect(kms.keyStoreOfKey('k1')).resolves.toBeUndefined();
    });

    it('answers a key its policy keeps the caller from describing (AccessDenied) as hidden: it may be in any store', async () => {
        kmsMock.on(DescribeKeyCommand).rejects(new KMSServiceException({ name: 'AccessDeniedException', $fault: 'client', ...md }));
        await expect(kms.keyStoreOfKey('k1')).resolves.toEqual({ hidden: true, keyId: 'k1' });
    });

    it('propagates other errors unchanged', async () => {
        const err = new KMSServiceException({ name: 'KMSInternalException', $fault: 'server', ...md });
        kmsMock.on(DescribeKeyCommand).rejects(err);
        await expect(kms.keyStoreOfKey('k1')).rejects.toBe(err);
    });
});
