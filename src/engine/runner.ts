import { BaseModel, HandlerErrorCode, OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { mapAwsError } from '../errors';
import { compose } from './message';
import { Clock, handlerClock } from './clock';
import { Outcome, Phase, PhaseEnv, ResourceKind, RunnerCtx, Workflow } from './types';

export type { Clock } from './clock';

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
/**
 * Before the identifier exists no IN_PROGRESS can be returned, so those first steps get 15 s more: 40 s of the
 * handler's own work. CloudFormation's 60 s for the invocation (and for the first create invocation to return the
 * primary identifier) also hold what is not the handler's: a cold start (Lambda's Init phase, up to 10 s) and the
 * library's delivery of the invocation's log lines and metrics after the handler returns.
 */
const UNIDENTIFIED_EXTRA_MS = 15_000;
/** The callbackContext phase of a workflow whose phases are done but whose final read was throttled. */
const FINISH = '#finish';
const SAFETY_MS = 2_000;

export type Env<P> = Omit<PhaseEnv<P, unknown>, 'ctx' | 'timeLeftMs' | 'now'>;

/** The SUCCESS events of one resource type: with a model, or LIST's models and next token. */
export function eventsOf<P, M extends BaseModel>(kind: ResourceKind<P, M>) {
    return {
        succeeded(props: P | undefined, ...message: Array<string | undefined>): ProgressEvent<M> {
            const b = ProgressEvent.builder<ProgressEvent<M>>()
                .status(OperationStatus.Success)
                .message(compose(...message));
            if (props) b.resourceModel(kind.toModel(props));
            return b.build();
        },
        listed(models: P[], nextToken?: string): ProgressEvent<M> {
            const b = ProgressEvent.builder<ProgressEvent<M>>()
                .status(OperationStatus.Success)
                .resourceModels(models.map((p) => kind.toModel(p)));
            if (nextToken) b.nextToken(nextToken);
            return b.build();
        },
    };
}

export function failed<M extends BaseModel = BaseModel>(code: HandlerErrorCode, ...message: Array<string | undefined>): ProgressEvent<M> {
    return ProgressEvent.failed<ProgressEvent<M>>(code, compose(...message));
}

function inProgress<P, M extends BaseModel>(kind: ResourceKind<P, M>, props: P, ctx: object, seconds: number, message: string): ProgressEvent<M> {
    return ProgressEvent.builder<ProgressEvent<M>>()
        .status(OperationStatus.InProgress)
        .resourceModel(kind.toModel(props))
        .callbackContext({ ...ctx })
        .callbackDelaySeconds(Math.max(0, Math.round(seconds)))
        .message(compose(message))
        .build();
}

/** Runs a single-shot action (Read, List) and turns any error into a FAILED event from the error table. */
export async function runOnce<M extends BaseModel>(action: string, fn: () => Promise<ProgressEvent<M>>): Promise<ProgressEvent<M>> {
    try {
        return await fn();
    } catch (err) {
        const m = mapAwsError(err, action);
        return failed<M>(m.code, m.message);
    }
}

/** The request's properties, with what a record recalled filling the gaps. */
function desiredOf<P>(env: Env<P>, ctx: RunnerCtx<P>): P {
    return ctx.recalled ? { ...ctx.recalled, ...env.desired } : env.desired;
}

function phaseList<P, C extends RunnerCtx<P>, M extends BaseModel>(wf: Workflow<P, C, M>, ctx: C): ReadonlyArray<readonly [string, Phase<P, C>]> {
    return ctx.failure && wf.rollback ? wf.rollback : wf.phases;
}

function entering<C extends RunnerCtx<unknown>>(ctx: C, phase: string | undefined): C {
    return { ...ctx, phase, attempt: undefined, waited: undefined, retries: undefined };
}

/** What the operation did or undid, as notes the phases left, for the final message. */
const notesOf = (ctx: RunnerCtx<unknown>): string[] => ctx.notes ?? [];
function leftOf<P, C extends RunnerCtx<P>, M extends BaseModel>(
    wf: Workflow<P, C, M>,
    env: Env<P>,
    ctx: C,
    timeLeftMs: () => number,
    now: () => number,
): string | undefined {
    return wf.leftAfterRollback?.({ ...env, desired: desiredOf(env, ctx), ctx, timeLeftMs, now }, ctx);
}
const unfinished = (why: string) => `The rollback did not finish: ${why.trim().replace(/^[A-Z]/, (c) => c.toLowerCase())}`;

/** When the operation must stop waiting (wf.deadlineMinutes after its first invocation), if the workflow has a deadline. */
function deadlineOf<P, C extends RunnerCtx<P>, M extends BaseModel>(wf: Workflow<P, C, M>, ctx: C): number | undefined {
    return wf.deadlineMinutes !== undefined && ctx.startedAt !== undefined ? ctx.startedAt + wf.deadlineMinutes * 60_000 : undefined;
}

/**
 * The only place that turns phases into ProgressEvents: runs phases while they say "next", sleeps short
 * inline waits, returns IN_PROGRESS for long ones, SUCCESS with the workflow's final model, or FAILED
 * (after the workflow's rollback phases have undone what the operation made).
 */
export async function runWorkflow<P, C extends RunnerCtx<P>, M extends BaseModel>(
    wf: Workflow<P, C, M>,
    env: Env<P>,
    incoming: Readonly<C>,
    opts: RunnerOptions = {},
): Promise<ProgressEvent<M>> {
    const clock = opts.clock ?? handlerClock();
    const started = clock.now();
    const event = await runPhases(wf, env, incoming, clock, started, opts.budgetMs);
    // Operators (and npm run bench) see how long each invocation worked: the registry bills seconds beyond 30.
    env.log(`${wf.name}: ${event.status} after ${Math.round(clock.now() - started)} ms of handler time in this invocation`);
    return event;
}

async function runPhases<P, C extends RunnerCtx<P>, M extends BaseModel>(
    wf: Workflow<P, C, M>,
    env: Env<P>,
    incoming: Readonly<C>,
    clock: Clock,
    started: number,
    budget?: number,
): Promise<ProgressEvent<M>> {
    const budgetMs = budget ?? DEFAULT_BUDGET_MS;
    // Until the resource has its identifier no IN_PROGRESS can be returned, so those first steps may use the
    // rest of CloudFormation's 60 s rather than fail: the budget stretches until an identifier exists.
    let identified = false;
    // (Only with the default budget: a caller that sets one, like the custom resource, knows its own limits.)
    const extraMs = budget === undefined ? UNIDENTIFIED_EXTRA_MS : 0;
    const timeLeftMs = () => budgetMs + (identified ? 0 : extraMs) - (clock.now() - started);
    const now = () => clock.now();
    let ctx: C = { ...incoming };
    if (!ctx.phase) ctx = entering(ctx, wf.phases[0][0]);
    if (wf.deadlineMinutes !== undefined && ctx.startedAt === undefined) ctx = { ...ctx, startedAt: clock.now() };
    if (ctx.phase === FINISH) return finish(wf, env, ctx, timeLeftMs, now);

    for (;;) {
        const list = phaseList(wf, ctx);
        const index = list.findIndex(([name]) => name === ctx.phase);
        if (index < 0) return failed<M>(HandlerErrorCode.InternalFailure, `${wf.name}: unknown phase ${String(ctx.phase)} in callbackContext`);
        const [name, phase] = list[index];
        identified = identified || Boolean(wf.kind.identifier(wf.progressModel(desiredOf(env, ctx), ctx)));
        const phaseEnv: PhaseEnv<P, C> = { ...env, desired: desiredOf(env, ctx), ctx, timeLeftMs, now };
        let outcome: Outcome<C>;
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
                return finish(wf, env, ctx, timeLeftMs, now);
            }
            case 'wait': {
                // A wait past the operation's own deadline ends it here, saying what it waited for, rather than
                // leave CloudFormation's timeoutInMinutes to end it without a word.
                const deadline = deadlineOf(wf, ctx);
                if (deadline !== undefined && !ctx.failure && clock.now() + outcome.seconds * 1000 > deadline) {
                    const minutes = Math.round((clock.now() - (ctx.startedAt ?? started)) / 60_000);
                    const message = compose(
                        `The ${wf.name} stopped after ${minutes} minute${minutes === 1 ? '' : 's'}, the most this handler gives one ${wf.name} (so that it answers before CloudFormation's own timeout).`,
                        `When it stopped: ${outcome.message}`,
                    );
                    if (!wf.rollback) return failed(HandlerErrorCode.NotStabilized, message, ...notesOf(ctx));
                    ctx = entering({ ...ctx, failure: { code: HandlerErrorCode.NotStabilized, message } }, wf.rollback[0][0]);
                    continue;
                }
                // Every IN_PROGRESS must carry the primary identifier: before the store exists, waits stay inline.
                const model = wf.progressModel(desiredOf(env, ctx), ctx);
                const id = wf.kind.identifier(model);
                const fits = outcome.seconds * 1000 + SAFETY_MS < timeLeftMs();
                if (fits && (outcome.inline || !id)) {
                    await clock.sleep(outcome.seconds * 1000);
                    continue;
                }
                if (id) return inProgress(wf.kind, model, ctx, outcome.seconds, outcome.message);
                // No id to carry and no time left: a failure like any other, so the rollback undoes what was made.
                const message = compose(outcome.message, 'The handler gave up: no time was left in this invocation.');
                if (ctx.failure)
                    return failed(ctx.failure.code, ctx.failure.message, unfinished(message), ...notesOf(ctx), leftOf(wf, env, ctx, timeLeftMs, now));
                if (!wf.rollback) return failed(HandlerErrorCode.NotStabilized, message);
                ctx = entering({ ...ctx, failure: { code: HandlerErrorCode.NotStabilized, message } }, wf.rollback[0][0]);
                continue;
            }
            case 'done':
                if (ctx.failure) return failed(ctx.failure.code, ctx.failure.message, ...notesOf(ctx));
                return finish(wf, env, ctx, timeLeftMs, now, outcome.message);
            case 'fail':
                if (ctx.failure) {
                    return failed(ctx.failure.code, ctx.failure.message, unfinished(outcome.message), ...notesOf(ctx), leftOf(wf, env, ctx, timeLeftMs, now));
                }
                if (!wf.rollback) return failed(outcome.code, outcome.message);
                ctx = entering({ ...ctx, failure: { code: outcome.code, message: outcome.message } }, wf.rollback[0][0]);
                continue;
        }
    }
}

async function finish<P, C extends RunnerCtx<P>, M extends BaseModel>(
    wf: Workflow<P, C, M>,
    env: Env<P>,
    ctx: C,
    timeLeftMs: () => number,
    now: () => number,
    message?: string,
): Promise<ProgressEvent<M>> {
    if (ctx.failure) return failed<M>(ctx.failure.code, ctx.failure.message, ...notesOf(ctx));
    try {
        const model = await wf.finish({ ...env, desired: desiredOf(env, ctx), ctx, timeLeftMs, now }, ctx);
        return eventsOf(wf.kind).succeeded(model, ...(message ? [message] : notesOf(ctx)));
    } catch (err) {
        const m = mapAwsError(err, `${wf.name} (finish)`);
        const retries = ctx.retries ?? 0;
        const model = wf.progressModel(desiredOf(env, ctx), ctx);
        if (m.retryable && retries < THROTTLE_WAITS.length && wf.kind.identifier(model)) {
            return inProgress(
                wf.kind,
                model,
                { ...ctx, phase: FINISH, retries: retries + 1 },
                THROTTLE_WAITS[retries],
                `AWS throttled the final read; retrying.`,
            );
        }
        return failed<M>(m.code, m.message);
    }
}

/**
 * The callbackContext that makes the next runWorkflow undo what the operation made and then report this
 * failure (for a caller whose own deadline is near, e.g. a custom resource's service timeout).
 */
export function abandon<P, C extends RunnerCtx<P>, M extends BaseModel>(wf: Workflow<P, C, M>, ctx: Readonly<C>, code: HandlerErrorCode, message: string): C {
    if (ctx.failure || !wf.rollback) return { ...ctx };
    return entering({ ...ctx, failure: { code, message } }, wf.rollback[0][0]);
}
