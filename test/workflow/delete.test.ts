import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { respondWith } from '../fakes/aws';
import { checkEveryDrive } from '../fakes/checks';
import { deleteOp, existingStore, sideEffects, stackModel } from '../fakes/ops';
import { CLUSTER, standardWorld } from '../fakes/world';

checkEveryDrive();

describe('delete', () => {
    test('a store that does not exist: NotFound, no change', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const model = stackModel(store);
        aws.kms.stores.delete(store.id);
        const r = await deleteOp(aws, model);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotFound);
        expect(r.final.message).toContain(store.id);
        expect(aws.log.mutating()).toEqual([]);
    });

    test('an empty store: disconnected, deleted, kmsuser removed; SUCCESS without a model', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.addKeys(undefined, 7); // keys outside any custom key store
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.deleteStore', 'ssm.sendShellScript:delete']);
        expect(r.final.resourceModel).toBeUndefined();
        expect(r.finalSerialized).not.toHaveProperty('resourceModel');
        expect(r.final.message).toContain(`Key store ${store.id} was disconnected and deleted.`);
        expect(r.final.message).toContain('kmsuser was removed from the cluster.');
        expect(aws.kms.all()).toEqual([]);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(false);
        expect(aws.log.count('kms.keyStoreOfKey')).toBe(7);
        // the delete command needs no bootstrap secret
        const script = (aws.log.of('ssm.sendShellScript')[0].args[0] as { commands: string[] }).commands;
        expect(script).toContain("K_BOOT_SECRET=''");
        expect(aws.log.count('secrets.create')).toBe(0);

        // and a delete after that: NotFound, nothing done
        const again = await deleteOp(aws, stackModel(store));
        expect(again.final.errorCode).toBe(HandlerErrorCode.NotFound);
        expect(sideEffects(again.calls)).toEqual([]);
    });

    test('kmsuser already absent: SUCCESS, reported', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.hsm.clusters.get(CLUSTER)!.kmsUser = false;
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(r.final.message).toContain('kmsuser was already absent from the cluster.');
    });

    test('a store holding keys: left exactly as it is; SUCCESS naming the number of keys', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.addKeys(undefined, 4);
        aws.kms.addKeys(store.id, 3);
        aws.kms.addKeys(undefined, 2);
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(r.final.message).toMatch(new RegExp(`^Key store ${store.id} holds 3 KMS key\\(s\\), so it was left as it is, connected`));
        expect(aws.log.count('kms.disconnect')).toBe(0);
        expect(aws.log.count('kms.deleteStore')).toBe(0);
        expect(aws.log.mutating()).toEqual([]);
        expect(aws.kms.store(store.id)?.state).toBe('CONNECTED');
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(true);
        expect(r.finalSerialized).not.toHaveProperty('resourceModel');
    });

    test('a store holding only keys pending deletion: kept; the message says until when and how to delete it then', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const ids = aws.kms.addKeys(store.id, 2);
        aws.kms.keys.find((k) => k.id === ids[0])!.deletionDate = new Date('2027-01-05T10:00:00Z');
        aws.kms.keys.find((k) => k.id === ids[1])!.deletionDate = new Date('2027-01-20T10:00:00Z');
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(r.final.message).toContain(`Key store ${store.id} holds 2 KMS key(s)`);
        expect(r.final.message).toContain('All of them are pending deletion, the last until 2027-01-20T10:00:00.000Z.');
        expect(r.final.message).toContain(`aws kms disconnect-custom-key-store --custom-key-store-id ${store.id}`);
        expect(r.final.message).toContain(`aws kms delete-custom-key-store --custom-key-store-id ${store.id}`);
        expect(aws.log.mutating()).toEqual([]);
        expect(aws.kms.store(store.id)?.state).toBe('CONNECTED');
    });

    test('a store holding live and pending keys: kept; the message counts both', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const [pending] = aws.kms.addKeys(store.id, 3);
        aws.kms.keys.find((k) => k.id === pending)!.deletionDate = new Date('2027-02-01T00:00:00Z');
        const r = await deleteOp(aws, stackModel(store));
        expect(r.final.message).toContain(
            '1 of them are pending deletion (the last until 2027-02-01T00:00:00.000Z); schedule the deletion of the other 2 too.',
        );
    });

    test('keys over many ListKeys pages with a small budget: the scan resumes across invocations', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.keyPageSize = 50;
        aws.kms.addKeys(undefined, 600);
        aws.kms.addKeys(store.id, 2);
        aws.kms.addKeys(undefined, 398);
        aws.latencyMs = 40; // 50 DescribeKey calls: ~2 s of fake time per page
        const r = await deleteOp(aws, stackModel(store), { budgetMs: 15_000 });
        expect(r.status).toBe('SUCCESS');
        expect(r.final.message).toContain('holds 2 KMS key(s)');
        expect(r.inProgress.length).toBeGreaterThanOrEqual(3);
        let checked = 0;
        for (const s of r.inProgress) {
            expect(s.event?.resourceModel?.customKeyStoreId).toBe(store.id);
            expect(s.event?.callbackContext?.phase).toBe('scanKeys');
            const scan = s.event?.callbackContext?.keyScan as { checked: number; marker?: string };
            expect(scan.checked).toBeGreaterThan(checked);
            checked = scan.checked;
        }
        // every page read once, every key described once: the scan picked up where it stopped
        const markers = aws.log.of('kms.listKeys').map((c) => c.args[0] ?? null);
        expect(markers).toHaveLength(20);
        expect(new Set(markers).size).toBe(20);
        expect(aws.log.count('kms.keyStoreOfKey')).toBe(1000);
        expect(aws.log.mutating()).toEqual([]);
    });

    test('many pages, no key in the store: scan across invocations, then deleted', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.keyPageSize = 100;
        aws.kms.addKeys(undefined, 500);
        aws.latencyMs = 50;
        const r = await deleteOp(aws, stackModel(store), { budgetMs: 12_000 });
        expect(r.status).toBe('SUCCESS');
        expect(r.inProgress.length).toBeGreaterThanOrEqual(2);
        expect(aws.kms.all()).toEqual([]);
        expect(aws.log.count('kms.keyStoreOfKey')).toBe(500);
    });

    test('DeleteKeyStoreUponStackDeletion false: disconnected and kept, kmsuser left', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const r = await deleteOp(aws, stackModel(store, { deleteKeyStoreUponStackDeletion: false }));
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect']);
        expect(aws.kms.store(store.id)?.state).toBe('DISCONNECTED');
        expect(aws.ssm.commands).toEqual([]);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(true);
        expect(r.final.message).toContain('was disconnected and kept (DeleteKeyStoreUponStackDeletion is false)');
    });

    test('CustomKeyStoreHasCMKsException (a key made after the scan): reconnected, SUCCESS with a message', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.addKeys(undefined, 3);
        // someone creates a key in the store right after the scan read the last page
        aws.after('kms.listKeys', () => aws.kms.addKeys(store.id, 1));
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.connect']);
        expect(aws.log.of('kms.deleteStore').map((c) => c.threw)).toEqual(['CustomKeyStoreHasCMKsException']);
        expect(r.final.message).toContain(`Key store ${store.id} gained KMS keys while it was being deleted, so it was reconnected`);
        expect(aws.kms.store(store.id)?.state).toBe('CONNECTED');
        expect(aws.ssm.commands).toEqual([]);
    });

    test('kmsuser removal fails: still SUCCESS, the failure in the message', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.ssm.responder = respondWith('KMSUSER_OWNS_KEYS', 'cloudhsm-cli user delete failed: user owns 2 keys');
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(aws.kms.all()).toEqual([]);
        expect(r.final.message).toContain(`Key store ${store.id} was disconnected and deleted.`);
        expect(r.final.message).toContain(`kmsuser was not removed from ${store.clusterId}. kmsuser on instance`);
        expect(r.final.message).toContain('cloudhsm-cli user delete --username kmsuser --role crypto-user');
        expect(r.final.message).toContain('(KMSUSER_OWNS_KEYS)');
    });

    test('the kmsuser command never shows up: still SUCCESS after the wait, reported', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.ssm.invisiblePolls = Number.POSITIVE_INFINITY;
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(aws.kms.all()).toEqual([]);
        expect(r.final.message).toMatch(/kmsuser was not removed from cluster-\w+\. The kmsuser command .* did not finish within 13 minutes/);
    });

    test('without the instance in the model: the store is deleted, no kmsuser command', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const { clientInstanceId: _omit, ...model } = stackModel(store);
        const r = await deleteOp(aws, model);
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.deleteStore']);
        expect(aws.ssm.commands).toEqual([]);
    });

    test('a FAILED store: disconnected, then deleted', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'NETWORK_ERRORS' });
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.deleteStore', 'ssm.sendShellScript:delete']);
    });

    test('a DISCONNECTED store: deleted without a disconnect', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'DISCONNECTED' });
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.deleteStore', 'ssm.sendShellScript:delete']);
    });

    test('a long DISCONNECTING: IN_PROGRESS with the id until DISCONNECTED', async () => {
        const aws = standardWorld();
        aws.kms.disconnectDescribes = 20;
        const store = existingStore(aws);
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(r.inProgress.length).toBeGreaterThanOrEqual(2);
        // (and one as the kmsuser command is sent, to keep its id)
        for (const s of r.inProgress) expect(['awaitDisconnected', 'sendKmsUser']).toContain(s.event?.callbackContext?.phase);
        expect(r.inProgress.filter((s) => s.event?.callbackContext?.phase === 'awaitDisconnected').length).toBeGreaterThanOrEqual(2);
        expect(aws.log.count('kms.disconnect')).toBe(1);
        expect(aws.kms.all()).toEqual([]);
    });
});
