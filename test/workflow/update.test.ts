import { recordName } from '../../src/keystore/record';
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { checkEveryDrive } from '../fakes/checks';
import { existingStore, sideEffects, stackModel, updateOp } from '../fakes/ops';
import { ADMIN_SECRET, CA_PEM, CLUSTER, INSTANCE, OTHER_CLUSTER, RELATED_CLUSTER, standardWorld, WRITE_ONLY } from '../fakes/world';

checkEveryDrive();

describe('update', () => {
    test('rename only: one UpdateCustomKeyStore with the new name, while connected, no disconnect', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, keyStoreName: 'payments-keystore-v2' }, previous);
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.update:name']);
        expect(aws.log.of('kms.update')[0].args).toEqual([store.id, { name: 'payments-keystore-v2' }]);
        expect(r.model).toEqual({
            customKeyStoreId: store.id,
            keyStoreName: 'payments-keystore-v2',
            cloudHsmClusterId: CLUSTER,
            desiredConnectionState: 'CONNECTED',
            connectionState: 'CONNECTED',
            trustAnchorCertificate: CA_PEM,
        });
        expect(r.invocations).toBe(1);
    });

    test('rename to a name another store has: AlreadyExists, store unchanged and still connected', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.addStore({ name: 'taken', clusterId: OTHER_CLUSTER });
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, keyStoreName: 'taken' }, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.AlreadyExists);
        expect(aws.kms.store(store.id)).toMatchObject({ name: 'payments-keystore', state: 'CONNECTED' });
    });

    test('cluster move: disconnect, wait, update the cluster, connect, wait', async () => {
        const aws = standardWorld();
        aws.kms.disconnectDescribes = 6;
        aws.kms.connectDescribes = 4;
        const store = existingStore(aws);
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, cloudHsmClusterId: RELATED_CLUSTER }, previous);
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.update:cluster', 'kms.connect']);
        // the update came only once DISCONNECTED (the fake refuses it otherwise), the waits took invocations
        expect(aws.log.of('kms.update')[0].threw).toBeUndefined();
        expect(r.logs).toEqual(expect.arrayContaining(['update/awaitDisconnected: wait', 'update/awaitConnected: wait']));
        expect(r.model).toMatchObject({ customKeyStoreId: store.id, cloudHsmClusterId: RELATED_CLUSTER, connectionState: 'CONNECTED' });
        expect(aws.ssm.commands).toEqual([]);
    });

    test('cluster move and rename together', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, keyStoreName: 'renamed', cloudHsmClusterId: RELATED_CLUSTER }, previous);
        expect(r.status).toBe('SUCCESS');
        const effects = sideEffects(r.calls);
        expect(effects.filter((e) => e !== 'kms.update:name')).toEqual(['kms.disconnect', 'kms.update:cluster', 'kms.connect']);
        expect(effects.filter((e) => e === 'kms.update:name' || e === 'kms.update:cluster+name')).toHaveLength(1);
        expect(r.model).toMatchObject({ keyStoreName: 'renamed', cloudHsmClusterId: RELATED_CLUSTER, connectionState: 'CONNECTED' });
    });

    test('move to a cluster that does not exist: InvalidRequest before anything changes', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, cloudHsmClusterId: 'cluster-nosuchclust2' }, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(r.final.message).toContain('CloudHsmClusterId cluster-nosuchclust2: no such CloudHSM cluster');
        expect(aws.log.mutating()).toEqual([]);
    });

    test('move to an unrelated cluster: KMS refuses; the stack rollback (update back) reconnects the store', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const previous = stackModel(store);
        const moved = { ...previous, cloudHsmClusterId: OTHER_CLUSTER };
        const r = await updateOp(aws, moved, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(r.final.message).toContain('CloudHsmClusterNotRelatedException');
        expect(aws.kms.store(store.id)).toMatchObject({ clusterId: CLUSTER, state: 'DISCONNECTED' });

        const back = await updateOp(aws, previous, moved);
        expect(back.status).toBe('SUCCESS');
        expect(aws.kms.store(store.id)).toMatchObject({ clusterId: CLUSTER, state: 'CONNECTED' });
    });

    test('a change of write-only properties only: no AWS change but the rewritten record', async () => {
        const aws = standardWorld();
        aws.secrets.put('prod/cloudhsm/admin-password-2', '{"password":"An0ther-Adm1n-Pw-never-read"}', { neverRead: true });
        aws.ssm.addInstance('i-0fedcba9876543210');
        const store = existingStore(aws);
        const previous = stackModel(store);
        const desired = stackModel(store, {
            cloudHsmAdminPasswordSecretName: 'prod/cloudhsm/admin-password-2',
            clientInstanceId: 'i-0fedcba9876543210',
            cloudHsmAdminUsername: 'co2',
            deleteKeyStoreUponStackDeletion: false,
            adoptExistingKmsUser: true,
        });
        const r = await updateOp(aws, desired, previous);
        expect(r.status).toBe('SUCCESS');
        expect(aws.log.mutating().map((c) => c.op)).toEqual(['ssm.putParameter']);
        expect(JSON.parse(aws.ssm.parameters.get(recordName(store.id)) ?? '{}')).toMatchObject({
            ClientInstanceId: 'i-0fedcba9876543210',
            CloudHsmAdminPasswordSecretName: 'prod/cloudhsm/admin-password-2',
            CloudHsmAdminUsername: 'co2',
            DeleteKeyStoreUponStackDeletion: false,
            AdoptExistingKmsUser: true,
        });
        expect(r.model).toEqual({
            customKeyStoreId: store.id,
            keyStoreName: store.name,
            cloudHsmClusterId: CLUSTER,
            desiredConnectionState: 'CONNECTED',
            connectionState: 'CONNECTED',
            trustAnchorCertificate: CA_PEM,
        });
        for (const key of WRITE_ONLY) expect(r.model).not.toHaveProperty(key);
    });

    test.each([
        ['INVALID_CREDENTIALS', true, 'RESET'],
        ['USER_LOCKED_OUT', true, 'RESET'],
        ['USER_NOT_FOUND', false, 'CREATED'],
    ])('a FAILED store with %s is repaired: kmsuser reset, new password to KMS, connected', async (code, kmsUserThere, outcome) => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: code });
        const cluster = aws.hsm.clusters.get(CLUSTER)!;
        cluster.kmsUser = kmsUserThere;
        if (kmsUserThere) cluster.kmsUserPassword = 'changedByHand9'; // not what KMS holds
        const previous = stackModel(store);
        const r = await updateOp(aws, previous, previous);
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual([
            'kms.disconnect',
            'secrets.create',
            'ssm.sendShellScript:reset',
            'kms.update:password',
            'kms.connect',
            'secrets.forceDelete',
        ]);
        expect(aws.ssm.commands[0].result?.stdout).toContain(`KMSUSER_RESULT=${outcome}`);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(true);
        // KMS was given the bootstrap password the script set (and has rotated it since)
        const made = aws.log.of('secrets.create')[0].args[0] as { value: string };
        expect(aws.log.of('kms.update')[0].args[1]).toEqual({ password: made.value });
        expect(aws.kms.store(store.id)?.password).toBe(cluster.kmsUserPassword);
        expect(cluster.kmsUserPassword).not.toBe(made.value);
        expect(aws.secrets.leftover()).toEqual([]);
        expect(r.model?.connectionState).toBe('CONNECTED');
    });

    test('a FAILED store renamed in the same update: renamed (KMS renames only CONNECTED or DISCONNECTED stores) and reconnected', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'NETWORK_ERRORS' });
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, keyStoreName: 'payments-keystore-v2' }, previous);
        expect(r.final.message).toBe('');
        expect(r.status).toBe('SUCCESS');
        expect(aws.kms.store(store.id)).toMatchObject({ name: 'payments-keystore-v2', state: 'CONNECTED' });
        expect(aws.log.of('kms.update').filter((c) => c.threw)).toEqual([]);
    });

    test('a FAILED store with NETWORK_ERRORS: disconnected and connected again, no kmsuser change', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'NETWORK_ERRORS' });
        const previous = stackModel(store);
        const r = await updateOp(aws, previous, previous);
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.connect']);
        expect(r.model?.connectionState).toBe('CONNECTED');
    });

    test('a DISCONNECTED store is connected again', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'DISCONNECTED' });
        const previous = stackModel(store);
        const r = await updateOp(aws, previous, previous);
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.connect']);
        expect(r.model?.connectionState).toBe('CONNECTED');
    });

    test('a repair needs the instance: an offline instance fails the update before anything changes', async () => {
        const aws = standardWorld();
        aws.ssm.addInstance(INSTANCE, 'ConnectionLost');
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'INVALID_CREDENTIALS' });
        const previous = stackModel(store);
        const r = await updateOp(aws, previous, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(r.final.message).toContain(`ClientInstanceId ${INSTANCE}: its SSM ping status is ConnectionLost`);
        expect(aws.log.mutating()).toEqual([]);
    });

    test('a move whose connect fails with INVALID_CREDENTIALS: one repair, then SUCCESS', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.connectOutcomes = ['INVALID_CREDENTIALS'];
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, cloudHsmClusterId: RELATED_CLUSTER }, previous);
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual([
            'kms.disconnect',
            'kms.update:cluster',
            'kms.connect',
            'kms.disconnect',
            'secrets.create',
            'ssm.sendShellScript:reset',
            'kms.update:password',
            'kms.connect',
            'secrets.forceDelete',
        ]);
        const script = (aws.log.of('ssm.sendShellScript')[0].args[0] as { commands: string[] }).commands;
        expect(script).toContain(`K_CLUSTER='${RELATED_CLUSTER}'`);
        expect(script).toContain(`K_ADMIN_SECRET='${ADMIN_SECRET}'`);
        expect(r.model).toMatchObject({ cloudHsmClusterId: RELATED_CLUSTER, connectionState: 'CONNECTED' });
        expect(aws.secrets.leftover()).toEqual([]);
    });

    test('INVALID_CREDENTIALS again after the repair: FAILED NotStabilized with the remedy, bootstrap secret removed', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.defaultConnectOutcome = 'INVALID_CREDENTIALS';
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, cloudHsmClusterId: RELATED_CLUSTER }, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotStabilized);
        expect(r.final.message).toContain(`Key store ${store.id} failed to connect (ConnectionErrorCode INVALID_CREDENTIALS)`);
        expect(aws.log.count('kms.connect')).toBe(2);
        expect(aws.ssm.actionsSent()).toEqual(['reset']);
        expect(aws.secrets.leftover()).toEqual([]);
    });

    test("the repair command fails: FAILED with the script's reason, bootstrap secret removed", async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'USER_LOCKED_OUT' });
        aws.ssm.responder = () => ({ status: 'Failed', stdout: 'KMSUSER_DETAIL=Login failed for admin\nKMSUSER_RESULT=ADMIN_LOGIN_FAILED\n', stderr: '' });
        const previous = stackModel(store);
        const r = await updateOp(aws, previous, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(r.final.message).toContain('(ADMIN_LOGIN_FAILED)');
        expect(aws.secrets.leftover()).toEqual([]);
        expect(aws.log.count('kms.update')).toBe(0);
    });

    test('a store that no longer exists: NotFound', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const previous = stackModel(store);
        aws.kms.stores.delete(store.id);
        const r = await updateOp(aws, { ...previous, keyStoreName: 'x' }, previous);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotFound);
        expect(r.final.message).toContain(store.id);
        expect(aws.log.mutating()).toEqual([]);
    });

    test('an id that belongs to an external key store: NotFound', async () => {
        const aws = standardWorld();
        const xks = aws.kms.addStore({ name: 'xks', clusterId: '', type: 'EXTERNAL_KEY_STORE' });
        const previous = stackModel(xks, { cloudHsmClusterId: CLUSTER });
        const r = await updateOp(aws, previous, previous);
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotFound);
        expect(aws.log.mutating()).toEqual([]);
    });

    test('desired without CustomKeyStoreId (only the previous model has it): every IN_PROGRESS still carries the id', async () => {
        const aws = standardWorld();
        aws.kms.disconnectDescribes = 6;
        aws.kms.connectSeconds = 120;
        const store = existingStore(aws);
        const previous = stackModel(store);
        const { customKeyStoreId: _omit, ...desired } = { ...previous, cloudHsmClusterId: RELATED_CLUSTER };
        const r = await updateOp(aws, desired, previous);
        expect(r.status).toBe('SUCCESS');
        expect(r.inProgress.length).toBeGreaterThan(0);
        for (const s of r.inProgress) expect(s.event?.resourceModel?.customKeyStoreId).toBe(store.id);
        expect(aws.kms.store(store.id)).toMatchObject({ clusterId: RELATED_CLUSTER, state: 'CONNECTED' });
    });
});
