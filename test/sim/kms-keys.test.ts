/** The simulator's key management operations (local/sim/services/kms-keys.ts) through the real SDK v3 KMS client. */
import {
    CreateCustomKeyStoreCommand,
    CreateKeyCommand,
    DescribeKeyCommand,
    DisableKeyCommand,
    EnableKeyCommand,
    GetKeyPolicyCommand,
    ListResourceTagsCommand,
    PutKeyPolicyCommand,
    ScheduleKeyDeletionCommand,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { errorOf, harness, Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
    h = await harness();
});
afterAll(async () => h.close());
beforeEach(async () => h.sim.control.reset('default'));

const policy = (extra: object = {}) =>
    JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
        ...extra,
    });
const newKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) => (await h.kms.send(new CreateKeyCommand(input))).KeyMetadata!.KeyId!;

test('CreateKey keeps Policy and Tags; without a Policy the default key policy gives the account root kms:*', async () => {
    const id = await newKey({ Policy: policy(), Tags: [{ TagKey: 'team', TagValue: 'payments' }] });
    expect((await h.kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy).toBe(policy());
    expect((await h.kms.send(new ListResourceTagsCommand({ KeyId: id }))).Tags).toEqual([{ TagKey: 'team', TagValue: 'payments' }]);
    const plain = await newKey();
    const doc = JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: plain, PolicyName: 'default' }))).Policy!);
    expect(doc.Statement[0]).toMatchObject({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*' });
});

test('CreateKey refuses a malformed policy, a lockout policy without the bypass, and reserved or repeated tag keys, making nothing', async () => {
    const before = (await h.sim.control.state()).keys.length;
    expect((await errorOf(newKey({ Policy: '{not json' }))).name).toBe('MalformedPolicyDocumentException');
    const lockout = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }] });
    expect((await errorOf(newKey({ Policy: lockout }))).name).toBe('MalformedPolicyDocumentException');
    expect((await errorOf(newKey({ Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] }))).name).toBe('TagException');
    expect(
        (
            await errorOf(
                newKey({
                    Tags: [
                        { TagKey: 'a', TagValue: '1' },
                        { TagKey: 'a', TagValue: '2' },
                    ],
                }),
            )
        ).name,
    ).toBe('TagException');
    const long = await errorOf(newKey({ Tags: [{ TagKey: 'k'.repeat(129), TagValue: '' }] }));
    expect(long.name).toBe('ValidationException');
    expect(long.message).toContain("at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128");
    expect((await h.sim.control.state()).keys.length).toBe(before);
    await newKey({ Policy: lockout, BypassPolicyLockoutSafetyCheck: true });
});

test('PutKeyPolicy, UpdateKeyDescription, DisableKey/EnableKey change the key as DescribeKey and GetKeyPolicy show', async () => {
    const id = await newKey();
    await h.kms.send(new PutKeyPolicyCommand({ KeyId: id, PolicyName: 'default', Policy: policy({ Id: 'p2' }) }));
    expect(JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy!).Id).toBe('p2');
    expect((await errorOf(h.kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: '[]' })))).name).toBe('MalformedPolicyDocumentException');
    expect((await errorOf(h.kms.send(new GetKeyPolicyCommand({ KeyId: id, PolicyName: 'other' })))).name).toBe('NotFoundException');
    await h.kms.send(new UpdateKeyDescriptionCommand({ KeyId: id, Description: 'for payments' }));
    await h.kms.send(new DisableKeyCommand({ KeyId: id }));
    expect((await h.kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata).toMatchObject({
        Description: 'for payments',
        Enabled: false,
        KeyState: 'Disabled',
    });
    await h.kms.send(new EnableKeyCommand({ KeyId: id }));
    expect((await h.kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata).toMatchObject({ Enabled: true, KeyState: 'Enabled' });
});

test('TagResource replaces a value and adds keys; UntagResource removes; ListResourceTags pages with Limit/Marker', async () => {
    const id = await newKey({ Tags: [{ TagKey: 'a', TagValue: '1' }] });
    await h.kms.send(
        new TagResourceCommand({
            KeyId: id,
            Tags: [
                { TagKey: 'a', TagValue: '2' },
                { TagKey: 'b', TagValue: '' },
                { TagKey: 'c', TagValue: '3' },
            ],
        }),
    );
    await h.kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['c', 'absent'] }));
    const first = await h.kms.send(new ListResourceTagsCommand({ KeyId: id, Limit: 1 }));
    expect(first).toMatchObject({ Tags: [{ TagKey: 'a', TagValue: '2' }], Truncated: true });
    const second = await h.kms.send(new ListResourceTagsCommand({ KeyId: id, Limit: 1, Marker: first.NextMarker }));
    expect(second.Tags).toEqual([{ TagKey: 'b', TagValue: '' }]);
    expect(second.Truncated).toBe(false);
    expect(second.NextMarker).toBeUndefined();
    expect((await errorOf(h.kms.send(new ListResourceTagsCommand({ KeyId: id, Marker: 'bogus' })))).name).toBe('InvalidMarkerException');
    expect((await errorOf(h.kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'aws:cloudformation:stack-name', TagValue: 's' }] })))).name).toBe(
        'TagException',
    );
});

test('a key pending deletion can be read but not changed; an unknown key is NotFoundException', async () => {
    const id = await newKey({ Tags: [{ TagKey: 'a', TagValue: '1' }] });
    await h.kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    await h.kms.send(new GetKeyPolicyCommand({ KeyId: id }));
    await h.kms.send(new ListResourceTagsCommand({ KeyId: id }));
    for (const cmd of [
        new PutKeyPolicyCommand({ KeyId: id, Policy: policy() }),
        new UpdateKeyDescriptionCommand({ KeyId: id, Description: 'x' }),
        new EnableKeyCommand({ KeyId: id }),
        new DisableKeyCommand({ KeyId: id }),
        new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'b', TagValue: '2' }] }),
        new UntagResourceCommand({ KeyId: id, TagKeys: ['a'] }),
    ]) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a command built by name, which the client cannot type
        expect((await errorOf(h.kms.send(cmd as any))).name).toBe('KMSInvalidStateException');
    }
    expect((await errorOf(h.kms.send(new GetKeyPolicyCommand({ KeyId: '11111111-2222-3333-4444-555555555555' })))).name).toBe('NotFoundException');
});

test('a key whose store is not connected is Unavailable but can still be managed', async () => {
    // a store in the default scenario's cluster, never connected: its keys are Unavailable
    const ca = (await h.sim.control.state()).clusters.find((c) => c.id === 'cluster-234567abcdefg')!.caPem;
    const { CustomKeyStoreId } = await h.kms.send(
        new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: 'ks',
            CloudHsmClusterId: 'cluster-234567abcdefg',
            TrustAnchorCertificate: ca,
            KeyStorePassword: 'Password1',
        }),
    );
    const key = await h.sim.control.putKey({ customKeyStoreId: CustomKeyStoreId });
    await h.kms.send(new DisableKeyCommand({ KeyId: key.keyId }));
    await h.kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.keyId, Description: 'while disconnected' }));
    await h.kms.send(new TagResourceCommand({ KeyId: key.keyId, Tags: [{ TagKey: 'a', TagValue: '1' }] }));
    expect((await h.kms.send(new DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata).toMatchObject({
        KeyState: 'Unavailable',
        Description: 'while disconnected',
    });
});
