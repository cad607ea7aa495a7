/**
 * Plays CloudFormation for one operation against the fakes: calls runWorkflow, and while it answers
 * IN_PROGRESS waits callbackDelaySeconds of fake time and calls again with the returned callbackContext
 * (JSON round-tripped and deep-frozen, as the library hands it over) and the returned resourceModel (as
 * KeyStoreProps, via propsOf) as the next desired state, until SUCCESS or FAILED.
 *
 * It records every invocation's inputs, event, serialized event, log lines and AWS calls. Two ways to
 * test idempotency: `replayEach` runs every invocation twice with the same inputs (the first answer is
 * lost) and continues with the second; `aws.crashAfter(op)` makes the invocation die right after that
 * call took effect, and the driver calls again with the previous inputs.
 */
import { Dict, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { ResourceModel } from '../../src/models';
import { propsOf } from '../../src/keystore/props';
import { runWorkflow } from '../../src/engine/runner';
import type { Ctx, KeyStoreProps, RequestInfo, Workflow } from '../../src/keystore/types';
import { ACCOUNT, CallRecord, FakeAws, REGION } from './aws';
import { count } from '../reliability/figures';

export type Event = ProgressEvent<ResourceModel>;

/** Freezes an object graph, as the library's deepFreeze does with the callbackContext and request. */
export function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
    if (value === null || typeof value !== 'object' || seen.has(value)) return value;
    seen.add(value);
    for (const key of Reflect.ownKeys(value as object)) deepFreeze((value as Record<string | symbol, unknown>)[key], seen);
    return Object.freeze(value);
}

export interface DriveOptions {
    aws: FakeAws;
    desired: KeyStoreProps;
    previous?: KeyStoreProps;
    request?: Partial<RequestInfo>;
    /** Per-invocation budget handed to the runner (fake milliseconds). */
    budgetMs?: number;
    maxInvocations?: number;
    /** Every invocation is run twice with the same frozen inputs; the driver goes on with the second answer. */
    replayEach?: boolean;
    /** The callbackContext of the first invocation (default: none). */
    ctx?: Ctx;
}

export interface Step {
    /** 1-based invocation number, counting replays and crashed invocations. */
    n: number;
    ctx: Readonly<Ctx>;
    desired: Readonly<KeyStoreProps>;
    /** This invocation repeated the previous one with the same inputs. */
    replay: boolean;
    /** The op after which the invocation died (no event). */
    crashedAfter?: string;
    event?: Event;
    serialized?: Dict;
    calls: CallRecord[];
    logs: string[];
    startedAt: number;
}

export interface DriveResult {
    workflow: string;
    aws: FakeAws;
    status: 'SUCCESS' | 'FAILED' | 'CAPPED';
    final: Event;
    finalSerialized: Dict;
    /** propsOf(final.resourceModel), when the final event has one. */
    model?: KeyStoreProps;
    /** The desired state of the first invocation. */
    input: KeyStoreProps;
    steps: Step[];
    /** Every answered event in order (replayed ones included). */
    events: Event[];
    serialized: Dict[];
    logs: string[];
    invocations: number;
    /** The answered IN_PROGRESS steps. */
    inProgress: Step[];
    /** The AWS calls made during this operation. */
    calls: CallRecord[];
}

export const DEFAULT_REQUEST: RequestInfo = {
    clientRequestToken: '7d0c8a52-7c1e-4a3e-9f7b-3f2f8e0b6c11',
    logicalResourceId: 'PaymentsKeyStore',
    region: REGION,
    awsAccountId: ACCOUNT,
};

export async function drive(workflow: Workflow, opts: DriveOptions): Promise<DriveResult> {
    const { aws } = opts;
    const request: RequestInfo = { ...DEFAULT_REQUEST, ...opts.request };
    const budgetMs = opts.budgetMs ?? 25_000; // the handler's own default
    const cap = opts.maxInvocations ?? 500;
    const previous = deepFreeze({ ...(opts.previous ?? {}) });
    const firstCall = aws.log.length;
    const steps: Step[] = [];
    const logs: string[] = [];

    let ctx: Readonly<Ctx> = deepFreeze(JSON.parse(JSON.stringify(opts.ctx ?? {})) as Ctx);
    let desired: Readonly<KeyStoreProps> = deepFreeze({ ...opts.desired });
    let last: Event | undefined;

    const invoke = async (replay: boolean): Promise<Step> => {
        const step: Step = { n: steps.length + 1, ctx, desired, replay, calls: [], logs: [], startedAt: aws.clock.now() };
        steps.push(step);
        const before = aws.log.length;
        let crashed: ((op: string) => void) | undefined;
        const crash = new Promise<undefined>((resolve) => {
            crashed = (op) => {
                step.crashedAfter = op;
                resolve(undefined);
            };
        });
        aws.onCrash = crashed;
        const env = {
            aws: aws.adapters(),
            request,
            desired,
            previous,
            log: (message: string) => {
                step.logs.push(message);
                logs.push(message);
            },
        };
        try {
            const event = await Promise.race([runWorkflow(workflow, env, ctx, { clock: aws.clock, budgetMs }), crash]);
            if (event) {
                step.event = event;
                step.serialized = event.serialize();
            }
        } finally {
            aws.onCrash = undefined;
            step.calls = aws.log.calls.slice(before);
        }
        return step;
    };

    while (steps.length < cap) {
        let step = await invoke(false);
        if (opts.replayEach && step.event && steps.length < cap) {
            step = await invoke(true);
            count('replayedInvocations');
        }
        if (!step.event) {
            count('crashPoints');
            // The invocation died after a side effect: CloudFormation calls again with the same inputs.
            aws.clock.advance(60_000);
            continue;
        }
        last = step.event;
        if (last.status !== 'IN_PROGRESS') break;
        aws.clock.advance((last.callbackDelaySeconds ?? 0) * 1000);
        ctx = deepFreeze(JSON.parse(JSON.stringify(last.callbackContext ?? {})) as Ctx);
        desired = deepFreeze(propsOf(last.resourceModel));
    }

    if (!last) throw new Error(`drive(${workflow.name}): no invocation answered in ${steps.length} invocations`);
    const answered = steps.filter((s) => s.event);
    const status = last.status === 'SUCCESS' ? 'SUCCESS' : last.status === 'FAILED' ? 'FAILED' : 'CAPPED';
    const result: DriveResult = {
        workflow: workflow.name,
        aws,
        status,
        final: last,
        finalSerialized: last.serialize(),
        model: last.resourceModel ? propsOf(last.resourceModel) : undefined,
        input: { ...opts.desired },
        steps,
        events: answered.map((s) => s.event as Event),
        serialized: answered.map((s) => s.serialized as Dict),
        logs,
        invocations: steps.length,
        inProgress: answered.filter((s) => s.event?.status === 'IN_PROGRESS'),
        calls: aws.log.calls.slice(firstCall),
    };
    aws.drives.push(result);
    return result;
}

/** A short description of a result for failure messages. */
export function summarize(r: DriveResult): string {
    return `${r.workflow}: ${r.status} after ${r.invocations} invocation(s): ${r.final.errorCode ?? ''} ${r.final.message}`;
}
