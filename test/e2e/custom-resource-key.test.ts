/**
 * End to end: Custom::KMS::CloudHsmKey through the same custom resource provider as the key store. The driver
 * sends CloudFormation's requests (every scalar a string) as asynchronous Lambda invocations; the provider
 * dispatches on ResourceType and runs the key type's own workflows against the simulator.
 */
import { DescribeKeyCommand, DisconnectCustomKeyStoreCommand, GetKeyPolicyCommand, KMSClient, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { CustomResourceDriver } from '../../local/custom-resource-driver';
import { defaultKeyProperties, defaultProperties } from '../../local/harness';
import { CrE2E, useCrE2E } from './custom-resource-support';
import { S, waitUntil } from './support';

jest.setTimeout(180_000);

const KEY_TYPE = 'Custom::KMS::CloudHsmKey';
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const e2e = useCrE2E();
let h: CrE2E;
let kms: KMSClient;
let keys: CustomResourceDriver;
beforeEach(() => {
    h = e2e();
    kms = new KMSClient({
        region: S.region,
        endpoint: h.sim.endpoint,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        maxAttempts: 1,
    });
    keys = h.driver.resource('Key', KEY_TYPE);
});

const metaOf = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
const tagsOf = async (keyId: string) => (await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags;

async function store(driver = h.driver, props = defaultProperties()): Promise<string> {
    const r = await h.run(driver.create(props));
    expect(r.status).toBe('SUCCESS');
    return r.physicalResourceId as string;
}

test('a stack with a key store and a key: create, update in place, replace by a new key store, delete the key (scheduled) and the store (kept)', async () => {
    const storeProps = defaultProperties();
    const storeId = await store(h.driver, storeProps);
    const props = defaultKeyProperties(storeId, { PendingWindowInDays: 7, Enabled: true });

    const created = await h.run(keys.create(props));
    expect(created.reason).toBeUndefined();
    expect(created.status).toBe('SUCCESS');
    expect(created.request.ResourceProperties).toMatchObject({ PendingWindowInDays: '7', Enabled: 'true' });
    const keyId = created.physicalResourceId as string;
    expect(keyId).toMatch(KEY_ID);
    expect(created.data).toEqual({ KeyId: keyId, Arn: `arn:aws:kms:${S.region}:${S.accountId}:key/${keyId}`, KeyState: 'Enabled' });
    expect(created.invocations.length).toBeGreaterThan(1); // the key id goes back right after CreateKey; the rest continues
    expect(await metaOf(keyId)).toMatchObject({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, Description: props.Description, Enabled: true });
    expect(await tagsOf(keyId)).toEqual([{ TagKey: 'team', TagValue: 'payments' }]);
    const policy = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy as string);
    expect(policy.Statement[0]).toMatchObject({ Principal: { AWS: `arn:aws:iam::${S.accountId}:root` }, Action: 'kms:*' });

    // In place: the same physical id, no Delete follows.
    const described = { ...props, Description: 'Renamed key', Enabled: false, Tags: [{ Key: 'team', Value: 'risk' }] };
    const updated = await h.run(keys.update(keyId, props, described));
    expect(updated).toMatchObject({ status: 'SUCCESS', physicalResourceId: keyId, data: { KeyId: keyId, KeyState: 'Disabled' } });
    expect(updated.followUp).toBeUndefined();
    expect(await metaOf(keyId)).toMatchObject({ Description: 'Renamed key', Enabled: false });
    expect(await tagsOf(keyId)).toEqual([{ TagKey: 'team', TagValue: 'risk' }]);

    // CustomKeyStoreId is create-only: a new key in the other store, then CloudFormation deletes the old key (scheduled).
    await h.sim.control.putInstance({ id: 'i-0aaaabbbbccccdddd', clusterId: S.unrelatedClusterId, hasCloudHsmCli: true });
    const otherDriver = h.driver.resource('OtherKeyStore', 'Custom::KMS::CloudHsmKeyStore');
    const otherProps = {
        ...storeProps,
        KeyStoreName: 'Other',
        CloudHsmClusterId: S.unrelatedClusterId,
        CloudHsmCustCaCertSecretName: S.unrelatedCaSecretName,
        ClientInstanceId: 'i-0aaaabbbbccccdddd',
    };
    const otherId = await store(otherDriver, otherProps);
    const moved = { ...described, CustomKeyStoreId: otherId };
    const replaced = await h.run(keys.update(keyId, described, moved));
    expect(replaced.status).toBe('SUCCESS');
    const newKeyId = replaced.physicalResourceId as string;
    expect(newKeyId).toMatch(KEY_ID);
    expect(newKeyId).not.toBe(keyId);
    expect(await metaOf(newKeyId)).toMatchObject({ CustomKeyStoreId: otherId, Description: 'Renamed key', Enabled: false });
    expect(replaced.followUp).toMatchObject({ requestType: 'Delete', status: 'SUCCESS', physicalResourceId: keyId });
    expect(replaced.followUp?.reason).toContain(`KMS key ${keyId} is scheduled for deletion`);
    expect(await metaOf(keyId)).toMatchObject({ KeyState: 'PendingDeletion', PendingDeletionWindowInDays: 7 });

    // Stack deletion: the key first (scheduled), then the stores, which still hold keys pending deletion and are kept.
    const keyDeleted = await h.run(keys.delete(newKeyId, moved));
    expect(keyDeleted).toMatchObject({ status: 'SUCCESS', physicalResourceId: newKeyId });
    expect(keyDeleted.reason).toContain('(PendingWindowInDays 7)');
    expect(await metaOf(newKeyId)).toMatchObject({ KeyState: 'PendingDeletion', PendingDeletionWindowInDays: 7 });
    const again = await h.run(keys.delete(newKeyId, moved));
    expect(again).toMatchObject({
        status: 'SUCCESS',
        physicalResourceId: newKeyId,
        reason: `KMS key ${newKeyId} no longer exists or is already pending deletion; nothing to delete.`,
    });
    for (const [driver, id, p] of [
        [otherDriver, otherId, otherProps],
        [h.driver, storeId, storeProps],
    ] as const) {
        const d = await h.run(driver.delete(id, p));
        expect(d).toMatchObject({ status: 'SUCCESS', physicalResourceId: id });
        expect(d.reason).toMatch(
            new RegExp(`Key store ${id} holds 1 KMS key\\(s\\), so it was left as it is.*All of them are pending deletion, the last until \\d{4}-`),
        );
        expect(d.reason).toContain(`aws kms delete-custom-key-store --custom-key-store-id ${id}`);
    }
    const state = await h.sim.control.state();
    expect(state.stores.map((s) => s.connectionState)).toEqual(['CONNECTED', 'CONNECTED']);
    expect(state.keys.map((k) => k.keyState)).toEqual(['PendingDeletion', 'PendingDeletion']);
});

test('a key create into a DISCONNECTED key store answers FAILED with the remedy and makes nothing; its Delete succeeds at once', async () => {
    const storeId = await store();
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await waitUntil(h, async () => (await h.sim.control.state()).stores[0].connectionState === 'DISCONNECTED');
    const r = await h.run(keys.create(defaultKeyProperties(storeId)));
    expect(r.status).toBe('FAILED');
    expect(r.reason).toBe(
        `Key store ${storeId} is DISCONNECTED; KMS creates keys only in a CONNECTED key store. Connect it (aws kms connect-custom-key-store --custom-key-store-id ${storeId}) and wait until it is CONNECTED, then retry.`,
    );
    expect(r.physicalResourceId).toMatch(/^Key-CreateFailed-[0-9a-f]{16}$/);
    expect(r.followUp).toMatchObject({
        requestType: 'Delete',
        status: 'SUCCESS',
        physicalResourceId: r.physicalResourceId,
        reason: 'No KMS key was created for this resource; nothing to delete.',
    });
    expect(r.followUp?.invocations).toHaveLength(1);
    const state = await h.sim.control.state();
    expect(state.keys).toEqual([]);
    expect(state.requests.filter((q) => q.operation === 'CreateKey')).toEqual([]);
});

test("key properties are checked against the key schema before any KMS call, with CloudFormation's messages", async () => {
    const r = await h.run(
        keys.create({ CustomKeyStoreId: 'cks-0123456789abcdef0', PendingWindowInDays: 3, EnableKeyRotation: true, Tags: [{ Key: 'team' }], KeyId: 'x' }),
    );
    expect(r.status).toBe('FAILED');
    expect(r.reason).toBe(
        'Properties validation failed for resource Key with message: [#/PendingWindowInDays: failed validation constraint for keyword [minimum], ' +
            '#/EnableKeyRotation: failed validation constraint for keyword [enum], #/Tags/0: required key [Value] not found, ' +
            '#/KeyId: is read-only and cannot be set in a template (CloudFormation sets it)]',
    );
    expect(r.followUp?.status).toBe('SUCCESS');
    expect((await h.sim.control.state()).requests.filter((q) => q.service === 'kms')).toEqual([]);
});
