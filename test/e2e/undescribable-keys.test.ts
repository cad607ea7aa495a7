/**
 * End to end: KMS keys the handler may list but not describe. DescribeKey is authorized by each key's own key policy
 * ("Required permissions: kms:DescribeKey (key policy)", KMS API reference), while ListKeys is authorized by IAM
 * alone; a key whose policy does not let the account's IAM principals in answers AccessDeniedException. The
 * simulator models it (local/sim/services/key-policy.ts). Such a key may be in any key store: a delete keeps the
 * store connected and names the keys and the permission, a create does not resume a leftover store they may be in,
 * and the key type's LIST skips them.
 */
import { Driver } from '../../local/driver';
import { buildHandlerRequest, defaultStackId, lambdaContext, newBearerToken } from '../../local/handler-request';
import { defaultKeyProperties, defaultProperties } from '../../local/harness';
import { E2E, leftovers, requestsOf, S, useE2E, liveBootstrapSecrets } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
/** A key administered from a central security account only: this account's IAM principals cannot describe it. */
const CENTRAL_ONLY = policy([
    { Sid: 'CentralKeyAdmins', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:*', Resource: '*' },
]);
/** The account may use the key, not read its metadata. */
const USE_ONLY = policy([
    { Sid: 'Use', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${S.accountId}:root` }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
]);

async function connectedStore(props = defaultProperties()): Promise<string> {
    const r = await h.run(h.driver.create(props));
    expect({ status: r.status, message: r.message }).toMatchObject({ status: 'SUCCESS' });
    return r.model?.CustomKeyStoreId as string;
}

test('a delete keeps the store connected when keys the handler may not describe could be in it, and names them and kms:DescribeKey', async () => {
    const props = defaultProperties();
    const id = await connectedStore(props);
    await h.sim.control.putKeys(3); // keys the handler can describe, in no key store
    const inStore = await h.sim.control.putKey({ customKeyStoreId: id, policy: CENTRAL_ONLY });
    const elsewhere = await h.sim.control.putKey({ policy: USE_ONLY });
    const before = (await h.sim.control.state()).requests.length;

    const r = await h.run(h.driver.delete({ ...props, CustomKeyStoreId: id }));
    expect(r.status).toBe('SUCCESS');
    expect(r.message).toContain(`Key store ${id} was left as it is, connected`);
    for (const keyId of [inStore.keyId, elsewhere.keyId]) expect(r.message).toContain(keyId);
    expect(r.message).toContain('kms:DescribeKey');
    expect(r.message).toContain('AccessDeniedException');
    expect(r.message).toContain(`aws kms delete-custom-key-store --custom-key-store-id ${id}`);
    const state = await h.sim.control.state();
    expect(state.stores).toMatchObject([{ id, connectionState: 'CONNECTED' }]);
    const during = state.requests.slice(before);
    expect(during.filter((q) => q.operation === 'DescribeKey' && q.errorType === 'AccessDeniedException')).toHaveLength(2);
    for (const op of ['DisconnectCustomKeyStore', 'DeleteCustomKeyStore', 'SendCommand', 'DeleteParameter'])
        expect(during.map((q) => q.operation)).not.toContain(op);
});

test('a delete that also finds keys in the store counts them and names the keys it could not check', async () => {
    const props = defaultProperties();
    const id = await connectedStore(props);
    await h.sim.control.putKey({ customKeyStoreId: id });
    const hidden = await h.sim.control.putKey({ policy: CENTRAL_ONLY });
    const r = await h.run(h.driver.delete({ ...props, CustomKeyStoreId: id }));
    expect(r.status).toBe('SUCCESS');
    expect(r.message).toMatch(/holds 1 KMS key/);
    expect(r.message).toContain(hidden.keyId);
    expect((await h.sim.control.state()).stores).toMatchObject([{ id, connectionState: 'CONNECTED' }]);
});

test("the key type's LIST skips keys it may not describe and lists the others", async () => {
    const storeId = await connectedStore();
    const created = await h.run(h.keyDriver.create(defaultKeyProperties(storeId)));
    expect(created.status).toBe('SUCCESS');
    const hidden = await h.sim.control.putKey({ customKeyStoreId: storeId, policy: CENTRAL_ONLY });
    const listed = await h.run(h.keyDriver.list());
    expect({ status: listed.status, message: listed.message }).toMatchObject({ status: 'SUCCESS' });
    const ids = listed.models?.map((m) => m.KeyId);
    expect(ids).toContain(created.model?.KeyId);
    expect(ids).not.toContain(hidden.keyId);
});

test('a create does not resume its own leftover store while keys it may not describe could be in it, and says what to check', async () => {
    const stack = defaultStackId(S.region, S.accountId, 'payments');
    // an earlier attempt of this resource made the store; its answer never reached CloudFormation
    const request = buildHandlerRequest({
        action: 'CREATE',
        bearerToken: newBearerToken(),
        resourceProperties: defaultProperties(),
        callbackContext: null,
        resourceType: h.schema.typeName,
        region: S.region,
        accountId: S.accountId,
        stackId: stack,
        logicalResourceId: 'KeyStore',
    });
    const lost = JSON.parse(JSON.stringify(await h.entrypoint(request, lambdaContext())));
    // what the lost attempt made and left with its store: the retry must not touch it
    const lostSecrets = liveBootstrapSecrets(await h.sim.control.state()).map((s) => s.name);
    expect(lost.status).toBe('IN_PROGRESS');
    const storeId = lost.resourceModel.CustomKeyStoreId as string;
    const hidden = await h.sim.control.putKey({ policy: USE_ONLY });
    const before = (await h.sim.control.state()).requests.length;

    const retry = new Driver({
        entrypoint: h.entrypoint,
        schema: h.schema,
        clock: h.clock,
        region: S.region,
        accountId: S.accountId,
        stackId: stack,
        logicalResourceId: 'KeyStore',
        log: () => undefined,
    });
    const r = await h.run(retry.create(defaultProperties()));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'AlreadyExists' });
    expect(r.message).toContain(`custom key store ${storeId}`);
    expect(r.message).toContain(hidden.keyId);
    expect(r.message).toContain('kms:DescribeKey');
    expect(r.message).toContain(`aws kms delete-custom-key-store --custom-key-store-id ${storeId}`);
    const state = await h.sim.control.state();
    // the retry made nothing and changed nothing
    expect(requestsOf({ ...state, requests: state.requests.slice(before) }, 'CreateCustomKeyStore')).toEqual([]);
    expect(requestsOf({ ...state, requests: state.requests.slice(before) }, 'UpdateCustomKeyStore')).toEqual([]);
    expect(leftovers(state, { keep: [storeId], keepSecrets: lostSecrets })).toEqual([]);
});
