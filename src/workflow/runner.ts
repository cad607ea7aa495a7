import { HandlerErrorCode, OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { mapAwsError } from '../errors';
import { ResourceModel } from '../models';
import { Ctx, KeyStoreProps, Outcome, Phase, PhaseEnv, Workflow } from './types';

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** Only the local simulator sets this: it runs AWS time faster, so the handler's inline waits shrink with it. */
const localTimeScale = (): number => Number(process.env.KEYSTORE_LOCAL_TIME_SCALE ?? 1);

/**
 * Wall time, one clock per invocation. Under the local simulator a sleep takes `ms * scale` real time but
 * advances this clock by the whole `ms`, so an invocation's budget holds as many waits as in AWS, while the
 * handler's own work (and AWS calls) count as long as they really take.
 */
export function wallClock(): Clock {
    let skippedMs = 0;
    return {
        now: () => Date.now() + skippedMs,
        sleep: async (ms) => {
            const scale = localTimeScale();
            await new Promise((resolve) => setTimeout(resolve, ms * scale));
            if (scale < 1) skippedMs += ms * (1 - scale);
        },
    };
}

export interface RunnerOptions {
    clock?: Clock;
    /** How long one invocation may work before it hands back with IN_PROGRESS. */
    budgetMs?: number;
}

const THROTTLE_WAITS = [5, 10, 20, 40, 60, 60];
/**
 * How long one invocation works before it hands back: CloudFormation allows 60 s, and an invocation that
 * stays under 30 s costs no duration charge (registry handler pricing bills seconds beyond 30).
 */
const DEFAULT_BUDGET_MS = 25_000;
/** The callbackContext phase of a workflow whose phases are done but whose final read was throttled. */
const FINISH = '#finish';
const SAFETY_MS = 2_000;

export type Env = Omit<PhaseEnv, 'ctx' | 'timeLeftMs'>;

function toModel(props: KeyStoreProps): ResourceModel {
    return new ResourceModel({ ...props });
}

export function succeeded(props: KeyStoreProps | undefined, message = ''): ProgressEvent<ResourceModel> {
    const b = ProgressEvent.builder<ProgressEvent<ResourceModel>>().status(OperationStatus.Success).message(message);
    if (props) b.resourceModel(toModel(props));
    return b.build();
}

export function listed(models: KeyStoreProps[], nextToken?: string): ProgressEvent<ResourceModel> {
    const b = ProgressEvent.builder<ProgressEvent<ResourceModel>>().status(OperationStatus.Success).resourceModels(models.map(toModel));
    if (nextToken) b.nextToken(nextToken);
    return b.build();
}

export function failed(code: HandlerErrorCode, message: string): ProgressEvent<ResourceModel> {
    return ProgressEvent.failed<ProgressEvent<ResourceModel>>(code, message);
}

function inProgress(props: KeyStoreProps, ctx: Ctx, seconds: number, message: string): ProgressEvent<ResourceModel> {
    return ProgressEvent.builder<ProgressEvent<ResourceModel>>()
        .status(OperationStatus.InProgress)
        .resourceModel(toModel(props))
        .callbackContext({ ...ctx })
        .callbackDelaySeconds(Math.max(0, Math.round(seconds)))
        .message(message)
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

function rollbackSummary(ctx: Ctx): string {
    return ctx.notes && ctx.notes.length ? ` ${ctx.notes.join(' ')}` : '';
}

/**
 * The only place that turns phases into ProgressEvents: runs phases while they say "next", sleeps short
 * inline waits, returns IN_PROGRESS for long ones, SUCCESS with the workflow's final model, or FAILED
 * (after the workflow's rollback phases have undone what the operation made).
 */
export async function runWorkflow(wf: Workflow, env: Env, incoming: Readonly<Ctx>, opts: RunnerOptions = {}): Promise<ProgressEvent<ResourceModel>> {
    const clock = opts.clock ?? wallClock();
    const started = clock.now();
    const event = await runPhases(wf, env, incoming, clock, started, opts.budgetMs);
    // Operators (and npm run bench) see how long each invocation worked: the registry bills seconds beyond 30.
    env.log(`${wf.name}: ${event.status} after ${Math.round(clock.now() - started)} ms of handler time in this invocation`);
    return event;
}

async function runPhases(wf: Workflow, env: Env, incoming: Readonly<Ctx>, clock: Clock, started: number, budget?: number): Promise<ProgressEvent<ResourceModel>> {
    const budgetMs = budget ?? Number(process.env.KEYSTORE_INVOCATION_BUDGET_MS ?? DEFAULT_BUDGET_MS);
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
                const message = `${outcome.message} (gave up: no time left in this invocation)`;
                if (ctx.failure) return failed(ctx.failure.code, `${ctx.failure.message} Rollback did not finish: ${message}${rollbackSummary(ctx)}`);
                if (!wf.rollback) return failed(HandlerErrorCode.NotStabilized, message);
                ctx = entering({ ...ctx, failure: { code: HandlerErrorCode.NotStabilized, message } }, wf.rollback[0][0]);
                continue;
            }
            case 'done':
                if (ctx.failure) return failed(ctx.failure.code, ctx.failure.message + rollbackSummary(ctx));
                return finish(wf, env, ctx, timeLeftMs, outcome.message);
            case 'fail':
                if (ctx.failure) {
                    return failed(ctx.failure.code, `${ctx.failure.message} Rollback did not finish: ${outcome.message}${rollbackSummary(ctx)}`);
                }
                if (!wf.rollback) return failed(outcome.code, outcome.message);
                ctx = entering({ ...ctx, failure: { code: outcome.code, message: outcome.message } }, wf.rollback[0][0]);
                continue;
        }
    }
}

async function finish(wf: Workflow, env: Env, ctx: Ctx, timeLeftMs: () => number, message?: string): Promise<ProgressEvent<ResourceModel>> {
    if (ctx.failure) return failed(ctx.failure.code, ctx.failure.message + rollbackSummary(ctx));
    try {
        const model = await wf.finish({ ...env, desired: desiredOf(env, ctx), ctx, timeLeftMs }, ctx);
        return succeeded(model, message ?? (ctx.notes ?? []).join(' '));
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

/**
 * The callbackContext that makes the next runWorkflow undo what the operation made and then report this
 * failure (for a caller whose own deadline is near, e.g. a custom resource's service timeout).
 */
export function abandon(wf: Workflow, ctx: Readonly<Ctx>, code: HandlerErrorCode, message: string): Ctx {
    if (ctx.failure || !wf.rollback) return { ...ctx };
    return entering({ ...ctx, failure: { code, message } }, wf.rollback[0][0]);
}
