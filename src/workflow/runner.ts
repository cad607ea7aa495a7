import { HandlerErrorCode, OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { mapAwsError } from '../errors';
import { compose } from './message';
import { ResourceModel } from '../models';
import { Ctx, KeyStoreProps, Outcome, Phase, PhaseEnv, Workflow } from './types';

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** Only the local simulator sets this: it runs AWS time faster, so the handler's inline waits shrink with it. */
const localTimeScale = (): number => Number(process.env.KEYSTORE_LOCAL_TIME_SCALE ?? 1);

export const realClock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms * localTimeScale())),
};

export interface RunnerOptions {
    clock?: Clock;
    /** How long one invocation may work before it hands back with IN_PROGRESS. */
    budgetMs?: number;
}

const THROTTLE_WAITS = [5, 10, 20, 40, 60, 60];
/** The callbackContext phase of a workflow whose phases are done but whose final read was throttled. */
const FINISH = '#finish';
const SAFETY_MS = 2_000;

export type Env = Omit<PhaseEnv, 'ctx' | 'timeLeftMs'>;

function toModel(props: KeyStoreProps): ResourceModel {
    return new ResourceModel({ ...props });
}

export function succeeded(props: KeyStoreProps | undefined, ...message: Array<string | undefined>): ProgressEvent<ResourceModel> {
    const b = ProgressEvent.builder<ProgressEvent<ResourceModel>>().status(OperationStatus.Success).message(compose(...message));
    if (props) b.resourceModel(toModel(props));
    return b.build();
}

export function listed(models: KeyStoreProps[], nextToken?: string): ProgressEvent<ResourceModel> {
    const b = ProgressEvent.builder<ProgressEvent<ResourceModel>>().status(OperationStatus.Success).resourceModels(models.map(toModel));
    if (nextToken) b.nextToken(nextToken);
    return b.build();
}

export function failed(code: HandlerErrorCode, ...message: Array<string | undefined>): ProgressEvent<ResourceModel> {
    return ProgressEvent.failed<ProgressEvent<ResourceModel>>(code, compose(...message));
}

function inProgress(props: KeyStoreProps, ctx: Ctx, seconds: number, message: string): ProgressEvent<ResourceModel> {
    return ProgressEvent.builder<ProgressEvent<ResourceModel>>()
        .status(OperationStatus.InProgress)
        .resourceModel(toModel(props))
        .callbackContext({ ...ctx })
        .callbackDelaySeconds(Math.max(0, Math.round(seconds)))
        .message(compose(message))
        .build();
}

/** Runs a single-shot action (Read, List) and turns any error into a FAILED event from the error table. */
export async function runOnce(action: string, fn: () => Promise<ProgressEvent<ResourceModel>>): Promise<ProgressEvent<ResourceModel>> {
    try {
        return await fn();
    } catch (err) {
        const m = mapAwsError(err, action);
        return failed(m.code, m.message);
    }
}

/** The request's properties, with what the store's record recalled filling the gaps. */
function desiredOf(env: Env, ctx: Ctx): KeyStoreProps {
    return ctx.recalled ? { ...ctx.recalled, ...env.desired } : env.desired;
}

function phaseList(wf: Workflow, ctx: Ctx): ReadonlyArray<readonly [string, Phase]> {
    return ctx.failure && wf.rollback ? wf.rollback : wf.phases;
}

function entering(ctx: Ctx, phase: string | undefined): Ctx {
    return { ...ctx, phase, attempt: undefined, waited: undefined, retries: undefined };
}

/** What the operation did or undid, as notes the phases left, for the final message. */
const notesOf = (ctx: Ctx): string[] => ctx.notes ?? [];
const leftOf = (wf: Workflow, env: Env, ctx: Ctx, timeLeftMs: () => number) => wf.leftAfterRollback?.({ ...env, desired: desiredOf(env, ctx), ctx, timeLeftMs }, ctx);
const unfinished = (why: string) => `The rollback did not finish: ${why.trim().replace(/^[A-Z]/, (c) => c.toLowerCase())}`;

/**
 * The only place that turns phases into ProgressEvents: runs phases while they say "next", sleeps short
 * inline waits, returns IN_PROGRESS for long ones, SUCCESS with the workflow's final model, or FAILED
 * (after the workflow's rollback phases have undone what the operation made).
 */
export async function runWorkflow(wf: Workflow, env: Env, incoming: Readonly<Ctx>, opts: RunnerOptions = {}): Promise<ProgressEvent<ResourceModel>> {
    const clock = opts.clock ?? realClock;
    const budgetMs = opts.budgetMs ?? Number(process.env.KEYSTORE_INVOCATION_BUDGET_MS ?? 45_000);
    const started = clock.now();
    const timeLeftMs = () => budgetMs - (clock.now() - started);
    let ctx: Ctx = { ...incoming };
    if (!ctx.phase) ctx = entering(ctx, wf.phases[0][0]);
    if (ctx.phase === FINISH) return finish(wf, env, ctx, timeLeftMs);

    for (;;) {
        const list = phaseList(wf, ctx);
        const index = list.findIndex(([name]) => name === ctx.phase);
        if (index < 0) return failed(HandlerErrorCode.InternalFailure, `${wf.name}: unknown phase ${String(ctx.phase)} in callbackContext`);
        const [name, phase] = list[index];
        const phaseEnv: PhaseEnv = { ...env, desired: desiredOf(env, ctx), ctx, timeLeftMs };
        let outcome: Outcome;
        try {
            outcome = await phase(phaseEnv);
        } catch (err) {
            const m = mapAwsError(err, `${wf.name} (${name})`);
            const retries = ctx.retries ?? 0;
            outcome =
                m.retryable && retries < THROTTLE_WAITS.length
                    ? { kind: 'wait', ctx: { ...ctx, retries: retries + 1 }, seconds: THROTTLE_WAITS[retries], message: `AWS throttled ${name}; retrying.` }
                    : { kind: 'fail', ctx, code: m.code, message: m.message };
        }
        env.log(`${wf.name}/${name}: ${outcome.kind}`);
        ctx = outcome.ctx;

        switch (outcome.kind) {
            case 'next': {
                const target = outcome.to ?? list[index + 1]?.[0];
                ctx = entering(ctx, target);
                if (target !== undefined) continue;
                return finish(wf, env, ctx, timeLeftMs);
            }
            case 'wait': {
                // Every IN_PROGRESS must carry the primary identifier: before the store exists, waits stay inline.
                const model = wf.progressModel(desiredOf(env, ctx), ctx);
                const fits = outcome.seconds * 1000 + SAFETY_MS < timeLeftMs();
                if (fits && (outcome.inline || !model.customKeyStoreId)) {
                    await clock.sleep(outcome.seconds * 1000);
                    continue;
                }
                if (model.customKeyStoreId) return inProgress(model, ctx, outcome.seconds, outcome.message);
                // No id to carry and no time left: a failure like any other, so the rollback undoes what was made.
                const message = compose(outcome.message, 'The handler gave up: no time was left in this invocation.');
                if (ctx.failure) return failed(ctx.failure.code, ctx.failure.message, unfinished(message), ...notesOf(ctx), leftOf(wf, env, ctx, timeLeftMs));
                if (!wf.rollback) return failed(HandlerErrorCode.NotStabilized, message);
                ctx = entering({ ...ctx, failure: { code: HandlerErrorCode.NotStabilized, message } }, wf.rollback[0][0]);
                continue;
            }
            case 'done':
                if (ctx.failure) return failed(ctx.failure.code, ctx.failure.message, ...notesOf(ctx));
                return finish(wf, env, ctx, timeLeftMs, outcome.message);
            case 'fail':
                if (ctx.failure) {
                    return failed(ctx.failure.code, ctx.failure.message, unfinished(outcome.message), ...notesOf(ctx), leftOf(wf, env, ctx, timeLeftMs));
                }
                if (!wf.rollback) return failed(outcome.code, outcome.message);
                ctx = entering({ ...ctx, failure: { code: outcome.code, message: outcome.message } }, wf.rollback[0][0]);
                continue;
        }
    }
}

async function finish(wf: Workflow, env: Env, ctx: Ctx, timeLeftMs: () => number, message?: string): Promise<ProgressEvent<ResourceModel>> {
    if (ctx.failure) return failed(ctx.failure.code, ctx.failure.message, ...notesOf(ctx));
    try {
        const model = await wf.finish({ ...env, desired: desiredOf(env, ctx), ctx, timeLeftMs }, ctx);
        return succeeded(model, ...(message ? [message] : notesOf(ctx)));
    } catch (err) {
        const m = mapAwsError(err, `${wf.name} (finish)`);
        const retries = ctx.retries ?? 0;
        const model = wf.progressModel(desiredOf(env, ctx), ctx);
        if (m.retryable && retries < THROTTLE_WAITS.length && model.customKeyStoreId) {
            return inProgress(model, { ...ctx, phase: FINISH, retries: retries + 1 }, THROTTLE_WAITS[retries], `AWS throttled the final read; retrying.`);
        }
        return failed(m.code, m.message);
    }
}
