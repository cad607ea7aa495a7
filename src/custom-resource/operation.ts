import { BaseModel, HandlerErrorCode, OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { abandon, Clock, Env, runWorkflow } from '../engine/runner';
import type { Adapters } from '../aws/adapters';
import { RunnerCtx } from '../engine/types';
import { CfnRequest, Continuation, WorkflowName } from './event';
import { requestInfo } from './env';
import { failedCreateId, toOutcome } from './outcome';
import { serviceTimeoutSeconds } from './props';
import { Outcome } from './response';
import { AnyProviderType, providerTypeOf } from './types';

/** Kept free at the end of each invocation for the response PUT (with its retries) or the hand-off. */
export const RESERVE_MS = 20_000;
/**
 * Lambda's recursive loop detection stops the next invocation of a function invoked more than 16 times in one
 * chain of requests (Lambda developer guide, invocation-recursion), and an asynchronous event it stops is
 * dropped: the operation would never answer. The provider template allows recursive loops (RecursiveLoop:
 * Allow), and an operation still uses at most this many invocations, well under the limit, so it answers
 * however the function was deployed. With the template's 900 s timeout a one-hour operation needs five.
 */
export const MAX_INVOCATIONS = 12;
/** A create that has not finished by this invocation starts its rollback, which the last ones are kept for. */
export const ROLLBACK_FROM_INVOCATION = MAX_INVOCATIONS - 2;

export interface Deps {
    aws: Adapters;
    clock: Clock;
    log(line: string): void;
    /** Milliseconds this Lambda invocation has left (context.getRemainingTimeInMillis()). */
    remainingMs(): number;
    respond(outcome: Outcome): Promise<void>;
    handOff(next: Continuation): Promise<void>;
}

export type Plan = { kind: 'respond'; outcome: Outcome } | { kind: 'run'; workflow: WorkflowName; note?: string };

/** What a request asks for, decided from the event alone (so every invocation of it decides the same). */
export function planOf(r: CfnRequest): Plan {
    const t = providerTypeOf(r);
    const current = r.PhysicalResourceId ?? '';
    if (r.RequestType === 'Delete') {
        // A Delete after a failed Create carries the id of that FAILED response: there is nothing to delete.
        if (!t.idPattern.test(current))
            return {
                kind: 'respond',
                outcome: {
                    status: 'SUCCESS',
                    physicalResourceId: current || failedCreateId(r),
                    reason: `No ${t.noun} was created for this resource; nothing to delete.`,
                },
            };
        return { kind: 'run', workflow: 'delete' };
    }
    const parsed = t.rules.parse(r.LogicalResourceId, r.ResourceProperties);
    if (r.RequestType === 'Create') {
        return parsed.ok
            ? { kind: 'run', workflow: 'create' }
            : { kind: 'respond', outcome: { status: 'FAILED', physicalResourceId: failedCreateId(r), reason: parsed.message } };
    }
    if (!parsed.ok) return { kind: 'respond', outcome: { status: 'FAILED', physicalResourceId: current, reason: parsed.message } };
    if (!t.idPattern.test(current)) {
        return {
            kind: 'respond',
            outcome: { status: 'FAILED', physicalResourceId: current, reason: `${current} is not a ${t.idKind}; this resource has no ${t.noun} to update.` },
        };
    }
    const changed = t.rules.createOnlyChanges(t.rules.coerce(r.OldResourceProperties), parsed.raw);
    // CloudFormation's rule for create-only properties: a new resource, whose new id tells CloudFormation to delete the old one.
    if (changed.length) return { kind: 'run', workflow: 'create', note: `${changed.join(', ')} changed: replacing ${t.noun} ${current} with a new one.` };
    return { kind: 'run', workflow: 'update' };
}

function inputsOf<P>(t: AnyProviderType, r: CfnRequest, workflow: WorkflowName, learntId?: string): { desired: P; previous: P } {
    const desired = t.toProps(t.rules.coerce(r.ResourceProperties));
    const previous = t.toProps(t.rules.coerce(r.OldResourceProperties));
    if (workflow === 'create') return { desired: t.withId(desired, learntId), previous: t.toProps({}) };
    const id = r.PhysicalResourceId;
    return { desired: t.withId(desired, id), previous: t.withId(previous, id) };
}

interface Deadlines {
    /** Past this a create starts its rollback, so that it can still finish before the hard deadline. */
    rollback: number;
    /** Past this the operation answers FAILED: CloudFormation stops waiting at the service timeout. */
    answer: number;
}

export function deadlinesOf(r: CfnRequest, startedAt: number): Deadlines {
    const total = serviceTimeoutSeconds(r.ResourceProperties) * 1000;
    const answer = startedAt + total - Math.min(60_000, total / 10);
    return { answer, rollback: answer - Math.min(10 * 60_000, total / 3) };
}

/**
 * Runs (or resumes) the request's workflow with the registered type's runner: IN_PROGRESS becomes a wait
 * inside this invocation while it has time, else a hand-off to a new invocation. Ends with exactly one
 * response, or a hand-off that will.
 */
export async function drive(c: Continuation, deps: Deps): Promise<void> {
    const r = c.continuationOf;
    const t = providerTypeOf(r);
    const wf = t.definition.workflows[c.workflow];
    const deadlines = deadlinesOf(r, c.startedAt);
    const info = requestInfo(r);
    let ctx: RunnerCtx<unknown> = { ...c.callbackContext };
    let resourceId = c.resourceId;
    const invocation = c.hop + 1;
    /** This invocation's length: the function's timeout, for the message when the chain runs out. */
    const timeoutSeconds = Math.round(deps.remainingMs() / 1000);
    const tooLong = `The ${r.RequestType} needed more than ${MAX_INVOCATIONS} invocations of the provider function (each at most ${timeoutSeconds} s, its timeout); Lambda stops longer chains of invocations as recursive loops. Set the function's Timeout to 900 seconds (examples/custom-resource-provider.yaml), then retry.`;
    if (c.notBefore > deps.clock.now()) await deps.clock.sleep(c.notBefore - deps.clock.now());

    for (;;) {
        const now = deps.clock.now();
        if (now >= deadlines.answer) {
            const seconds = serviceTimeoutSeconds(r.ResourceProperties);
            return finish({
                status: OperationStatus.Failed,
                errorCode: HandlerErrorCode.NotStabilized,
                message: `The ${r.RequestType} did not finish within the custom resource's service timeout (${seconds} s); raise ServiceTimeout (at most 3600) or retry.`,
            } as ProgressEvent<BaseModel>);
        }
        if (now >= deadlines.rollback && wf.rollback && !ctx.failure) {
            deps.log(`${r.LogicalResourceId}: the service timeout is near; undoing what this ${c.workflow} made.`);
            ctx = abandon(wf, ctx, HandlerErrorCode.NotStabilized, `The ${r.RequestType} could not finish within the custom resource's service timeout.`);
        }
        if (invocation >= ROLLBACK_FROM_INVOCATION && wf.rollback && !ctx.failure) {
            deps.log(`${r.LogicalResourceId}: invocation ${invocation} of at most ${MAX_INVOCATIONS}; undoing what this ${c.workflow} made.`);
            ctx = abandon(wf, ctx, HandlerErrorCode.NotStabilized, tooLong);
        }
        // the runner polls inside its budget, so the budget ends where the rollback must begin
        const until = wf.rollback && !ctx.failure ? deadlines.rollback : deadlines.answer;
        const budgetMs = Math.min(deps.remainingMs() - RESERVE_MS, until - now);
        if (budgetMs <= 0) return handOff(now);
        const { desired, previous } = inputsOf<object>(t, r, c.workflow, resourceId);
        const env: Env<object> = { aws: deps.aws, request: info, desired, previous, log: deps.log };
        const pe = await runWorkflow(wf, env, ctx, { clock: deps.clock, budgetMs });
        if (pe.status !== OperationStatus.InProgress) return finish(pe);
        ctx = { ...(pe.callbackContext as RunnerCtx<unknown>) };
        resourceId = wf.kind.identifier(t.definition.propsOf(pe.resourceModel)) ?? resourceId;
        const delayMs = (pe.callbackDelaySeconds ?? 0) * 1000;
        deps.log(`${r.LogicalResourceId}: ${c.workflow} at ${ctx.phase ?? '?'}: ${pe.message ?? ''} (again in ${pe.callbackDelaySeconds ?? 0} s)`);
        // The first invocation hands off at once: its context is then durable in Lambda's queue, and a
        // retry of it never has to start over from a half-made resource.
        if (c.hop === 0 || delayMs + RESERVE_MS >= deps.remainingMs()) return handOff(deps.clock.now() + delayMs);
        await deps.clock.sleep(delayMs);
    }

    async function handOff(notBefore: number): Promise<void> {
        const next: Continuation = { ...c, callbackContext: ctx, resourceId, notBefore, hop: c.hop + 1 };
        if (next.hop + 1 > MAX_INVOCATIONS) {
            // One answer now rather than a continuation Lambda may drop, which would leave CloudFormation waiting.
            return finish({
                status: OperationStatus.Failed,
                errorCode: ctx.failure?.code ?? HandlerErrorCode.NotStabilized,
                message: ctx.failure ? `${ctx.failure.message} The rollback did not finish within ${MAX_INVOCATIONS} invocations.` : tooLong,
            } as ProgressEvent<BaseModel>);
        }
        try {
            await deps.handOff(next);
            deps.log(`${r.LogicalResourceId}: handed on to invocation ${next.hop + 1}.`);
        } catch (err) {
            const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
            await finish({
                status: OperationStatus.Failed,
                errorCode: HandlerErrorCode.InternalFailure,
                message: `The function could not invoke itself to continue (${detail}); allow lambda:InvokeFunction on the function itself.`,
            } as ProgressEvent<BaseModel>);
        }
    }

    async function finish(pe: ProgressEvent<BaseModel>): Promise<void> {
        const leftId =
            c.workflow === 'create' && pe.status !== OperationStatus.Success && resourceId && (await stillThere(t, deps.aws, resourceId))
                ? resourceId
                : undefined;
        const outcome = toOutcome(pe, { request: r, workflow: c.workflow, leftId, type: t });
        await deps.respond(outcome);
    }
}

async function stillThere(t: AnyProviderType, aws: Adapters, id: string): Promise<boolean> {
    try {
        return await t.exists(aws, id);
    } catch {
        return true; // unknown: answer with its id, so that CloudFormation's Delete looks at it
    }
}
