/**
 * A lost first response: the create that made the store dies before CloudFormation hears of it, and the
 * resource is created again with a new request token. The store is resumed only when this type's record
 * proves the same resource (stack + logical id) made it; otherwise the message says what to do.
 */
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { decodeRecord, recordName } from '../../src/keystore/record';
import type { RequestInfo } from '../../src/keystore/types';
import { FakeAws } from '../fakes/aws';
import { checkEveryDrive } from '../fakes/checks';
import { createOp, sideEffects } from '../fakes/ops';
import { CLUSTER, desiredProps, standardWorld } from '../fakes/world';

checkEveryDrive();

const STACK = 'arn:aws:cloudformation:us-east-1:111122223333:stack/payments/0a1b2c3d-4e5f-4789-abcd-ef0123456789';
const OTHER_STACK = 'arn:aws:cloudformation:us-east-1:111122223333:stack/other/1a1b2c3d-4e5f-4789-abcd-ef0123456789';
const FIRST: Partial<RequestInfo> = { clientRequestToken: 'aaaaaaaa-1111-4111-8111-111111111111', logicalResourceId: 'PaymentsKeyStore', stackId: STACK };
const RETRY: Partial<RequestInfo> = { ...FIRST, clientRequestToken: 'bbbbbbbb-2222-4222-8222-222222222222' };

/**
 * The first attempt runs `invocations` invocations and its answers are lost. With 2, kmsuser is made and
 * recorded and the connect is throttled, so the store stays DISCONNECTED.
 */
async function lostFirstAttempt(aws: FakeAws, invocations: 1 | 2, props = desiredProps()) {
    if (invocations === 2) aws.inject('kms.connect', 'ThrottlingException');
    // 2: the kmsuser step too, which takes two invocations (the command is sent, its id kept; then its result)
    const r = await createOp(aws, props, { request: FIRST, maxInvocations: invocations === 2 ? 3 : 1 });
    expect(r.status).toBe('CAPPED'); // still IN_PROGRESS: CloudFormation never heard back
    aws.drives.pop(); // deliberately unfinished: not for the after-each contract check
    const [store] = aws.kms.all();
    expect(store.state).toBe('DISCONNECTED');
    return store;
}

const recordOf = (aws: FakeAws, id: string) => decodeRecord(aws.ssm.parameters.get(recordName(id)));

describe('create again after a lost first response', () => {
    test.each([
        ['explicit KeyStoreName', desiredProps()],
        ['generated KeyStoreName', (({ keyStoreName: _n, ...rest }) => rest)(desiredProps())],
    ])('the store made (kmsuser not yet) is resumed when the record proves this resource made it (%s)', async (_name, props) => {
        const aws = standardWorld();
        const store = await lostFirstAttempt(aws, 1, props);
        expect(recordOf(aws, store.id)).toMatchObject({ stackId: STACK, logicalResourceId: 'PaymentsKeyStore' });
        const r = await createOp(aws, props, { request: RETRY });
        expect(r.status).toBe('SUCCESS');
        expect(r.model?.customKeyStoreId).toBe(store.id);
        expect(r.final.message).toContain(`Resumed key store ${store.id}`);
        expect(aws.kms.all()).toHaveLength(1);
        expect(aws.kms.all()[0].state).toBe('CONNECTED');
        expect(aws.ssm.actionsSent()).toEqual(['create']);
        // KMS was told the retry's password (the store is DISCONNECTED, so it may be), and no second store was made
        expect(sideEffects(r.calls).filter((c) => c.startsWith('kms.'))).toEqual(['kms.update:password', 'kms.connect']);
        // neither attempt's bootstrap secret is left
        expect(aws.secrets.leftover()).toEqual([]);
        expect(recordOf(aws, store.id)).toMatchObject({ kmsUser: 'CREATED', stackId: STACK });
    });

    test('kmsuser the first attempt created (its record says CREATED) is reset, not refused as KMSUSER_EXISTS', async () => {
        const aws = standardWorld();
        const store = await lostFirstAttempt(aws, 2);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(true);
        expect(recordOf(aws, store.id)?.kmsUser).toBe('CREATED');
        const r = await createOp(aws, desiredProps(), { request: RETRY });
        expect(r.status).toBe('SUCCESS');
        expect(aws.ssm.actionsSent()).toEqual(['create', 'reset']); // the lost attempt's create, the retry's reset
        expect(aws.kms.all()).toHaveLength(1);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUserPassword).toBe(aws.kms.all()[0].password);
        expect(recordOf(aws, store.id)?.kmsUser).toBe('CREATED'); // still removed with the store
        expect(aws.secrets.leftover()).toEqual([]);
    });

    test('a resumed create that fails afterwards rolls back the store and the kmsuser the first attempt made', async () => {
        const aws = standardWorld();
        const store = await lostFirstAttempt(aws, 2);
        aws.kms.connectOutcomes = ['NETWORK_ERRORS'];
        const r = await createOp(aws, desiredProps(), { request: RETRY });
        expect(r.status).toBe('FAILED');
        expect(r.final.message).toContain(`Rolled back: key store ${store.id} was deleted.`);
        expect(aws.kms.all()).toEqual([]);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(false);
        expect(aws.ssm.parameters.has(recordName(store.id))).toBe(false);
        expect(aws.secrets.leftover()).toEqual([]);
    });

    test.each([
        ['another stack', { ...RETRY, stackId: OTHER_STACK }],
        ['another logical id in the same stack', { ...RETRY, logicalResourceId: 'OtherKeyStore' }],
        ['a request with no stack (Cloud Control, cfn test)', { ...RETRY, stackId: undefined }],
    ])('%s: never adopted; AlreadyExists names the store, its state, no keys and the two ways out; nothing made', async (_who, request) => {
        const aws = standardWorld();
        const store = await lostFirstAttempt(aws, 2);
        const before = aws.log.length;
        const r = await createOp(aws, desiredProps({ keyStoreName: 'another-name' }), { request });
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.AlreadyExists);
        const m = r.final.message;
        expect(m).toContain(`custom key store ${store.id} (named payments-keystore), which is DISCONNECTED and holds no KMS keys`);
        expect(m).toContain(`aws kms delete-custom-key-store --custom-key-store-id ${store.id} --region us-east-1`);
        expect(m).toContain(`import it into the stack as this resource by its CustomKeyStoreId ${store.id}`);
        expect(m).toContain(`stack ${STACK} made it for its resource PaymentsKeyStore`);
        expect(
            aws.log.calls
                .slice(before)
                .filter(
                    (c) =>
                        c.op !== 'ssm.sendShellScript' &&
                        ['kms.', 'secrets.create', 'ssm.put', 'ssm.delete'].some((p) => c.op.startsWith(p)) &&
                        !/describe|list|keyStoreOf/i.test(c.op),
                ),
        ).toEqual([]);
        expect(aws.kms.all()).toEqual([store]);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(true);
    });

    test('a leftover that holds a KMS key is not adopted, and the message does not advise deleting it', async () => {
        const aws = standardWorld();
        const store = await lostFirstAttempt(aws, 1);
        aws.kms.addKeys(store.id, 1);
        const r = await createOp(aws, desiredProps(), { request: RETRY });
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.AlreadyExists);
        expect(r.final.message).toContain('holds 1 KMS key(s)');
        expect(r.final.message).not.toContain('delete-custom-key-store');
        expect(aws.kms.all()).toHaveLength(1);
    });
});
