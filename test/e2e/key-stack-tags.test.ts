/**
 * End to end: Custom::KMS::CloudHsmKey is taggable (tagOnCreate, tagUpdatable), so it applies the tags CloudFormation
 * passes for the stack (requestData.stackTags) along with the template's Tags, and follows a stack update that
 * changes only the stack's tags. The driver plays a stack with tags on the `stack` request path.
 */
import { KMSClient, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { defaultKeyProperties, defaultProperties } from '../../local/harness';
import { directKms, E2E, useE2E } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
let kms: KMSClient;
beforeEach(() => {
    h = e2e();
    kms = directKms(h);
});
afterEach(() => h.driver.setStackTags({}));

const tagsOf = async (keyId: string) =>
    ((await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? []).map((t) => `${t.TagKey}=${t.TagValue}`).sort();

test("a key carries the stack's tags with its own, follows a change of the stack's tags, and its model shows the template's Tags", async () => {
    h.driver.setStackTags({ 'cost-center': '1234', team: 'platform' });
    const store = await h.run(h.driver.create(defaultProperties()));
    expect(store.status).toBe('SUCCESS');
    const props = defaultKeyProperties(store.model?.CustomKeyStoreId as string); // Tags: team=payments
    const created = await h.run(h.keyDriver.create(props));
    expect(created.status).toBe('SUCCESS');
    const keyId = created.model?.KeyId as string;
    // the template's tag wins where both name a key
    expect(await tagsOf(keyId)).toEqual(['cost-center=1234', 'team=payments']);
    expect(created.model?.Tags).toEqual(props.Tags);
    expect((await h.run(h.keyDriver.read(created.model!))).model?.Tags).toEqual(props.Tags);

    // A stack update that changes only the stack's tags: one changed, one added, one the template now names alone.
    h.driver.setStackTags({ 'cost-center': '5678', owner: 'risk' });
    const updated = await h.run(h.keyDriver.update(created.model!, props));
    expect(updated.status).toBe('SUCCESS');
    expect(updated.events[0].request.requestData.previousStackTags).toEqual({ 'cost-center': '1234', team: 'platform' });
    expect(await tagsOf(keyId)).toEqual(['cost-center=5678', 'owner=risk', 'team=payments']);
    expect(updated.model?.Tags).toEqual(props.Tags);

    // Cloud Control, which knows no stack, reads every tag the key has.
    const cc = await h.run(h.keyDriver.withPath('cloudcontrol').read({ KeyId: keyId }));
    expect(cc.model?.Tags).toEqual(
        expect.arrayContaining([{ Key: 'cost-center', Value: '5678' }, { Key: 'owner', Value: 'risk' }, ...(props.Tags as object[])]),
    );

    // The stack's tags removed: the key keeps the template's alone.
    h.driver.setStackTags({});
    expect((await h.run(h.keyDriver.update(created.model!, props))).status).toBe('SUCCESS');
    expect(await tagsOf(keyId)).toEqual(['team=payments']);
    expect((await h.run(h.keyDriver.delete(created.model!))).status).toBe('SUCCESS');
});

test("a key whose template has no Tags carries the stack's tags, and its model shows none", async () => {
    h.driver.setStackTags({ 'cost-center': '1234' });
    const store = await h.run(h.driver.create(defaultProperties()));
    const { Tags: _none, ...props } = defaultKeyProperties(store.model?.CustomKeyStoreId as string);
    const created = await h.run(h.keyDriver.create(props));
    expect(created.status).toBe('SUCCESS');
    expect(await tagsOf(created.model?.KeyId as string)).toEqual(['cost-center=1234']);
    expect(created.model?.Tags ?? []).toEqual([]);
});
