/**
 * End to end for Custom::KMS::CloudHsmKey: the real key handler through `entrypoint`, real SDK v3 clients, the
 * simulator, and a key store made by the real key store handler. The driver checks the handler contract on
 * every response, on each request path CloudFormation uses.
 */
import { DescribeKeyCommand, DisconnectCustomKeyStoreCommand, GetKeyPolicyCommand, KMSClient, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { REQUEST_PATHS } from '../../local/driver';
import { defaultKeyProperties, defaultProperties } from '../../local/harness';
import { directKms, E2E, S, useE2E } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
let kms: KMSClient;
beforeEach(() => {
    h = e2e();
    kms = directKms(h);
});

async function connectedStore(): Promise<string> {
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.status).toBe('SUCCESS');
    return r.model?.CustomKeyStoreId as string;
}

const policyOf = async (keyId: string) => JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy as string);
const tagsOf = async (keyId: string) => (await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags;
const metaOf = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;

test.each(REQUEST_PATHS)('the key lifecycle on the %s request path: create, read, update, list, delete, NotFound after', async (path) => {
    const storeId = await connectedStore();
    const driver = h.keyDriver.withPath(path);
    const props = defaultKeyProperties(storeId, { PendingWindowInDays: 7 });
    const created = await h.run(driver.create(props));
    expect(created.status).toBe('SUCCESS');
    const keyId = created.model?.KeyId as string;
    expect(created.model).toMatchObject({ CustomKeyStoreId: storeId, KeyState: 'Enabled', Enabled: true, Description: props.Description, Tags: props.Tags });
    expect(created.model?.Arn).toBe(`arn:aws:kms:${S.region}:${S.accountId}:key/${keyId}`);
    expect(created.events[0].response.status).toBe('IN_PROGRESS'); // the id goes back right after CreateKey
    expect(await metaOf(keyId)).toMatchObject({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
    expect((await policyOf(keyId)).Statement[0]).toMatchObject({ Principal: { AWS: `arn:aws:iam::${S.accountId}:root` }, Action: 'kms:*' });

    const read = await h.run(driver.read(created.model!));
    expect(read.model).toEqual(created.model);

    const policy = {
        Version: '2012-10-17',
        Statement: [{ Sid: 'Admins', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${S.accountId}:role/Admin` }, Action: 'kms:*', Resource: '*' }],
    };
    const updatedProps = {
        ...props,
        Description: 'renamed',
        Enabled: false,
        KeyPolicy: policy,
        Tags: [
            { Key: 'team', Value: 'risk' },
            { Key: 'env', Value: 'prod' },
        ],
    };
    const updated = await h.run(
        driver.update(
            created.model!,
            path === 'cloudcontrol' ? { Description: 'renamed', Enabled: false, KeyPolicy: policy, Tags: updatedProps.Tags } : updatedProps,
        ),
    );
    expect(updated.status).toBe('SUCCESS');
    expect(updated.model).toMatchObject({ KeyId: keyId, Description: 'renamed', Enabled: false, KeyState: 'Disabled', KeyPolicy: policy });
    expect(await metaOf(keyId)).toMatchObject({ Description: 'renamed', Enabled: false });
    expect(await policyOf(keyId)).toEqual(policy);
    expect(await tagsOf(keyId)).toEqual(
        expect.arrayContaining([
            { TagKey: 'team', TagValue: 'risk' },
            { TagKey: 'env', TagValue: 'prod' },
        ]),
    );
    expect(await tagsOf(keyId)).toHaveLength(2);

    const listed = await h.run(driver.list());
    expect(listed.models?.map((m) => m.KeyId)).toContain(keyId);

    const deleted = await h.run(driver.delete(updated.model!));
    expect(deleted.status).toBe('SUCCESS');
    const meta = await metaOf(keyId);
    expect(meta?.KeyState).toBe('PendingDeletion');
    // the stack's PendingWindowInDays reaches KMS; the other paths never carry it (as AWS::KMS::Key: 30)
    expect(meta?.PendingDeletionWindowInDays).toBe(path === 'stack' ? 7 : 30);
    expect(deleted.message).toContain(`aws kms cancel-key-deletion --key-id ${keyId}`);

    expect((await h.run(driver.read(updated.model!))).errorCode).toBe('NotFound');
    expect((await h.run(driver.delete(updated.model!))).errorCode).toBe('NotFound');
    const after = await h.run(driver.list());
    expect(after.models?.map((m) => m.KeyId)).not.toContain(keyId);
});

test('LIST pages through ListKeys (nextToken = Marker) and returns only keys of CloudHSM key stores, none pending deletion', async () => {
    const storeId = await connectedStore();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await h.sim.control.putKey({ customKeyStoreId: storeId })).keyId);
    for (let i = 0; i < 120; i++) await h.sim.control.putKey({});
    await h.sim.control.putKey({ customKeyStoreId: storeId, pendingDeletion: true });
    made.push((await h.sim.control.putKey({ customKeyStoreId: storeId })).keyId);
    const listed = await h.run(h.keyDriver.list());
    expect(listed.status).toBe('SUCCESS');
    expect(listed.events.length).toBe(2);
    expect(listed.models?.map((m) => m.KeyId).sort()).toEqual([...made].sort());
    const describes = (await h.sim.control.state()).requests.filter((r) => r.operation === 'DescribeKey').length;
    expect(describes).toBe(125);
});

test('a key whose key store is disconnected reads as Unavailable, and can still be updated', async () => {
    const storeId = await connectedStore();
    const created = await h.run(h.keyDriver.create(defaultKeyProperties(storeId)));
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    for (let i = 0; i < 400 && (await h.sim.control.state()).stores[0].connectionState !== 'DISCONNECTED'; i++) await new Promise((r) => setTimeout(r, 25));
    const read = await h.run(h.keyDriver.read(created.model!));
    expect(read.model?.KeyState).toBe('Unavailable');
    const updated = await h.run(h.keyDriver.update(created.model!, defaultKeyProperties(storeId, { Description: 'changed while disconnected' })));
    expect(updated.status).toBe('SUCCESS');
    expect(updated.model).toMatchObject({ Description: 'changed while disconnected', KeyState: 'Unavailable' });
});
