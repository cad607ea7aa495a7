import { checkEveryDrive } from '../fakes/checks';
import { createOp, deleteOp, existingStore, sideEffects, stackModel, updateOp } from '../fakes/ops';
import { CLUSTER, RELATED_CLUSTER, standardWorld } from '../fakes/world';

checkEveryDrive();

/** What a create leaves in the account, to compare a plain run with a replayed or crashed one. */
function footprint(aws: ReturnType<typeof standardWorld>) {
    return {
        stores: aws.kms.all().map((s) => ({ name: s.name, clusterId: s.clusterId, state: s.state })),
        // force-deleted ones may keep their name a few seconds: not left (leftover() leaves them out)
        secretsLeft: aws.secrets.madeByHandler().filter((n) => aws.secrets.leftover().includes(n)).length,
        secretsMade: new Set(aws.secrets.madeByHandler()).size,
        commandsSent: aws.ssm.actionsSent().length,
        checksSent: aws.ssm.checksSent(),
        kmsUser: aws.hsm.clusters.get(CLUSTER)?.kmsUser,
    };
}

describe('create: every invocation may run twice (a lost response)', () => {
    test('replaying each invocation with the same frozen inputs adds no side effect', async () => {
        const plain = standardWorld();
        plain.kms.connectSeconds = 100;
        const p = await createOp(plain);
        expect(p.status).toBe('SUCCESS');

        const aws = standardWorld();
        aws.kms.connectSeconds = 100;
        const r = await createOp(aws, undefined, { replayEach: true });
        expect(r.status).toBe('SUCCESS');
        // a replay also polls, so the connect may settle in fewer rounds than without replays
        expect(r.invocations).toBeLessThanOrEqual(2 * p.invocations);
        expect(r.invocations % 2).toBe(0);
        expect(r.steps.map((s) => s.replay)).toEqual(r.steps.map((_, i) => i % 2 === 1));
        expect(footprint(aws)).toEqual(footprint(plain));
        expect(footprint(aws)).toEqual({
            stores: [{ name: 'payments-keystore', clusterId: CLUSTER, state: 'CONNECTED' }],
            secretsLeft: 0,
            secretsMade: 1,
            commandsSent: 1,
            checksSent: 1,
            kmsUser: true,
        });

        // each replay repeated only what is safe to repeat
        for (const step of r.steps.filter((s) => s.replay)) {
            const original = r.steps[step.n - 2];
            expect(step.ctx).toBe(original.ctx);
            expect(step.desired).toBe(original.desired);
            const effects = sideEffects(step.calls);
            for (const e of effects) expect(['kms.createStore', 'secrets.forceDelete']).toContain(e);
            expect(step.event?.status).toBe(original.event?.status);
            expect(step.event?.resourceModel?.customKeyStoreId).toBe(original.event?.resourceModel?.customKeyStoreId);
        }
        // the second CreateCustomKeyStore was KMS's identical retry: same id, no second store
        const creates = aws.log.of('kms.createStore');
        expect(creates).toHaveLength(2);
        expect(creates[0].args).toEqual(creates[1].args);
        expect(aws.log.count('secrets.create')).toBe(1);
        expect(aws.log.count('ssm.sendShellScript')).toBe(2); // the preflight check and the create, each once
        expect(aws.log.count('kms.connect')).toBe(1);
        expect(r.model?.customKeyStoreId).toBe(aws.kms.all()[0].id);
    });

    test('the frozen callbackContext and model are never written to', async () => {
        const aws = standardWorld();
        aws.kms.connectOutcomes = ['INVALID_CREDENTIALS'];
        const r = await createOp(aws, undefined, { replayEach: true });
        expect(r.status).toBe('FAILED');
        for (const s of r.steps) {
            expect(Object.isFrozen(s.ctx)).toBe(true);
            expect(Object.isFrozen(s.desired)).toBe(true);
        }
        expect(aws.kms.all()).toEqual([]);
    });
});

describe('create: a crash right after a side effect, then the same inputs again', () => {
    test.each([
        ['ssm.sendShellScript', 'sendCheck', 1],
        ['secrets.create', 'bootstrapSecret', 1],
        ['kms.createStore', 'createStore', 1],
        ['ssm.sendShellScript', 'sendKmsUser', 2],
        ['kms.connect', 'connect', 1],
        ['secrets.forceDelete', 'deleteBootstrapSecret', 1],
    ])('after %s (%s)', async (op, _phase, nth) => {
        const plain = standardWorld();
        await createOp(plain);

        const aws = standardWorld();
        aws.crashAfter(op, nth);
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        expect(aws.pendingFaults()).toBe(0);
        const crashed = r.steps.filter((s) => s.crashedAfter);
        expect(crashed).toHaveLength(1);
        expect(crashed[0].crashedAfter).toBe(op);
        // the retry had exactly the inputs of the invocation that died
        const retry = r.steps[crashed[0].n];
        expect(retry.ctx).toBe(crashed[0].ctx);
        expect(footprint(aws)).toEqual(footprint(plain));
        expect(new Set(aws.log.of('kms.createStore').map((c) => JSON.stringify(c.args))).size).toBe(1);
        expect(aws.ssm.actionsSent()).toEqual(['create']);
        expect(aws.ssm.checksSent()).toBe(1);
        expect(aws.log.count('secrets.create')).toBe(1);
    });

    test('after CreateCustomKeyStore the retry adopts the store this request made', async () => {
        const aws = standardWorld();
        aws.crashAfter('kms.createStore');
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        expect(aws.log.count('kms.createStore')).toBe(2);
        expect(aws.kms.all()).toHaveLength(1);
        expect(r.steps[1].event?.resourceModel?.customKeyStoreId).toBe(aws.kms.all()[0].id);
    });

    test('after SendCommand the retry finds the command by its comment instead of sending another', async () => {
        const aws = standardWorld();
        aws.crashAfter('ssm.sendShellScript', 2);
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        const lookups = aws.log.of('ssm.findCommandByComment').filter((c) => String(c.args[1]).includes(' create '));
        expect(lookups).toHaveLength(2);
        expect(lookups[0].args).toEqual(lookups[1].args);
        expect(aws.ssm.actionsSent()).toEqual(['create']);
    });

    test('during the rollback (after DeleteCustomKeyStore): the retry finishes the rollback', async () => {
        const aws = standardWorld();
        aws.kms.connectOutcomes = ['NETWORK_ERRORS'];
        aws.crashAfter('kms.deleteStore');
        const r = await createOp(aws);
        expect(r.status).toBe('FAILED');
        expect(['NotStabilized', 'NotFound']).toContain(r.final.errorCode);
        // The retry starts from the last checkpoint (before the failure was known), so it finds the store gone
        // and reports that instead of NETWORK_ERRORS; what matters is that nothing is left.
        expect(r.final.message).toMatch(/ConnectionErrorCode NETWORK_ERRORS|no longer exists/);
        expect(aws.kms.all()).toEqual([]);
        expect(aws.ssm.actionsSent()).toEqual(['create', 'delete']);
        expect(aws.secrets.leftover()).toEqual([]);
    });
});

describe('update and delete: replayed invocations add no side effect', () => {
    test('a cluster move replayed invocation by invocation', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, cloudHsmClusterId: RELATED_CLUSTER }, previous, { replayEach: true });
        expect(r.status).toBe('SUCCESS');
        expect(sideEffects(r.calls)).toEqual(['kms.disconnect', 'kms.update:cluster', 'kms.connect']);
        expect(aws.kms.store(store.id)).toMatchObject({ clusterId: RELATED_CLUSTER, state: 'CONNECTED' });
    });

    test('a repair replayed invocation by invocation: one reset command, one bootstrap secret', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'INVALID_CREDENTIALS' });
        aws.hsm.clusters.get(CLUSTER)!.kmsUserPassword = 'changedByHand9';
        const previous = stackModel(store);
        const r = await updateOp(aws, previous, previous, { replayEach: true });
        expect(r.status).toBe('SUCCESS');
        expect(aws.ssm.actionsSent()).toEqual(['reset']);
        expect(new Set(aws.secrets.madeByHandler()).size).toBe(1);
        expect(aws.log.count('secrets.create')).toBe(1);
        expect(aws.kms.store(store.id)?.state).toBe('CONNECTED');
    });

    test('a delete replayed invocation by invocation while it waits for DISCONNECTED', async () => {
        const aws = standardWorld();
        aws.kms.disconnectDescribes = 8; // long enough to hand back IN_PROGRESS
        const store = existingStore(aws);
        const r = await deleteOp(aws, stackModel(store), { replayEach: true });
        expect(r.status).toBe('SUCCESS');
        expect(r.inProgress.length).toBeGreaterThanOrEqual(1);
        // whichever run of an invocation deleted the store and sent the command, the other found both done
        expect(aws.kms.all()).toEqual([]);
        expect(aws.ssm.actionsSent()).toEqual(['delete']);
        expect(aws.log.count('kms.disconnect')).toBe(1);
        expect(aws.log.count('kms.deleteStore')).toBe(1);
    });
});

describe('update: a crash right after a side effect, then the same inputs again', () => {
    test.each(['kms.disconnect', 'secrets.create', 'ssm.sendShellScript', 'kms.update', 'kms.connect'])(
        'repair of INVALID_CREDENTIALS, crash after %s',
        async (op) => {
            const aws = standardWorld();
            const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'INVALID_CREDENTIALS' });
            aws.hsm.clusters.get(CLUSTER)!.kmsUserPassword = 'changedByHand9';
            aws.crashAfter(op);
            const previous = stackModel(store);
            const r = await updateOp(aws, previous, previous);
            expect(r.steps.filter((s) => s.crashedAfter).map((s) => s.crashedAfter)).toEqual([op]);
            expect(r.status).toBe('SUCCESS');
            expect(aws.kms.store(store.id)?.state).toBe('CONNECTED');
            expect(aws.ssm.commands).toHaveLength(1);
            // the bootstrap secret is deleted once KMS has rotated the password, whichever invocation made it
            expect(aws.secrets.leftover()).toEqual([]);
        },
    );

    test.each(['kms.disconnect', 'kms.update', 'kms.connect'])('cluster move, crash after %s', async (op) => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.crashAfter(op);
        const previous = stackModel(store);
        const r = await updateOp(aws, { ...previous, cloudHsmClusterId: RELATED_CLUSTER }, previous);
        expect(r.status).toBe('SUCCESS');
        expect(aws.kms.store(store.id)).toMatchObject({ clusterId: RELATED_CLUSTER, state: 'CONNECTED' });
        expect(aws.log.of('kms.update').filter((c) => !c.threw)).toHaveLength(1);
    });
});
