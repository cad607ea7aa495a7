/**
 * The key store's record (DESIGN section 5): update and delete from the identifier alone, as Cloud Control
 * and `cfn test` send them; the request's values win; the record goes with the store.
 */
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { decodeRecord, encodeRecord, RECORD_PREFIX, recordName } from '../../src/keystore/record';
import type { KeyStoreProps } from '../../src/keystore/types';
import { FakeAws } from '../fakes/aws';
import { checkEveryDrive } from '../fakes/checks';
import { createOp, deleteOp, existingStore, sideEffects, stackModel, updateOp } from '../fakes/ops';
import { ADMIN_SECRET, CA_SECRET, CLUSTER, desiredProps, INSTANCE, RELATED_CLUSTER, standardWorld } from '../fakes/world';

checkEveryDrive();

/** What Read returns for a store: the identifier and the read-only and readable properties only. */
function readModel(aws: FakeAws, id: string): KeyStoreProps {
    const s = aws.kms.stores.get(id)!;
    return { customKeyStoreId: s.id, keyStoreName: s.name, cloudHsmClusterId: s.clusterId };
}

function recordOf(aws: FakeAws, id: string): Record<string, unknown> | undefined {
    const v = aws.ssm.parameters.get(recordName(id));
    return v === undefined ? undefined : (JSON.parse(v) as Record<string, unknown>);
}

/** A store made by create, so it has a record. */
async function created(aws: FakeAws, props: KeyStoreProps = desiredProps()): Promise<string> {
    const r = await createOp(aws, props);
    expect(r.status).toBe('SUCCESS');
    return r.model!.customKeyStoreId!;
}

describe('the key store record', () => {
    test('one parameter per store under a fixed prefix', () => {
        expect(recordName('cks-0123456789abcdef0')).toBe(`${RECORD_PREFIX}cks-0123456789abcdef0`);
        expect(RECORD_PREFIX).toBe('/custom-kms-cloudhsmkeystore/key-stores/');
    });

    test('create writes it in the invocation that makes the store, then adds who made kmsuser', async () => {
        const aws = standardWorld();
        const r = await createOp(aws, desiredProps({ cloudHsmAdminUsername: 'co1', deleteKeyStoreUponStackDeletion: false }));
        expect(r.status).toBe('SUCCESS');
        const id = r.model!.customKeyStoreId!;
        const first = r.steps.find((s) => s.event?.resourceModel?.customKeyStoreId)!;
        const puts = first.calls.filter((c) => c.op === 'ssm.putParameter');
        expect(puts).toHaveLength(1);
        expect(puts[0].args[0]).toBe(recordName(id));
        expect(recordOf(aws, id)).toEqual({
            ClientInstanceId: INSTANCE,
            CloudHsmAdminPasswordSecretName: ADMIN_SECRET,
            CloudHsmAdminUsername: 'co1',
            CloudHsmCustCaCertSecretName: CA_SECRET,
            CreatedBy: expect.stringMatching(/^[0-9a-f]{64}$/),
            BootstrapSecretArn: expect.stringContaining(':secret:custom-kms-cloudhsmkeystore/kmsuser-bootstrap/'),
            DeleteKeyStoreUponStackDeletion: false,
            DesiredConnectionState: 'CONNECTED',
            KmsUser: 'CREATED',
            LogicalResourceId: 'PaymentsKeyStore',
        });
    });

    test('delete with the identifier alone: the record names the instance and admin secret; kmsuser and the record go', async () => {
        const aws = standardWorld();
        const id = await created(aws);
        const r = await deleteOp(aws, { customKeyStoreId: id });
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.deleteStore', 'ssm.sendShellScript:delete']);
        expect(r.final.message).toContain('kmsuser was removed from the cluster.');
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(false);
        expect(aws.ssm.parameters.size).toBe(0);
        // and a create on that cluster works again
        const again = await createOp(aws, desiredProps(), { request: { clientRequestToken: '0b7e3d1c-2f4a-4e5b-9c8d-7a6b5c4d3e2f' } });
        expect(again.status).toBe('SUCCESS');
    });

    test('delete with the identifier alone and no record: the store goes; the message says kmsuser stays and how to remove it', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const r = await deleteOp(aws, { customKeyStoreId: store.id });
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.deleteStore']);
        expect(r.final.message).toContain(
            `kmsuser was not removed from ${CLUSTER}. The request carried no ClientInstanceId and CloudHsmAdminPasswordSecretName and the key store has no record in Parameter Store.`,
        );
        expect(r.final.message).toContain(
            "CLOUDHSM_ROLE=admin CLOUDHSM_PIN='admin:<admin password>' cloudhsm-cli user delete --username kmsuser --role crypto-user",
        );
    });

    test('delete while the instance is offline: the store goes; kmsuser is reported left with the reason', async () => {
        const aws = standardWorld();
        const id = await created(aws);
        aws.ssm.addInstance(INSTANCE, 'ConnectionLost');
        const r = await deleteOp(aws, { customKeyStoreId: id });
        expect(r.status).toBe('SUCCESS');
        expect(aws.ssm.actionsSent()).toEqual(['create']);
        expect(r.final.message).toContain(
            `kmsuser was not removed from ${CLUSTER}. ClientInstanceId ${INSTANCE} cannot run the removal script: its SSM ping status is ConnectionLost.`,
        );
        expect(aws.ssm.parameters.size).toBe(0);
    });

    test('a kept store (DeleteKeyStoreUponStackDeletion false) keeps its record; one with keys too', async () => {
        const aws = standardWorld();
        const id = await created(aws, desiredProps({ deleteKeyStoreUponStackDeletion: false }));
        const r = await deleteOp(aws, { customKeyStoreId: id });
        expect(r.status).toBe('SUCCESS');
        expect(r.final.message).toContain('kept (DeleteKeyStoreUponStackDeletion is false)');
        expect(aws.kms.stores.get(id)?.state).toBe('DISCONNECTED');
        expect(recordOf(aws, id)).toBeDefined();
    });

    test('update from the read model plus a new name: renamed in place', async () => {
        const aws = standardWorld();
        const id = await created(aws);
        const current = readModel(aws, id);
        const r = await updateOp(aws, { ...current, keyStoreName: 'renamed-keystore' }, current);
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.update:name']);
        expect(r.model?.keyStoreName).toBe('renamed-keystore');
    });

    test('update from the read model plus a new cluster: moved with the instance and admin secret from the record', async () => {
        const aws = standardWorld();
        const id = await created(aws);
        const current = readModel(aws, id);
        const r = await updateOp(aws, { ...current, cloudHsmClusterId: RELATED_CLUSTER }, current);
        expect(r.status).toBe('SUCCESS');
        expect(r.model?.cloudHsmClusterId).toBe(RELATED_CLUSTER);
        expect(sideEffects(r.calls)).toContain('kms.update:cluster');
        // the record keeps what it knew: the read model carried no write-only value
        expect(recordOf(aws, id)).toMatchObject({ ClientInstanceId: INSTANCE, CloudHsmAdminPasswordSecretName: ADMIN_SECRET, KmsUser: 'CREATED' });
    });

    test('a whole template wins over the record, and an optional property it leaves out takes its default', async () => {
        const aws = standardWorld();
        const id = await created(aws, desiredProps({ deleteKeyStoreUponStackDeletion: false }));
        const template = stackModel(aws.kms.stores.get(id)!);
        expect(template.deleteKeyStoreUponStackDeletion).toBeUndefined();
        const r = await deleteOp(aws, template);
        expect(r.status).toBe('SUCCESS');
        expect(aws.kms.stores.has(id)).toBe(false);
        expect(r.final.message).toContain('was disconnected and deleted');
    });

    test('update, read, and delete without an identifier: FAILED NotFound, nothing called that changes anything', async () => {
        const aws = standardWorld();
        await created(aws);
        const before = aws.log.mutating().length;
        const u = await updateOp(aws, desiredProps(), {});
        expect(u.status).toBe('FAILED');
        expect(u.final.errorCode).toBe(HandlerErrorCode.NotFound);
        expect(u.final.message).toContain('carries no CustomKeyStoreId');
        const d = await deleteOp(aws, desiredProps());
        expect(d.status).toBe('FAILED');
        expect(d.final.errorCode).toBe(HandlerErrorCode.NotFound);
        expect(aws.log.mutating().length).toBe(before);
    });

    test('a failed create removes the record it wrote with the store', async () => {
        const aws = standardWorld();
        aws.kms.connectOutcomes = ['NETWORK_ERRORS'];
        const r = await createOp(aws);
        expect(r.status).toBe('FAILED');
        expect(aws.kms.all()).toEqual([]);
        expect(aws.ssm.parameters.size).toBe(0);
    });

    test('replaying every delete invocation writes and deletes nothing twice', async () => {
        const aws = standardWorld();
        const id = await created(aws);
        aws.kms.disconnectDescribes = 8; // long enough to hand back IN_PROGRESS
        const r = await deleteOp(aws, { customKeyStoreId: id }, { replayEach: true });
        expect(r.status).toBe('SUCCESS');
        expect(r.calls.filter((c) => c.op === 'ssm.deleteParameter' && !c.threw)).toHaveLength(1);
        expect(aws.ssm.actionsSent()).toEqual(['create', 'delete']);
    });

    test('a tampered record: values that fail the schema patterns are ignored, never put in a script', () => {
        const tampered = JSON.stringify({
            ClientInstanceId: "i-0123456789abcdef0'; rm -rf /; '",
            CloudHsmAdminPasswordSecretName: ADMIN_SECRET,
            DeleteKeyStoreUponStackDeletion: 'yes',
            KmsUser: 'ROOT',
        });
        expect(decodeRecord(tampered)).toEqual({ props: { cloudHsmAdminPasswordSecretName: ADMIN_SECRET } });
        expect(decodeRecord('not json')).toBeUndefined();
        const round = decodeRecord(encodeRecord({ props: { clientInstanceId: INSTANCE, adoptExistingKmsUser: true }, kmsUser: 'ADOPTED' }));
        expect(round).toEqual({ props: { clientInstanceId: INSTANCE, adoptExistingKmsUser: true }, kmsUser: 'ADOPTED' });
    });
});
