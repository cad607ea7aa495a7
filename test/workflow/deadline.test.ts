/** A workflow's own deadline (Workflow.deadlineMinutes): the runner ends a wait past it with the handler's message. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { next, wait, withNote } from '../../src/engine/outcomes';
import { runWorkflow } from '../../src/engine/runner';
import { keyStoreKind } from '../../src/keystore/kind';
import type { Ctx, Phase, Workflow } from '../../src/keystore/types';
import { UPDATE_DEADLINE_MINUTES, updateWorkflow } from '../../src/keystore/update';
import { FakeAws } from '../fakes/aws';
import { deepFreeze, DEFAULT_REQUEST } from '../fakes/drive';
import { desiredProps } from '../fakes/world';

const ID = 'cks-0000000000000000a';

function toy(deadlineMinutes: number | undefined, rollback?: Array<[string, Phase]>): Workflow {
    return {
        name: 'toy',
        kind: keyStoreKind,
        deadlineMinutes,
        phases: [['poll', async (env) => wait({ ...env.ctx, storeId: ID }, 30, `Waiting for key store ${ID} to connect.`)]],
        rollback,
        finish: async (_env, ctx) => ({ customKeyStoreId: ctx.storeId }),
        progressModel: (desired, ctx) => ({ ...desired, customKeyStoreId: ctx.storeId ?? desired.customKeyStoreId }),
    };
}

async function invocations(wf: Workflow, count: number) {
    const aws = new FakeAws();
    const env = { aws: aws.adapters(), request: DEFAULT_REQUEST, desired: deepFreeze(desiredProps()), previous: {}, log: () => undefined };
    let ctx: Ctx = {};
    const events = [];
    for (let i = 0; i < count; i++) {
        const e = await runWorkflow(wf, env, deepFreeze(ctx), { clock: aws.clock });
        events.push(e);
        if (e.status !== 'IN_PROGRESS') break;
        ctx = e.callbackContext as Ctx;
        aws.clock.advance((e.callbackDelaySeconds ?? 0) * 1000);
    }
    return events;
}

test('a wait that would end past the deadline ends the operation, through the rollback, saying what it waited for', async () => {
    const undo: Phase = async (env) => next(withNote(env.ctx, `Rolled back: key store ${ID} was deleted.`));
    const events = await invocations(toy(2, [['undo', undo]]), 10);
    const last = events[events.length - 1];
    expect(events.slice(0, -1).every((e) => e.status === 'IN_PROGRESS')).toBe(true);
    expect(events).toHaveLength(5); // the waits asked at 0, 30, 60 and 90 s end by 120 s; the one asked at 120 s would not
    expect(last.status).toBe('FAILED');
    expect(last.errorCode).toBe(HandlerErrorCode.NotStabilized);
    expect(last.message).toBe(
        `The toy stopped after 2 minutes, the most this handler gives one toy (so that it answers before CloudFormation's own timeout). When it stopped: Waiting for key store ${ID} to connect. Rolled back: key store ${ID} was deleted.`,
    );
});

test('the operation start is kept in the callbackContext of a workflow with a deadline, and only there', async () => {
    const [withDeadline] = await invocations(toy(5), 1);
    const [without] = await invocations(toy(undefined), 1);
    expect((withDeadline.callbackContext as Ctx).startedAt).toEqual(expect.any(Number));
    expect((without.callbackContext as Ctx).startedAt).toBeUndefined();
});

test("the update's deadline leaves a margin before the schema's timeoutInMinutes, for the invocation that answers", () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '../../custom-kms-cloudhsmkeystore.json'), 'utf8')) as {
        handlers: Record<string, { timeoutInMinutes?: number }>;
    };
    expect(updateWorkflow.deadlineMinutes).toBe(UPDATE_DEADLINE_MINUTES);
    expect(UPDATE_DEADLINE_MINUTES + 10).toBeLessThanOrEqual(schema.handlers.update.timeoutInMinutes ?? 120);
    // longer than every phase budget of the longest update: disconnect 10 + connect 25 + disconnect 10 + command 13 + connect 25
    expect(UPDATE_DEADLINE_MINUTES).toBeGreaterThan(10 + 25 + 10 + 13 + 25);
});
