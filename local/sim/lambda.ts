/**
 * The Lambda Invoke API for functions registered in process (the custom resource provider):
 *   POST /2015-03-31/functions/{name or ARN}/invocations
 * `X-Amz-Invocation-Type: Event` answers 202 at once and runs the function afterwards, as Lambda's
 * asynchronous invocation does: a function error is retried twice, 1 and then 2 simulated minutes later,
 * with the same request id (invocation-async-error-handling). `RequestResponse` (the default) runs it and
 * answers 200 with its JSON result. Signatures are not checked.
 */
import { randomUUID } from 'node:crypto';
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
}

export const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const RETRY_DELAYS_SECONDS = [60, 120];

export class LambdaService {
    private readonly functions = new Map<string, { fn: LambdaFn; timeoutSeconds: number }>();
    readonly invocations: LambdaInvocation[] = [];
    private running = 0;
    private readonly listeners = new Set<(i: LambdaInvocation) => void>();

    constructor(
        private readonly clock: SimClock,
        private readonly region: string,
        private readonly accountId: string,
    ) {}

    register(name: string, fn: LambdaFn, opts: { timeoutSeconds?: number } = {}): string {
        this.functions.set(name, { fn, timeoutSeconds: opts.timeoutSeconds ?? 900 });
        return this.arnOf(name);
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
    private find(nameOrArn: string): { name: string; fn: LambdaFn; timeoutSeconds: number } | undefined {
        const m = /function:([^:]+)/.exec(nameOrArn);
        const name = m ? m[1] : nameOrArn.split(':')[0];
        const f = this.functions.get(name);
        return f ? { name, ...f } : undefined;
    }

    async handle(
        functionName: string,
        invocationType: string | undefined,
        raw: string,
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
        if (type === 'Event') {
            this.running++;
            // A party of its own from now on: simulated time waits for it as it waits for any running function.
            void this.clock.spawn(async () => {
                await new Promise((r) => setImmediate(r));
                await this.runAsync(f, payload, awsRequestId, 1);
            });
            return { status: 202, body: '', headers: { 'x-amzn-RequestId': awsRequestId } };
        }
        if (type !== 'RequestResponse') return error(400, 'InvalidParameterValueException', `Unknown InvocationType ${type}`);
        this.running++;
        try {
            const out = await this.clock.spawn(() => this.runOnce(f, payload, awsRequestId, 1, 'RequestResponse'));
            return { status: 200, body: JSON.stringify(out ?? null), headers: { 'x-amzn-RequestId': awsRequestId } };
        } catch (e) {
            const err = e instanceof Error ? e : new Error(String(e));
            return { status: 200, body: JSON.stringify({ errorType: err.name, errorMessage: err.message }), headers: { 'X-Amz-Function-Error': 'Unhandled' } };
        } finally {
            this.running--;
        }
    }

    private async runAsync(f: { name: string; fn: LambdaFn; timeoutSeconds: number }, payload: unknown, awsRequestId: string, attempt: number): Promise<void> {
        try {
            await this.runOnce(f, payload, awsRequestId, attempt, 'Event');
            this.running--;
        } catch {
            const delay = RETRY_DELAYS_SECONDS[attempt - 1];
            if (delay === undefined) {
                this.running--;
                return;
            }
            this.clock.after(delay, () => this.runAsync(f, payload, awsRequestId, attempt + 1));
        }
    }

    private async runOnce(
        f: { name: string; fn: LambdaFn; timeoutSeconds: number },
        payload: unknown,
        awsRequestId: string,
        attempt: number,
        invocationType: 'Event' | 'RequestResponse',
    ): Promise<unknown> {
        const record: LambdaInvocation = { functionName: f.name, awsRequestId, attempt, invocationType, payload, startedAt: this.clock.now() };
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
            return await f.fn(payload, context);
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

    /** Forget invocations (functions stay registered). */
    reset(): void {
        this.invocations.length = 0;
    }
}
