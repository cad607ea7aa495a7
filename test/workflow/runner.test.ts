/** The runner's own rules, with toy workflows (the real ones are driven in the other files). */
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { done, fail, next, wait } from '../../src/engine/outcomes';
import { propsOf } from '../../src/keystore/props';
import { runWorkflow } from '../../src/engine/runner';
import { keyStoreKind, listed, succeeded } from '../../src/keystore/kind';
import type { Ctx, Phase, Workflow } from '../../src/keystore/types';
import { FakeAws } from '../fakes/aws';
import { checkEveryDrive } from '../fakes/checks';
import { deepFreeze, DEFAULT_REQUEST } from '../fakes/drive';
import { desiredProps } from '../fakes/world';

checkEveryDrive();

function toy(phases: Array<[string, Phase]>, rollback?: Array<[string, Phase]>): Workflow {
    return {
        name: 'toy',
        kind: keyStoreKind,
        phases,
        rollback,
        finish: async (_env, ctx) => ({ customKeyStoreId: ctx.storeId, keyStoreName: 'toy' }),
        progressModel: (desired, ctx) => ({ ...desired, customKeyStoreId: ctx.storeId ?? desired.customKeyStoreId }),
    };
}

function run(wf: Workflow, ctx: Ctx = {}, budgetMs = 45_000) {
    const aws = new FakeAws();
    const logs: string[] = [];
    const env = { aws: aws.adapters(), request: DEFAULT_REQUEST, desired: deepFreeze(desiredProps()), previous: {}, log: (m: string) => logs.push(m) };
    return { aws, logs, event: runWorkflow(wf, env, deepFreeze(ctx), { clock: aws.clock, budgetMs }) };
}

describe('events carry the model', () => {
    test('succeeded(): the resourceModel has the properties it was given', () => {
        const e = succeeded({ customKeyStoreId: 'cks-1234567890abcdef0', keyStoreName: 'ks', deleteKeyStoreUponStackDeletion: false });
        expect(propsOf(e.resourceModel)).toEqual({ customKeyStoreId: 'cks-1234567890abcdef0', keyStoreName: 'ks', deleteKeyStoreUponStackDeletion: false });
        expect(e.serialize().resourceModel).toEqual({ CustomKeyStoreId: 'cks-1234567890abcdef0', KeyStoreName: 'ks', DeleteKeyStoreUponStackDeletion: false });
    });

    test('listed(): every model has its properties', () => {
        const e = listed([{ customKeyStoreId: 'cks-1' }, { customKeyStoreId: 'cks-2' }], 'next');
        expect(e.resourceModels?.map((m) => m.customKeyStoreId)).toEqual(['cks-1', 'cks-2']);
    });

    test('IN_PROGRESS: the model carries the id and the request properties', async () => {
        const wf = toy([['make', async (env) => wait({ ...env.ctx, storeId: 'cks-0000000000000000a' }, 30, 'waiting')]]);
        const e = await run(wf).event;
        expect(e.status).toBe('IN_PROGRESS');
        expect(e.callbackDelaySeconds).toBe(30);
        expect(propsOf(e.resourceModel)).toEqual({ ...desiredProps(), customKeyStoreId: 'cks-0000000000000000a' });
    });
});

describe('waits', () => {
    test('an inline wait sleeps inside the invocation; a long one hands back IN_PROGRESS', async () => {
        let polls = 0;
        const wf = toy([
            ['poll', async (env) => (++polls < 3 ? wait({ ...env.ctx, storeId: 'cks-1' }, 4, 'short', true) : next(env.ctx))],
            ['long', async (env) => ((env.ctx.attempt ?? 0) < 1 ? wait(env.ctx, 60, 'long') : next(env.ctx))],
        ]);
        const r = run(wf);
        const e = await r.event;
        expect(polls).toBe(3);
        expect(e.status).toBe('IN_PROGRESS');
        expect(e.callbackContext).toMatchObject({ phase: 'long', attempt: 1, waited: 60 });
        expect(r.aws.clock.now() - Date.UTC(2026, 10, 28, 12, 0, 0)).toBe(8_000);
        expect(r.logs).toEqual([
            'toy/poll: wait',
            'toy/poll: wait',
            'toy/poll: next',
            'toy/long: wait',
            'toy: IN_PROGRESS after 8000 ms of handler time in this invocation',
        ]);
    });

    test('before the id exists, a long wait is taken inline', async () => {
        let n = 0;
        const wf = toy([['early', async (env) => (++n < 2 ? wait(env.ctx, 20, 'early') : next({ ...env.ctx, storeId: 'cks-1' }))]]);
        const e = await run(wf).event;
        expect(e.status).toBe('SUCCESS');
        expect(n).toBe(2);
    });

    test('before the id exists and out of time, after something was made: FAILED, and the rollback undid it', async () => {
        const undone: string[] = [];
        const wf = toy(
            [
                ['make', async (env) => next({ ...env.ctx, notes: ['made a thing'] })],
                ['stall', async (env) => wait(env.ctx, 60, 'stalled')],
            ],
            [['undo', async (env) => (undone.push('undo'), next(env.ctx))]],
        );
        const e = await run(wf, {}, 30_000).event;
        expect(e.status).toBe('FAILED');
        expect(e.errorCode).toBe(HandlerErrorCode.NotStabilized);
        expect(undone).toEqual(['undo']);
    });
});

describe('failures and rollback', () => {
    test('a fail runs the rollback phases, then reports the original failure with their notes', async () => {
        const wf = toy(
            [['boom', async (env) => fail(env.ctx, HandlerErrorCode.InvalidRequest, 'bad input.')]],
            [
                ['undo1', async (env) => next({ ...env.ctx, notes: [...(env.ctx.notes ?? []), 'undo1 done.'] })],
                ['undo2', async (env) => done({ ...env.ctx, notes: [...(env.ctx.notes ?? []), 'undo2 done.'] })],
            ],
        );
        const e = await run(wf).event;
        expect(e.status).toBe('FAILED');
        expect(e.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(e.message).toBe('Bad input. undo1 done. undo2 done.');
    });

    test('a rollback phase that fails: the original failure, and that the rollback did not finish', async () => {
        const wf = toy(
            [['boom', async (env) => fail(env.ctx, HandlerErrorCode.AlreadyExists, 'taken.')]],
            [
                [
                    'undo',
                    async () => {
                        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
                    },
                ],
            ],
        );
        const e = await run(wf).event;
        expect(e.errorCode).toBe(HandlerErrorCode.AlreadyExists);
        expect(e.message).toMatch(/^Taken\. The rollback did not finish: toy \(undo\) was denied \(AccessDeniedException\)\./);
    });

    test('an unknown phase in the callbackContext: InternalFailure', async () => {
        const e = await run(toy([['a', async (env) => next(env.ctx)]]), { phase: 'nope' }).event;
        expect(e.errorCode).toBe(HandlerErrorCode.InternalFailure);
        expect(e.message).toContain('unknown phase nope');
    });

    test('an unknown error from a phase: InternalFailure naming it', async () => {
        const e = await run(
            toy([
                [
                    'a',
                    async () => {
                        throw Object.assign(new Error('weird'), { name: 'SomethingNewException' });
                    },
                ],
            ]),
        ).event;
        expect(e.errorCode).toBe(HandlerErrorCode.InternalFailure);
        expect(e.message).toContain('SomethingNewException');
    });
});
