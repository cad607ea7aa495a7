import { HandlerErrorCode, OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { ResourceModel } from '../models';
import { createWorkflow } from '../workflow/create';
import { deleteWorkflow } from '../workflow/delete';
import { propsOf } from '../workflow/props';
import { abandon, Clock, Env, runWorkflow } from '../workflow/runner';
import { Adapters, Ctx, KeyStoreProps, Workflow } from '../workflow/types';
import { updateWorkflow } from '../workflow/update';
import { CfnRequest, Continuation, STORE_ID, WorkflowName } from './event';
import { requestInfo } from './env';
import { failedCreateId, toOutcome } from './outcome';
import { coerce, createOnlyChanges, parseProperties, serviceTimeoutSeconds, toKeyStoreProps } from './props';
import { Outcome } from './response';

const WORKFLOWS: Record<WorkflowName, Workflow> = { create: createWorkflow, update: updateWorkflow, delete: deleteWorkflow };

/** Kept free at the end of each invocation for the response PUT (with its retries) or the hand-off. */
export const RESERVE_MS = 20_000;

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
    const current = r.PhysicalResourceId ?? '';
    if (r.RequestType === 'Delete') {
        // A Delete after a failed Create carries the id of that FAILED response: there is nothing to delete.
        if (!STORE_ID.test(current)) return { kind: 'respond', outcome: { status: 'SUCCESS', physicalResourceId: current || failedCreateId(r), reason: 'No key store was created for this resource; nothing to delete.' } };
        return { kind: 'run', workflow: 'delete' };
    }
    const parsed = parseProperties(r.LogicalResourceId, r.ResourceProperties);
    if (r.RequestType === 'Create') {
        return parsed.ok ? { kind: 'run', workflow: 'create' } : { kind: 'respond', outcome: { status: 'FAILED', physicalResourceId: failedCreateId(r), reason: parsed.message } };
    }
    if (!parsed.ok) return { kind: 'respond', outcome: { status: 'FAILED', physicalResourceId: current, reason: parsed.message } };
    if (!STORE_ID.test(current)) {
        return { kind: 'respond', outcome: { status: 'FAILED', physicalResourceId: current, reason: `${current} is not a key store id (cks-...); this resource has no key store to update.` } };
    }
    const changed = createOnlyChanges(coerce(r.OldResourceProperties), parsed.raw);
    // CloudFormation's rule for create-only properties: a new resource, whose new id tells CloudFormation to delete the old one.
    if (changed.length) return { kind: 'run', workflow: 'create', note: `${changed.join(', ')} changed: replacing key store ${current} with a new one.` };
    return { kind: 'run', workflow: 'update' };
}

function inputsOf(r: CfnRequest, workflow: WorkflowName, learntId?: string): { desired: KeyStoreProps; previous: KeyStoreProps } {
    const desired = toKeyStoreProps(coerce(r.ResourceProperties));
    const previous = toKeyStoreProps(coerce(r.OldResourceProperties));
    if (workflow === 'create') return { desired: { ...desired, customKeyStoreId: learntId }, previous: {} };
    const id = r.PhysicalResourceId;
    return { desired: { ...desired, customKeyStoreId: id }, previous: { ...previous, customKeyStoreId: id } };
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
    const wf = WORKFLOWS[c.workflow];
    const deadlines = deadlinesOf(r, c.startedAt);
    const info = requestInfo(r);
    let ctx: Ctx = { ...c.callbackContext };
    let storeId = c.customKeyStoreId;
    if (c.notBefore > deps.clock.now()) await deps.clock.sleep(c.notBefore - deps.clock.now());

    for (;;) {
        const now = deps.clock.now();
        if (now >= deadlines.answer) {
            const seconds = serviceTimeoutSeconds(r.ResourceProperties);
            return finish({ status: OperationStatus.Failed, errorCode: HandlerErrorCode.NotStabilized, message: `The ${r.RequestType} did not finish within the custom resource's service timeout (${seconds} s); raise ServiceTimeout (at most 3600) or retry.` } as ProgressEvent<ResourceModel>);
        }
        if (now >= deadlines.rollback && wf.rollback && !ctx.failure) {
            deps.log(`${r.LogicalResourceId}: the service timeout is near; undoing what this ${c.workflow} made.`);
            ctx = abandon(wf, ctx, HandlerErrorCode.NotStabilized, `The ${r.RequestType} could not finish within the custom resource's service timeout.`);
        }
        // the runner polls inside its budget, so the budget ends where the rollback must begin
        const until = wf.rollback && !ctx.failure ? deadlines.rollback : deadlines.answer;
        const budgetMs = Math.min(deps.remainingMs() - RESERVE_MS, until - now);
        if (budgetMs <= 0) return handOff(now);
        const { desired, previous } = inputsOf(r, c.workflow, storeId);
        const env: Env = { aws: deps.aws, request: info, desired, previous, log: deps.log };
        const pe = await runWorkflow(wf, env, ctx, { clock: deps.clock, budgetMs });
        if (pe.status !== OperationStatus.InProgress) return finish(pe);
        ctx = { ...(pe.callbackContext as Ctx) };
        storeId = propsOf(pe.resourceModel).customKeyStoreId ?? storeId;
        const delayMs = (pe.callbackDelaySeconds ?? 0) * 1000;
        deps.log(`${r.LogicalResourceId}: ${c.workflow} at ${ctx.phase ?? '?'}: ${pe.message ?? ''} (again in ${pe.callbackDelaySeconds ?? 0} s)`);
        // The first invocation hands off at once: its context is then durable in Lambda's queue, and a
        // retry of it never has to start over from a half-made store.
        if (c.hop === 0 || delayMs + RESERVE_MS >= deps.remainingMs()) return handOff(deps.clock.now() + delayMs);
        await deps.clock.sleep(delayMs);
    }

    async function handOff(notBefore: number): Promise<void> {
        const next: Continuation = { ...c, callbackContext: ctx, customKeyStoreId: storeId, notBefore, hop: c.hop + 1 };
        try {
            await deps.handOff(next);
            deps.log(`${r.LogicalResourceId}: handed on to invocation ${next.hop + 1}.`);
        } catch (err) {
            const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
            await finish({ status: OperationStatus.Failed, errorCode: HandlerErrorCode.InternalFailure, message: `The function could not invoke itself to continue (${detail}); allow lambda:InvokeFunction on the function itself.` } as ProgressEvent<ResourceModel>);
        }
    }

    async function finish(pe: ProgressEvent<ResourceModel>): Promise<void> {
        const leftStoreId = c.workflow === 'create' && pe.status !== OperationStatus.Success && storeId && (await storeExists(deps.aws, storeId)) ? storeId : undefined;
        const outcome = toOutcome(pe, { request: r, workflow: c.workflow, leftStoreId });
        await deps.respond(outcome);
    }
}

async function storeExists(aws: Adapters, id: string): Promise<boolean> {
    try {
        return Boolean(await aws.kms.describeStore(id));
    } catch {
        return true; // unknown: answer with its id, so that CloudFormation's Delete looks at it
    }
}
