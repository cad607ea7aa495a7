/** The KMS adapter's key methods: what each sends and how it reads the answer (aws-sdk-client-mock). */
import {
    CreateKeyCommand,
    DescribeKeyCommand,
    DisableKeyCommand,
    EnableKeyCommand,
    GetKeyPolicyCommand,
    KMSClient,
    ListResourceTagsCommand,
    NotFoundException,
    PutKeyPolicyCommand,
    ScheduleKeyDeletionCommand,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsAdapter } from '../../src/aws/kms';

const kmsMock = mockClient(KMSClient);
const kms = new KmsAdapter(new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } }));
const md = { $metadata: {} };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- aws-sdk-client-mock's command type does not accept a union of commands
const inputsOf = (cmd: any) => kmsMock.commandCalls(cmd).map((c) => c.args[0].input);
const meta = {
    KeyId: 'k1',
    Arn: 'arn:aws:kms:us-east-1:111122223333:key/k1',
    CustomKeyStoreId: 'cks-1',
    Origin: 'AWS_CLOUDHSM' as const,
    KeyState: 'Enabled' as const,
    Enabled: true,
    Description: 'd',
    KeySpec: 'SYMMETRIC_DEFAULT' as const,
    KeyUsage: 'ENCRYPT_DECRYPT' as const,
    MultiRegion: false,
};

beforeEach(() => kmsMock.reset());

test('createKey asks for a symmetric AWS_CLOUDHSM key in the store, with policy and tags', async () => {
    kmsMock.on(CreateKeyCommand).resolves({ KeyMetadata: meta });
    const key = await kms.createKey({
        storeId: 'cks-1',
        description: 'd',
        policy: '{"p":1}',
        bypassPolicyLockoutSafetyCheck: true,
        tags: [{ key: 'a', value: 'b' }],
    });
    expect(key).toMatchObject({ id: 'k1', storeId: 'cks-1', state: 'Enabled', enabled: true, arn: meta.Arn });
    expect(inputsOf(CreateKeyCommand)).toStrictEqual([
        {
            Origin: 'AWS_CLOUDHSM',
            CustomKeyStoreId: 'cks-1',
            KeySpec: 'SYMMETRIC_DEFAULT',
            KeyUsage: 'ENCRYPT_DECRYPT',
            Description: 'd',
            Policy: '{"p":1}',
            BypassPolicyLockoutSafetyCheck: true,
            Tags: [{ TagKey: 'a', TagValue: 'b' }],
        },
    ]);
});

test('createKey without tags sends no Tags member', async () => {
    kmsMock.on(CreateKeyCommand).resolves({ KeyMetadata: meta });
    await kms.createKey({ storeId: 'cks-1', tags: [] });
    expect(inputsOf(CreateKeyCommand)[0].Tags).toBeUndefined();
});

test('describeKey maps the metadata and NotFoundException to undefined', async () => {
    kmsMock
        .on(DescribeKeyCommand)
        .resolvesOnce({ KeyMetadata: meta })
        .rejectsOnce(new NotFoundException({ message: 'gone', ...md }));
    await expect(kms.describeKey('k1')).resolves.toMatchObject({
        id: 'k1',
        description: 'd',
        keySpec: 'SYMMETRIC_DEFAULT',
        keyUsage: 'ENCRYPT_DECRYPT',
        multiRegion: false,
    });
    await expect(kms.describeKey('k2')).resolves.toBeUndefined();
});

test('policy, description, enable/disable, tags and deletion send one call each with the key id', async () => {
    kmsMock.on(GetKeyPolicyCommand).resolves({ Policy: '{"x":1}', PolicyName: 'default' });
    kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [{ TagKey: 'a', TagValue: '' }], NextMarker: 'm2', Truncated: true });
    const when = new Date('2027-01-01T00:00:00Z');
    kmsMock.on(ScheduleKeyDeletionCommand).resolves({ KeyId: meta.Arn, DeletionDate: when });
    await expect(kms.getKeyPolicy('k1')).resolves.toBe('{"x":1}');
    await kms.putKeyPolicy('k1', '{"y":1}', false);
    await kms.updateKeyDescription('k1', 'new');
    await kms.enableKey('k1');
    await kms.disableKey('k1');
    await expect(kms.listResourceTags('k1', 'm1')).resolves.toStrictEqual({ tags: [{ key: 'a', value: '' }], next: 'm2' });
    await kms.tagResource('k1', [{ key: 'a', value: 'b' }]);
    await kms.untagResource('k1', ['c']);
    await expect(kms.scheduleKeyDeletion('k1', 7)).resolves.toEqual(when);
    expect(inputsOf(GetKeyPolicyCommand)).toStrictEqual([{ KeyId: 'k1', PolicyName: 'default' }]);
    expect(inputsOf(PutKeyPolicyCommand)).toStrictEqual([{ KeyId: 'k1', PolicyName: 'default', Policy: '{"y":1}', BypassPolicyLockoutSafetyCheck: false }]);
    expect(inputsOf(UpdateKeyDescriptionCommand)).toStrictEqual([{ KeyId: 'k1', Description: 'new' }]);
    expect(inputsOf(EnableKeyCommand)).toStrictEqual([{ KeyId: 'k1' }]);
    expect(inputsOf(DisableKeyCommand)).toStrictEqual([{ KeyId: 'k1' }]);
    expect(inputsOf(ListResourceTagsCommand)).toStrictEqual([{ KeyId: 'k1', Marker: 'm1' }]);
    expect(inputsOf(TagResourceCommand)).toStrictEqual([{ KeyId: 'k1', Tags: [{ TagKey: 'a', TagValue: 'b' }] }]);
    expect(inputsOf(UntagResourceCommand)).toStrictEqual([{ KeyId: 'k1', TagKeys: ['c'] }]);
    expect(inputsOf(ScheduleKeyDeletionCommand)).toStrictEqual([{ KeyId: 'k1', PendingWindowInDays: 7 }]);
});
