/**
 * The lifecycle on each of the three request paths CloudFormation has (DESIGN section 9): a stack operation
 * (template properties), Cloud Control API (identifier only for READ and DELETE, read model plus a patch
 * for UPDATE) and `cfn test` (the created model for READ and DELETE). Write-only values the handler needs
 * come from the key store's record when the request lacks them.
 */
import { defaultProperties } from '../../local/harness';
import { REQUEST_PATHS, RequestPath } from '../../local/driver';
import { recordName } from '../../src/keystore/record';
import { E2E, kmsuserOn, leaks, liveBootstrapSecrets, requestsOf, S, useE2E } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

async function expectNothingLeft(): Promise<void> {
    const state = await h.sim.control.state();
    expect(state.stores).toEqual([]);
    expect(state.parameters).toEqual({});
    expect(kmsuserOn(state, S.clusterId)).toBeUndefined();
    expect(kmsuserOn(state, S.relatedClusterId)).toBeUndefined();
    expect(liveBootstrapSecrets(state)).toEqual([]);
}

describe.each(REQUEST_PATHS)('on the %s path', (path: RequestPath) => {
    test('create, read, rename, move to a related cluster, list, delete, then NotFound; nothing left', async () => {
        const driver = h.driver.withPath(path);
        const props = defaultProperties();
        const created = await h.run(driver.create(props));
        expect(created.status).toBe('SUCCESS');
        const id = created.model!.CustomKeyStoreId as string;
        expect(JSON.parse((await h.sim.control.state()).parameters[recordName(id)])).toMatchObject({ ClientInstanceId: S.instanceId, KmsUser: 'CREATED' });

        const read = await h.run(driver.read(created.model!));
        expect(read.status).toBe('SUCCESS');
        expect(read.events[0].request.requestData.resourceProperties).toEqual(
            path === 'cloudcontrol'
                ? { CustomKeyStoreId: id }
                : path === 'cfntest'
                  ? created.model
                  : expect.objectContaining({ ClientInstanceId: S.instanceId }),
        );

        const renameInput = path === 'cloudcontrol' ? { KeyStoreName: 'Renamed' } : defaultProperties({ KeyStoreName: 'Renamed' });
        const renamed = await h.run(driver.update(created.model!, renameInput));
        expect(renamed.status).toBe('SUCCESS');
        expect(renamed.model).toMatchObject({ CustomKeyStoreId: id, KeyStoreName: 'Renamed', ConnectionState: 'CONNECTED' });

        // A cluster restored from a backup of the first has its users, kmsuser with KMS's password included.
        const before = await h.sim.control.state();
        await h.sim.control.putUser(S.relatedClusterId, { ...kmsuserOn(before, S.clusterId)!, loggedIn: false });
        const moveInput =
            path === 'cloudcontrol'
                ? { CloudHsmClusterId: S.relatedClusterId }
                : defaultProperties({ KeyStoreName: 'Renamed', CloudHsmClusterId: S.relatedClusterId, ClientInstanceId: S.relatedInstanceId });
        let moved = await h.run(driver.update(renamed.model!, moveInput));
        expect(moved.status).toBe('SUCCESS');
        expect(moved.model).toMatchObject({ CloudHsmClusterId: S.relatedClusterId, ConnectionState: 'CONNECTED' });
        const movedRequest = moved.events[0].request.requestData.resourceProperties;
        if (path === 'cloudcontrol') {
            expect(movedRequest).not.toHaveProperty('ClientInstanceId'); // so the checks used the record's instance
            // then a patch of a write-only value only: no change in KMS, the record takes the new instance
            moved = await h.run(driver.update(moved.model!, { ClientInstanceId: S.relatedInstanceId }));
            expect(moved.status).toBe('SUCCESS');
        }
        expect(JSON.parse((await h.sim.control.state()).parameters[recordName(id)])).toMatchObject({ ClientInstanceId: S.relatedInstanceId });

        const listed = await h.run(driver.list());
        expect(listed.models?.map((m) => m.CustomKeyStoreId)).toContain(id);

        // the cluster's kmsuser goes with the store; the first cluster's copy is removed by hand here
        await h.sim.control.deleteUser(S.clusterId, 'kmsuser');
        const deleted = await h.run(driver.delete(moved.model!));
        expect(deleted.status).toBe('SUCCESS');
        expect(deleted.message).toContain('kmsuser was removed from the cluster.');
        if (path !== 'stack') expect(deleted.events[0].request.requestData.resourceProperties).not.toHaveProperty('ClientInstanceId');
        await expectNothingLeft();

        expect((await h.run(driver.read(moved.model!))).errorCode).toBe('NotFound');
        expect((await h.run(driver.delete(moved.model!))).errorCode).toBe('NotFound');
        const again = await h.run(driver.list());
        expect(again.models?.map((m) => m.CustomKeyStoreId)).not.toContain(id);
    });
});

test('cfn test sequence on its own path: passes, and a second run passes too (nothing left in its way)', async () => {
    const driver = h.driver.withPath('cfntest');
    for (let run = 1; run <= 2; run++) {
        const report = await driver.contractSequence(defaultProperties(), defaultProperties({ KeyStoreName: 'ExampleKeyStoreRenamed' }));
        for (const s of report.steps) if (s.result) h.results.push(s.result);
        expect(report.steps.filter((s) => !s.passed).map((s) => `${run} ${s.step}: ${s.reason}`)).toEqual([]);
        await expectNothingLeft();
    }
});

test('update and delete without the identifier: FAILED NotFound at once, nothing called that changes anything', async () => {
    const props = defaultProperties();
    for (const action of ['UPDATE', 'DELETE'] as const) {
        const raw = await h.entrypoint(
            {
                action,
                awsAccountId: S.accountId,
                bearerToken: `token-${action}`,
                region: S.region,
                resourceType: h.schema.typeName,
                callbackContext: null,
                requestData: {
                    callerCredentials: { accessKeyId: 'A', secretAccessKey: 'B', sessionToken: 'C' },
                    resourceProperties: props,
                    logicalResourceId: 'X',
                },
            },
            {},
        );
        expect(raw).toMatchObject({ status: 'FAILED', errorCode: 'NotFound' });
        expect(raw.message).toContain('carries no CustomKeyStoreId');
    }
    const state = await h.sim.control.state();
    const writes = state.requests.filter((r) => !/^(Describe|Get|List)/.test(r.operation));
    expect(writes).toEqual([]);
    expect(requestsOf(state, 'SendCommand')).toEqual([]);
});

test('the after-test secret scan reads Parameter Store too: a secret in a parameter is found', async () => {
    const { SSMClient, PutParameterCommand, DeleteParameterCommand } = await import('@aws-sdk/client-ssm');
    const ssm = new SSMClient({ region: S.region, endpoint: h.sim.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } });
    const name = '/custom-kms-cloudhsmkeystore/key-stores/cks-0123456789abcdef0';
    await ssm.send(new PutParameterCommand({ Name: name, Value: JSON.stringify({ Oops: S.adminPassword }), Type: 'String' }));
    expect(leaks(h, await h.sim.control.state())).toEqual([`parameter ${name} contains a secret (${S.adminPassword.slice(0, 3)}...)`]);
    await ssm.send(new DeleteParameterCommand({ Name: name }));
    ssm.destroy();
});
