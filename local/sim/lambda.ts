/**
 * The Lambda Invoke API for functions registered in process (the custom resource provider):
 *   POST /2015-03-31/functions/{name or ARN}/invocations
 * `X-Amz-Invocation-Type: Event` answers 202 at once and runs the function afterwards, as Lambda's
 * asynchronous invocation does: a function error is retried twice, 1 and then 2 simulated minutes later,
 * with the same request id (invocation-async-error-handling). `RequestResponse` (the default) runs it and
 * answers 200 with its JSON result. Signatures are not checked.
 *
 * Two more behaviours of asynchronous invocation that the Lambda developer guide documents:
 * - "Even if your function doesn't return an error, it's possible for it to receive the same event from Lambda
 *   multiple times" (invocation-async-error-handling). `deliverTwice()` makes the next matching events arrive
 *   twice, the second time with a request id of its own, as a delivery that is not a retry has (AWS knowledge
 *   center "lambda-function-duplicate-invocations": the same request id marks Lambda's retry of a failed run).
 * - Recursive loop detection (invocation-recursion): Lambda follows a chain of invocations through the X-Ray
 *   trace header's `Lineage`, which the SDK forwards from inside a function (the recursion detection middleware
 *   sends `X-Amzn-Trace-Id` when AWS_LAMBDA_FUNCTION_NAME is set), and stops the next invocation of a function
 *   invoked more than 16 times in one chain unless its recursive loop setting is `Allow` (the default is
 *   `Terminate`: GetFunctionRecursionConfig). An asynchronous event that is stopped is dropped: it goes to a
 *   dead-letter queue or on-failure destination when one is configured, and the function never runs. The
 *   Lineage entry's form (`<8 hex digits naming the function>:<count>`, the count 0 for the first invocation)
 *   follows the trace ids Lambda hands functions; the hash itself is assumed. Each invocation runs with its
 *   trace header in the runtime's per-invocation store (`globalThis.awslambda.InvokeStore`, which the SDK reads
 *   first), not in process.env._X_AMZN_TRACE_ID: functions here run side by side in one process, as in Lambda's
 *   multi-concurrency mode.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SimClock } from '../clock';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function, with the event and context Lambda passes
export type LambdaFn = (event: any, context: any) => Promise<unknown>;

export interface LambdaInvocation {
    functionName: string;
    awsRequestId: string;
    attempt: number;
    invocationType: 'Event' | 'RequestResponse';
    payload: unknown;
    startedAt: number;
    endedAt?: number;
    error?: string;
    /** The X-Ray trace header the invocation ran with (its Lineage counts the invocations of its chain). */
    traceHeader: string;
    /** This function's count in the trace header's Lineage: 0 for the first invocation of a chain. */
    chainCount: number;
    /** A second delivery of an event that was already delivered (a duplicate, not a retry). */
    duplicate?: boolean;
}

/** An asynchronous event Lambda did not run: recursive loop detection stopped it. */
export interface DroppedEvent {
    functionName: string;
    payload: unknown;
    /** The count the invocation would have had in the chain's Lineage. */
    chainCount: number;
    at: number;
    reason: 'RecursiveInvocation';
}

export type RecursiveLoop = 'Allow' | 'Terminate';

interface Registered {
    fn: LambdaFn;
    timeoutSeconds: number;
    recursiveLoop: RecursiveLoop;
}
type Found = Registered & { name: string };

/** Lambda stops the next invocation of a function invoked more than this many times in one chain (invocation-recursion). */
export const RECURSION_LIMIT = 16;

interface Duplication {
    remaining: number;
    delaySeconds: number;
    match?: (payload: unknown) => boolean;
}

export const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const RETRY_DELAYS_SECONDS = [60, 120];

export class LambdaService {
    private readonly functions = new Map<string, Registered>();
    readonly invocations: LambdaInvocation[] = [];
    /** Asynchronous events recursive loop detection stopped (Lambda's RecursiveInvocationsDropped metric). */
    readonly dropped: DroppedEvent[] = [];
    private running = 0;
    private readonly listeners = new Set<(i: LambdaInvocation) => void>();
    private duplications: Duplication[] = [];
    private readonly contexts = installInvokeStore();

    constructor(
        private readonly clock: SimClock,
        private readonly region: string,
        private readonly accountId: string,
    ) {}

    /** `recursiveLoop`: the function's recursive loop setting (`AWS::Lambda::Function` RecursiveLoop); Lambda's default is Terminate. */
    register(name: string, fn: LambdaFn, opts: { timeoutSeconds?: number; recursiveLoop?: RecursiveLoop } = {}): string {
        this.functions.set(name, { fn, timeoutSeconds: opts.timeoutSeconds ?? 900, recursiveLoop: opts.recursiveLoop ?? 'Terminate' });
        return this.arnOf(name);
    }

    /**
     * The next `times` (default 1) asynchronous events that `match` (default: any) are delivered twice: the second
     * delivery `delaySeconds` (default 0) simulated seconds after the first, with a request id of its own.
     */
    deliverTwice(opts: { times?: number; delaySeconds?: number; match?: (payload: unknown) => boolean } = {}): void {
        this.duplications.push({ remaining: opts.times ?? 1, delaySeconds: opts.delaySeconds ?? 0, match: opts.match });
    }

    arnOf(name: string): string {
        return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
    }

    /** Called when an invocation starts and again when it ends. */
    onInvocation(listener: (i: LambdaInvocation) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    /** How many invocations are running or waiting for a retry. */
    get busy(): number {
        return this.running;
    }

    /** Lambda accepts a name, a full ARN or a partial ARN; a qualifier (:$LATEST) is ignored here. */
    private find(nameOrArn: string): Found | undefined {
        const m = /function:([^:]+)/.exec(nameOrArn);
        const name = m ? m[1] : nameOrArn.split(':')[0];
        const f = this.functions.get(name);
        return f ? { name, ...f } : undefined;
    }

    /** `traceHeader`: the request's X-Amzn-Trace-Id (an SDK call from inside a function forwards its own). */
    async handle(
        functionName: string,
        invocationType: string | undefined,
        raw: string,
        traceHeader?: string,
    ): Promise<{ status: number; body: string; headers: Record<string, string> }> {
        const f = this.find(decodeURIComponent(functionName));
        const error = (status: number, type: string, message: string) => ({
            status,
            body: JSON.stringify({ Type: 'User', message }),
            headers: { 'x-amzn-ErrorType': type },
        });
        if (!f) return error(404, 'ResourceNotFoundException', `Function not found: ${this.arnOf(decodeURIComponent(functionName))}`);
        let payload: unknown;
        try {
            payload = raw.trim() === '' ? {} : JSON.parse(raw);
        } catch {
            return error(400, 'InvalidRequestContentException', 'Could not parse request body into json');
        }
        const type = invocationType ?? 'RequestResponse';
        if (type === 'DryRun') return { status: 204, body: '', headers: {} };
        const awsRequestId = randomUUID();
        const chain = nextInChain(traceHeader, this.lineageKey(f.name));
        const stopped = f.recursiveLoop === 'Terminate' && chain.count >= RECURSION_LIMIT;
        if (type === 'Event') {
            this.running++;
            const twice = this.takeDuplication(payload);
            // A party of its own from now on: simulated time waits for it as it waits for any running function.
            void this.clock.spawn(async () => {
                await new Promise((r) => setImmediate(r));
                if (stopped) return this.drop(f, payload, chain.count);
                await this.runAsync(f, payload, awsRequestId, 1, chain);
            });
            if (twice && !stopped) {
                this.running++;
                this.clock.after(twice.delaySeconds, () => this.runAsync(f, payload, randomUUID(), 1, chain, true));
            }
            return { status: 202, body: '', headers: { 'x-amzn-RequestId': awsRequestId } };
        }
        if (type !== 'RequestResponse') return error(400, 'InvalidParameterValueException', `Unknown InvocationType ${type}`);
        if (stopped) {
            return error(
                400,
                'RecursiveInvocationException',
                "Lambda has detected your function being invoked in a recursive loop with other AWS resources and stopped your function's invocation.",
            );
        }
        this.running++;
        try {
            const out = await this.clock.spawn(() => this.runOnce(f, payload, awsRequestId, 1, 'RequestResponse', chain));
            return { status: 200, body: JSON.stringify(out ?? null), headers: { 'x-amzn-RequestId': awsRequestId } };
        } catch (e) {
            const err = e instanceof Error ? e : new Error(String(e));
            return { status: 200, body: JSON.stringify({ errorType: err.name, errorMessage: err.message }), headers: { 'X-Amz-Function-Error': 'Unhandled' } };
        } finally {
            this.running--;
        }
    }

    /** The duplication this event takes, if one is pending for it. */
    private takeDuplication(payload: unknown): Duplication | undefined {
        const d = this.duplications.find((x) => x.remaining > 0 && (!x.match || x.match(payload)));
        if (!d) return undefined;
        d.remaining--;
        this.duplications = this.duplications.filter((x) => x.remaining > 0);
        return d;
    }

    private drop(f: Found, payload: unknown, chainCount: number): void {
        this.dropped.push({ functionName: f.name, payload, chainCount, at: this.clock.now(), reason: 'RecursiveInvocation' });
        this.running--;
    }

    /** The Lineage key of a function: 8 hex digits derived from its ARN (the derivation is assumed). */
    private lineageKey(name: string): string {
        return createHash('sha256').update(this.arnOf(name)).digest('hex').slice(0, 8);
    }

    private async runAsync(f: Found, payload: unknown, awsRequestId: string, attempt: number, chain: Chain, duplicate = false): Promise<void> {
        try {
            await this.runOnce(f, payload, awsRequestId, attempt, 'Event', chain, duplicate);
            this.running--;
        } catch {
            const delay = RETRY_DELAYS_SECONDS[attempt - 1];
            if (delay === undefined) {
                this.running--;
                return;
            }
            // A retry is the same event in the same chain: its Lineage count does not grow.
            this.clock.after(delay, () => this.runAsync(f, payload, awsRequestId, attempt + 1, chain, duplicate));
        }
    }

    private async runOnce(
        f: Found,
        payload: unknown,
        awsRequestId: string,
        attempt: number,
        invocationType: 'Event' | 'RequestResponse',
        chain: Chain,
        duplicate = false,
    ): Promise<unknown> {
        const record: LambdaInvocation = {
            functionName: f.name,
            awsRequestId,
            attempt,
            invocationType,
            payload,
            startedAt: this.clock.now(),
            traceHeader: chain.header,
            chainCount: chain.count,
            ...(duplicate ? { duplicate } : {}),
        };
        this.invocations.push(record);
        this.emit(record);
        const deadline = record.startedAt + f.timeoutSeconds * 1000;
        const context = {
            awsRequestId,
            functionName: f.name,
            functionVersion: '$LATEST',
            invokedFunctionArn: this.arnOf(f.name),
            memoryLimitInMB: '256',
            logGroupName: `/aws/lambda/${f.name}`,
            logStreamName: 'local',
            // In simulated milliseconds, the unit of the handler's own clock when it runs against the simulator.
            getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - this.clock.now())),
        };
        try {
            return await this.contexts.run({ [REQUEST_ID]: awsRequestId, [TRACE_ID]: chain.header }, () => f.fn(payload, context));
        } catch (e) {
            record.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
            throw e;
        } finally {
            record.endedAt = this.clock.now();
            if (record.endedAt > deadline && !record.error) record.error = `Task timed out after ${f.timeoutSeconds} seconds (simulated)`;
            this.emit(record);
        }
    }

    private emit(i: LambdaInvocation): void {
        for (const l of this.listeners) l(i);
    }

    /** Forget invocations, dropped events and pending duplications (functions stay registered). */
    reset(): void {
        this.invocations.length = 0;
        this.dropped.length = 0;
        this.duplications = [];
    }
}

interface Chain {
    /** The trace header the invocation runs with. */
    header: string;
    /** This function's Lineage count in it. */
    count: number;
}

/**
 * The trace header of the invocation a request starts: the caller's Root (a new one when it sent none) and its
 * Lineage with this function's count one higher than the caller's (0 when the function is not in it yet).
 */
function nextInChain(incoming: string | undefined, key: string): Chain {
    const fields = new Map<string, string>();
    for (const part of (incoming ?? '').split(';')) {
        const i = part.indexOf('=');
        if (i > 0) fields.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
    }
    const lineage = new Map<string, number>();
    for (const entry of (fields.get('Lineage') ?? '').split('|')) {
        const [k, n] = entry.split(':');
        if (k && /^\d+$/.test(n ?? '')) lineage.set(k, Number(n));
    }
    const count = lineage.has(key) ? (lineage.get(key) as number) + 1 : 0;
    lineage.set(key, count);
    const root = fields.get('Root') ?? `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    const lineageText = [...lineage].map(([k, n]) => `${k}:${n}`).join('|');
    return { header: `Root=${root};Parent=${randomBytes(8).toString('hex')};Sampled=0;Lineage=${lineageText}`, count };
}

const TRACE_ID = Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID');
const REQUEST_ID = Symbol.for('_AWS_LAMBDA_REQUEST_ID');
const OURS = Symbol.for('custom-kms-cloudhsmkeystore.local.invokeStore');
type InvocationContext = Record<symbol | string, unknown>;

/**
 * What the Lambda Node.js runtime offers as `globalThis.awslambda.InvokeStore` (the @aws/lambda-invoke-store
 * interface the SDK's recursion detection middleware reads the trace id from), one context per invocation.
 */
class InvokeContexts {
    readonly [OURS] = true;
    private readonly als = new AsyncLocalStorage<InvocationContext>();
    run<T>(context: InvocationContext, fn: () => T): T {
        return this.als.run(context, fn);
    }
    getContext(): InvocationContext | undefined {
        return this.als.getStore();
    }
    hasContext(): boolean {
        return this.als.getStore() !== undefined;
    }
    get(key: symbol | string): unknown {
        return this.als.getStore()?.[key];
    }
    set(key: symbol | string, value: unknown): void {
        const store = this.als.getStore();
        if (!store) throw new Error('No context available');
        store[key] = value;
    }
    getRequestId(): string {
        return (this.get(REQUEST_ID) as string | undefined) ?? '-';
    }
    getXRayTraceId(): string | undefined {
        return this.get(TRACE_ID) as string | undefined;
    }
    getTenantId(): undefined {
        return undefined;
    }
    getTraceparent(): undefined {
        return undefined;
    }
    getTracestate(): undefined {
        return undefined;
    }
    getBaggage(): undefined {
        return undefined;
    }
}

/**
 * Installs the per-invocation store where the SDK looks for it. It must be in place before the first SDK request
 * of the process (the SDK keeps the store it found then), so the Lambda service installs it when it is made.
 */
function installInvokeStore(): InvokeContexts {
    const g = globalThis as { awslambda?: { InvokeStore?: unknown } };
    g.awslambda ??= {};
    const existing = g.awslambda.InvokeStore as Partial<InvokeContexts> | undefined;
    if (existing && existing[OURS]) return existing as InvokeContexts;
    const store = new InvokeContexts();
    g.awslambda.InvokeStore = store;
    return store;
}
