/** The provider's dispatch on ResourceType, and the key's properties as CloudFormation sends them (all scalars strings). */
import { OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { stringified } from '../../local/custom-resource-driver';
import { loadSchema, schemaPathIn } from '../../local/schema';
import { CfnRequest } from '../../src/custom-resource/event';
import { planOf } from '../../src/custom-resource/operation';
import { toOutcome } from '../../src/custom-resource/outcome';
import { keyStoreType, keyType, providerTypeOf } from '../../src/custom-resource/types';
import { ResourceModel as KeyModel } from '../../src/key/models';
import { join } from 'path';

const STORE = 'cks-0123456789abcdef0';
const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';
const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
};
const props = {
    CustomKeyStoreId: STORE,
    Description: 'd',
    Enabled: false,
    PendingWindowInDays: 7,
    KeyPolicy: policy,
    Tags: [
        { Key: 'team', Value: 'payments' },
        { Key: 'n', Value: 12 },
    ],
};
const sent = { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:p', ...stringified(props) };

function req(type: CfnRequest['RequestType'], extra: Partial<CfnRequest> = {}): CfnRequest {
    return {
        RequestType: type,
        ResponseURL: 'https://x/y?Signature=z',
        StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/s/1',
        RequestId: 'r-1',
        LogicalResourceId: 'Key',
        ResourceType: 'Custom::KMS::CloudHsmKey',
        ResourceProperties: sent,
        ...extra,
    };
}

test('ResourceType Custom::KMS::CloudHsmKey is the key; anything else stays the key store', () => {
    expect(providerTypeOf({ ResourceType: 'Custom::KMS::CloudHsmKey' })).toBe(keyType);
    for (const other of ['Custom::KMS::CloudHsmKeyStore', 'AWS::CloudFormation::CustomResource', 'Custom::Other', undefined])
        expect(providerTypeOf({ ResourceType: other })).toBe(keyStoreType);
});

test("strings become the key schema's booleans and integers, nested ones too; Tags and KeyPolicy reach the workflows as the registered handler gets them", () => {
    expect(sent).toMatchObject({
        Enabled: 'false',
        PendingWindowInDays: '7',
        Tags: [
            { Key: 'team', Value: 'payments' },
            { Key: 'n', Value: '12' },
        ],
    });
    const coerced = keyType.rules.coerce(sent);
    expect(keyType.rules.validate(coerced)).toEqual([]);
    expect(keyType.toProps(coerced)).toEqual({
        customKeyStoreId: STORE,
        description: 'd',
        enabled: false,
        pendingWindowInDays: 7,
        keyPolicy: policy,
        tags: [
            { key: 'team', value: 'payments' },
            { key: 'n', value: '12' },
        ],
    });
    // The same props the registered handler builds from its request's model.
    expect(keyType.toProps(coerced)).toEqual(keyType.definition.propsOf(KeyModel.deserialize(props)));
    expect(keyType.toProps(keyType.rules.coerce({ CustomKeyStoreId: STORE, KeyPolicy: JSON.stringify(policy) })).keyPolicy).toBe(JSON.stringify(policy));
    // A Delete's properties are not validated: what the model refuses is left out, the rest still arrives.
    expect(keyType.toProps({ CustomKeyStoreId: STORE, Enabled: 'yes', PendingWindowInDays: 7 })).toEqual({ customKeyStoreId: STORE, pendingWindowInDays: 7 });
});

test("the key's validation accepts and rejects exactly what the key schema (checked by ajv) does", () => {
    const schema = loadSchema(schemaPathIn(join(__dirname, '../../key')));
    const valid = keyType.rules.coerce(sent);
    const cases: Array<Record<string, unknown>> = [
        valid,
        { CustomKeyStoreId: STORE },
        { Description: 'no store' },
        { CustomKeyStoreId: 'cks-1' },
        { ...valid, KeyPolicy: 'text' },
        { ...valid, KeyPolicy: 12 },
        { ...valid, PendingWindowInDays: 6 },
        { ...valid, PendingWindowInDays: 31 },
        { ...valid, PendingWindowInDays: '7' },
        { ...valid, Enabled: 'false' },
        { ...valid, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', EnableKeyRotation: false, MultiRegion: false },
        { ...valid, KeySpec: 'RSA_2048' },
        { ...valid, EnableKeyRotation: true },
        { ...valid, MultiRegion: true },
        {
            ...valid,
            Tags: [
                { Key: 'a', Value: 'b' },
                { Key: 'a', Value: 'b' },
            ],
        },
        { ...valid, Tags: [{ Key: '', Value: 'b' }] },
        { ...valid, Tags: [{ Key: 'a' }] },
        { ...valid, Tags: [{ Key: 'a', Value: 'b', Extra: 'c' }] },
        { ...valid, Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) },
        { ...valid, Tags: 'team=payments' },
        { ...valid, Description: 'x'.repeat(8193) },
        { ...valid, KeyId: KEY },
        { ...valid, Arn: 'arn' },
        { ...valid, Origin: 'AWS_CLOUDHSM' },
    ];
    for (const c of cases)
        expect([JSON.stringify(c).slice(0, 200), keyType.rules.validate(c).length > 0]).toEqual([
            JSON.stringify(c).slice(0, 200),
            schema.validateDesired(c).length > 0,
        ]);
    expect(
        keyType.rules.validate({
            ...valid,
            KeyPolicy: 12,
            Tags: [
                { Key: 'a', Value: 'b' },
                { Key: 'a', Value: 'b' },
            ],
        }),
    ).toEqual(['#/KeyPolicy: expected type: one of [JSONObject, String], found: Integer', '#/Tags: array items are not unique']);
});

describe('planOf for a key', () => {
    test('a Delete whose physical id is not a key id (a failed Create) succeeds at once; a key id runs the key delete', () => {
        expect(planOf(req('Delete', { PhysicalResourceId: 'Key-CreateFailed-0123' }))).toEqual({
            kind: 'respond',
            outcome: { status: 'SUCCESS', physicalResourceId: 'Key-CreateFailed-0123', reason: 'No KMS key was created for this resource; nothing to delete.' },
        });
        expect(planOf(req('Delete', { PhysicalResourceId: STORE }))).toMatchObject({ kind: 'respond', outcome: { status: 'SUCCESS' } });
        expect(planOf(req('Delete', { PhysicalResourceId: KEY }))).toEqual({ kind: 'run', workflow: 'delete' });
    });
    test('an Update changes the key in place, or replaces it when CustomKeyStoreId changed', () => {
        const old = stringified({ ...props, Description: 'before' });
        expect(planOf(req('Update', { PhysicalResourceId: KEY, OldResourceProperties: old }))).toEqual({ kind: 'run', workflow: 'update' });
        const moved = planOf(req('Update', { PhysicalResourceId: KEY, OldResourceProperties: { ...old, CustomKeyStoreId: 'cks-99999999999999999' } }));
        expect(moved).toEqual({ kind: 'run', workflow: 'create', note: `CustomKeyStoreId changed: replacing KMS key ${KEY} with a new one.` });
        expect(planOf(req('Update', { PhysicalResourceId: STORE, OldResourceProperties: old }))).toEqual({
            kind: 'respond',
            outcome: { status: 'FAILED', physicalResourceId: STORE, reason: `${STORE} is not a KMS key id; this resource has no KMS key to update.` },
        });
    });
    test("the key schema, not the store's, judges a key's properties", () => {
        expect(planOf(req('Create'))).toEqual({ kind: 'run', workflow: 'create' });
        const storeProps = {
            CloudHsmClusterId: 'cluster-234567abcdefg',
            CloudHsmCustCaCertSecretName: 'ca',
            CloudHsmAdminPasswordSecretName: 'a',
            ClientInstanceId: 'i-0123456789abcdef0',
        };
        const r = planOf(req('Create', { ResourceProperties: storeProps }));
        expect(r).toMatchObject({
            kind: 'respond',
            outcome: { status: 'FAILED', reason: expect.stringContaining('#: required key [CustomKeyStoreId] not found') },
        });
        expect(planOf(req('Create', { ResourceType: 'Custom::KMS::CloudHsmKeyStore', ResourceProperties: storeProps }))).toEqual({
            kind: 'run',
            workflow: 'create',
        });
    });
});

describe('toOutcome for a key', () => {
    const model = new KeyModel({
        keyId: KEY,
        arn: `arn:aws:kms:us-east-1:111122223333:key/${KEY}`,
        keyState: 'Enabled',
        customKeyStoreId: STORE,
        description: 'd',
    });
    const success = ProgressEvent.builder<ProgressEvent<KeyModel>>().status(OperationStatus.Success).resourceModel(model).build();
    test('the physical id is the KeyId; Data is what Fn::GetAtt reads', () => {
        expect(toOutcome(success, { request: req('Create'), workflow: 'create', type: keyType })).toEqual({
            status: 'SUCCESS',
            physicalResourceId: KEY,
            data: { KeyId: KEY, Arn: `arn:aws:kms:us-east-1:111122223333:key/${KEY}`, KeyState: 'Enabled' },
        });
    });
    test('a key already pending deletion or gone deletes successfully; a failed replacement keeps the old key and names the new one', () => {
        const notFound = ProgressEvent.failed<ProgressEvent<KeyModel>>('NotFound' as never, 'gone');
        expect(toOutcome(notFound, { request: req('Delete', { PhysicalResourceId: KEY }), workflow: 'delete', type: keyType })).toEqual({
            status: 'SUCCESS',
            physicalResourceId: KEY,
            reason: `KMS key ${KEY} no longer exists or is already pending deletion; nothing to delete.`,
        });
        const failed = ProgressEvent.failed<ProgressEvent<KeyModel>>('ResourceConflict' as never, 'The store is FAILED.');
        const other = 'abcdef12-12ab-34cd-56ef-1234567890ab';
        expect(toOutcome(failed, { request: req('Update', { PhysicalResourceId: KEY }), workflow: 'create', leftId: other, type: keyType })).toEqual({
            status: 'FAILED',
            physicalResourceId: KEY,
            reason: `The store is FAILED. KMS key ${KEY} was kept. KMS key ${other}, made for the replacement, could not be removed; schedule its deletion by hand (aws kms schedule-key-deletion --key-id ${other}).`,
        });
    });
});
