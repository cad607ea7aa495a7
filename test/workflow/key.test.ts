/**
 * The key type's workflows on the shared runner, with the in-memory fakes: what each operation calls, that a
 * replayed invocation changes nothing twice, throttling before the key exists, and the rollback after CreateKey.
 */
import { HandlerErrorCode, OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { createKeyWorkflow } from '../../src/key/create';
import { deleteKeyWorkflow } from '../../src/key/delete';
import { ResourceModel } from '../../src/key/models';
import { KeyCtx, KeyProps, KeyWorkflow } from '../../src/key/types';
import { updateKeyWorkflow } from '../../src/key/update';
import { runWorkflow } from '../../src/engine/runner';
import { FakeAws, worldsOfThisTest } from '../fakes/aws';
import { deepFreeze, DEFAULT_REQUEST } from '../fakes/drive';
import { existingStore } from '../fakes/ops';
import { standardWorld } from '../fakes/world';

afterEach(() => void worldsOfThisTest.splice(0));

interface Step {
    event: ProgressEvent<ResourceModel>;
    ctx: KeyCtx;
}

/** Plays CloudFormation: feeds back the model and the frozen callbackContext while the answer is IN_PROGRESS. */
async function drive(aws: FakeAws, wf: KeyWorkflow, desired: KeyProps, previous: KeyProps = {}, replay = false): Promise<Step[]> {
    const steps: Step[] = [];
    let ctx: KeyCtx = {};
    let model = desired;
    for (let i = 0; i < 20; i++) {
        const env = {
            aws: aws.adapters(),
            request: DEFAULT_REQUEST,
            desired: deepFreeze({ ...model }),
            previous: deepFreeze({ ...previous }),
            log: () => undefined,
        };
        const event = await runWorkflow(wf, env, deepFreeze({ ...ctx }), { clock: aws.clock });
        // a replay: CloudFormation calls again with the same request (the answer was lost)
        if (replay) await runWorkflow(wf, env, deepFreeze({ ...ctx }), { clock: aws.clock });
        steps.push({ event, ctx });
        if (event.status !== OperationStatus.InProgress) return steps;
        ctx = event.callbackContext as KeyCtx;
        model = { ...model, keyId: event.resourceModel?.keyId ?? model.keyId };
    }
    throw new Error('no end');
}

const last = (steps: Step[]) => steps[steps.length - 1].event;
/** A key policy KMS accepts (a statement that lets the account manage the key: no MalformedPolicyDocumentException). */
const POLICY = { Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] };

function world() {
    const aws = standardWorld();
    const store = existingStore(aws);
    return { aws, store };
}

test('create: validation, then CreateKey as the last call of its invocation with the id in IN_PROGRESS; SUCCESS from Read', async () => {
    const { aws, store } = world();
    const steps = await drive(aws, createKeyWorkflow, { customKeyStoreId: store.id, description: 'd', tags: [{ key: 'a', value: '1' }] });
    const first = steps[0].event;
    expect(first.status).toBe(OperationStatus.InProgress);
    const keyId = first.resourceModel?.keyId;
    expect(keyId).toBeDefined();
    expect(aws.log.calls.map((c) => c.op).indexOf('kms.createKey')).toBeGreaterThan(aws.log.calls.map((c) => c.op).indexOf('hsm.describeCluster'));
    expect(last(steps).status).toBe(OperationStatus.Success);
    expect(last(steps).resourceModel).toMatchObject({ keyId, customKeyStoreId: store.id, description: 'd', enabled: true, keyState: 'Enabled' });
    expect(aws.log.count('kms.createKey')).toBe(1);
});

test('create replayed invocation by invocation: later invocations change nothing twice; only a replayed first one can make a second key', async () => {
    const { aws, store } = world();
    const steps = await drive(aws, createKeyWorkflow, { customKeyStoreId: store.id, enabled: false }, {}, true);
    expect(last(steps).status).toBe(OperationStatus.Success);
    // the first invocation has no id to remember yet: its replay is the one case that makes a second key (see create.ts)
    expect(aws.log.count('kms.createKey')).toBe(2);
    expect(aws.log.count('kms.disableKey')).toBe(1);
});

test('create: throttled CreateKey before the key exists is retried inside the invocation', async () => {
    const { aws, store } = world();
    aws.inject('kms.createKey', 'ThrottlingException');
    const steps = await drive(aws, createKeyWorkflow, { customKeyStoreId: store.id });
    expect(last(steps).status).toBe(OperationStatus.Success);
    expect(aws.kms.keys.filter((k) => k.storeId === store.id)).toHaveLength(1);
});

test('create: a failure after CreateKey schedules the key for deletion (7 days) and reports the original failure', async () => {
    const { aws, store } = world();
    aws.inject('kms.disableKey', 'AccessDeniedException');
    const steps = await drive(aws, createKeyWorkflow, { customKeyStoreId: store.id, enabled: false });
    const end = last(steps);
    expect(end.status).toBe(OperationStatus.Failed);
    expect(end.errorCode).toBe(HandlerErrorCode.AccessDenied);
    expect(end.message).toMatch(/Rolled back: KMS key .* was scheduled for deletion/);
    expect(aws.log.of('kms.scheduleKeyDeletion')[0].args[1]).toBe(7);
});

test('create into a DISCONNECTED store: ResourceConflict, nothing made', async () => {
    const aws = standardWorld();
    const store = existingStore(aws, { state: 'DISCONNECTED' });
    const end = last(await drive(aws, createKeyWorkflow, { customKeyStoreId: store.id }));
    expect(end.errorCode).toBe(HandlerErrorCode.ResourceConflict);
    expect(aws.log.mutating()).toEqual([]);
});

test('update changes only what differs; a second identical update changes nothing', async () => {
    const { aws, store } = world();
    const created = last(
        await drive(aws, createKeyWorkflow, {
            customKeyStoreId: store.id,
            tags: [
                { key: 'a', value: '1' },
                { key: 'b', value: '2' },
            ],
        }),
    );
    const keyId = created.resourceModel?.keyId as string;
    const before = aws.log.length;
    const desired: KeyProps = { keyId, customKeyStoreId: store.id, description: 'new', enabled: false, tags: [{ key: 'a', value: '9' }], keyPolicy: POLICY };
    const end = last(await drive(aws, updateKeyWorkflow, desired, { keyId }));
    expect(end.status).toBe(OperationStatus.Success);
    const ops = aws.log.calls
        .slice(before)
        .filter((c) => c.op !== 'kms.describeKey' && c.op !== 'kms.getKeyPolicy' && c.op !== 'kms.listResourceTags')
        .map((c) => [c.op, c.args[1]]);
    expect(ops).toEqual([
        ['kms.updateKeyDescription', 'new'],
        ['kms.putKeyPolicy', JSON.stringify(POLICY)],
        ['kms.disableKey', undefined],
        ['kms.untagResource', ['b']],
        ['kms.tagResource', [{ key: 'a', value: '9' }]],
    ]);
    const mutatingBefore = aws.log.mutating().length;
    await drive(aws, updateKeyWorkflow, desired, { keyId }, true);
    expect(aws.log.mutating().length).toBe(mutatingBefore);
});

test('update: a create-only CustomKeyStoreId change is NotUpdatable; a key pending deletion is NotFound', async () => {
    const { aws, store } = world();
    const keyId = last(await drive(aws, createKeyWorkflow, { customKeyStoreId: store.id })).resourceModel?.keyId as string;
    const moved = last(await drive(aws, updateKeyWorkflow, { keyId, customKeyStoreId: 'cks-00000000000000001' }, { keyId }));
    expect(moved.errorCode).toBe(HandlerErrorCode.NotUpdatable);
    await aws.kms.scheduleKeyDeletion(keyId, 7);
    expect(last(await drive(aws, updateKeyWorkflow, { keyId }, { keyId })).errorCode).toBe(HandlerErrorCode.NotFound);
});

test('delete schedules with PendingWindowInDays (30 without it); then NotFound; no id: NotFound', async () => {
    const { aws, store } = world();
    const a = last(await drive(aws, createKeyWorkflow, { customKeyStoreId: store.id })).resourceModel?.keyId as string;
    const b = last(await drive(aws, createKeyWorkflow, { customKeyStoreId: store.id })).resourceModel?.keyId as string;
    const first = last(await drive(aws, deleteKeyWorkflow, { keyId: a, pendingWindowInDays: 9 }));
    expect(first.status).toBe(OperationStatus.Success);
    expect(first.resourceModel).toBeUndefined();
    expect(first.message).toContain(`aws kms cancel-key-deletion --key-id ${a}`);
    await drive(aws, deleteKeyWorkflow, { keyId: b });
    expect(aws.log.of('kms.scheduleKeyDeletion').map((c) => c.args[1])).toEqual([9, 30]);
    expect(last(await drive(aws, deleteKeyWorkflow, { keyId: a })).errorCode).toBe(HandlerErrorCode.NotFound);
    expect(last(await drive(aws, deleteKeyWorkflow, {})).errorCode).toBe(HandlerErrorCode.NotFound);
});
