/**
 * The Lambda Invoke API on 127.0.0.1, as `sam local start-lambda` serves it, so `cfn test --endpoint`
 * style callers (and anything speaking the Lambda Invoke wire) can run the handler locally:
 *
 *   POST /2015-03-31/functions/TypeFunction/invocations     body = HandlerRequest  -> entrypoint
 *   POST /2015-03-31/functions/TestEntrypoint/invocations   body = SAM test event  -> testEntrypoint
 *   POST /2015-03-31/functions/KeyTypeFunction/invocations  the key type (Custom::KMS::CloudHsmKey): keyEntrypoint
 *   POST /2015-03-31/functions/KeyTestEntrypoint/invocations                                   -> keyTestEntrypoint
 *
 * Answers 200 with the ProgressEvent JSON. IN_PROGRESS `callbackDelaySeconds` are multiplied by
 * `timeScale` and rounded up, so an external caller waits in simulated time. With a virtual `clock` (the
 * simulator's) each invocation is a party of it, and the caller's wait is taken in simulated time instead: the
 * answer asks for no real delay, and the next invocation starts once the simulated wait is over.
 * It does NOT start the AWS simulator: set `process.env.AWS_ENDPOINT_URL` (and load the handler) first.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { randomUUID } from 'crypto';
import type { SimClock } from './clock';
import { lambdaContext } from './handler-request';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function, with the event and context Lambda passes
export type InvokeFn = (event: any, context?: any) => Promise<any>;

export interface LambdaEndpointOptions {
    /** default 3001 (as SAM); 0 = an ephemeral port */
    port?: number;
    /** default 127.0.0.1 */
    host?: string;
    handlers: { entrypoint: InvokeFn; testEntrypoint?: InvokeFn; keyEntrypoint?: InvokeFn; keyTestEntrypoint?: InvokeFn };
    /** IN_PROGRESS callbackDelaySeconds are multiplied by this and rounded up (default 1) */
    timeScale?: number;
    /** A virtual clock shared with the simulator and the handler: callers' waits become simulated (timeScale is then 0). */
    clock?: SimClock;
    /** one line per invocation; default: stderr */
    log?: (line: string) => void;
}

export interface LambdaEndpoint {
    url: string;
    port: number;
    stop(): Promise<void>;
}

export const FUNCTION_NAMES = {
    TypeFunction: 'entrypoint',
    TestEntrypoint: 'testEntrypoint',
    KeyTypeFunction: 'keyEntrypoint',
    KeyTestEntrypoint: 'keyTestEntrypoint',
} as const;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const MAX_BODY_BYTES = 6 * 1024 * 1024; // Lambda's synchronous payload limit

/** `callbackDelaySeconds * timeScale`, rounded up, never negative */
export function scaleDelay(seconds: number, timeScale: number): number {
    if (!Number.isFinite(seconds)) return seconds;
    return Math.max(0, Math.ceil(seconds * timeScale - 1e-9));
}

/** The ProgressEvent as the library serializes it (`serialize()` when it is an instance). */
export function serializeProgress(result: unknown): unknown {
    if (result && typeof result === 'object' && typeof (result as { serialize?: unknown }).serialize === 'function') {
        return (result as { serialize: () => unknown }).serialize();
    }
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        'x-amzn-RequestId': randomUUID(),
        ...headers,
    });
    res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY_BYTES) {
                reject(Object.assign(new Error(`Request must be smaller than ${MAX_BODY_BYTES} bytes for the InvokeFunction operation`), { tooLarge: true }));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

export async function startLambdaEndpoint(o: LambdaEndpointOptions): Promise<LambdaEndpoint> {
    const virtual = o.clock?.virtual ? o.clock : undefined;
    const timeScale = virtual ? 0 : (o.timeScale ?? 1);
    /** The simulated waits of callers told to come back (CloudFormation's callbackDelaySeconds), not yet over. */
    const waits = new Set<Promise<void>>();
    if (!(timeScale >= 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a finite number >= 0, got ${o.timeScale}`);
    const host = o.host ?? '127.0.0.1';
    const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));

    const server = http.createServer((req, res) => {
        void handle(req, res).catch((err) => {
            if (!res.headersSent)
                send(res, 500, { Type: 'Service', message: String(err instanceof Error ? err.message : err) }, { 'x-amzn-ErrorType': 'ServiceException' });
        });
    });

    async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const m = INVOKE_PATH.exec(url.pathname);
        if (!m) {
            send(res, 404, { Type: 'User', message: `Unknown path ${req.method} ${url.pathname}` }, { 'x-amzn-ErrorType': 'UnknownOperationException' });
            return;
        }
        if (req.method !== 'POST') {
            send(res, 405, { Type: 'User', message: `Method ${req.method} not allowed; Invoke is POST` }, { 'x-amzn-ErrorType': 'MethodNotAllowedException' });
            return;
        }
        const name = decodeURIComponent(m[1]);
        const fnKey = Object.prototype.hasOwnProperty.call(FUNCTION_NAMES, name) ? FUNCTION_NAMES[name as keyof typeof FUNCTION_NAMES] : undefined;
        const fn = fnKey ? o.handlers[fnKey] : undefined;
        if (!fn) {
            send(res, 404, { Type: 'User', message: `Function not found: ${name}` }, { 'x-amzn-ErrorType': 'ResourceNotFoundException' });
            return;
        }
        let text: string;
        try {
            text = await readBody(req);
        } catch (err) {
            send(res, 413, { Type: 'User', message: (err as Error).message }, { 'x-amzn-ErrorType': 'RequestTooLargeException' });
            return;
        }
        let event: unknown;
        try {
            event = text.trim() === '' ? {} : JSON.parse(text);
        } catch (err) {
            send(
                res,
                400,
                { Type: 'User', message: `Could not parse request body into json: ${(err as Error).message}` },
                { 'x-amzn-ErrorType': 'InvalidRequestContentException' },
            );
            return;
        }
        const action = event && typeof event === 'object' ? String((event as { action?: unknown }).action ?? '?') : '?';
        const t0 = Date.now();
        let out: unknown;
        try {
            if (virtual) await Promise.all([...waits]);
            const invoke = () => fn(event, lambdaContext(name));
            out = serializeProgress(await (virtual ? virtual.spawn(invoke) : invoke()));
        } catch (err) {
            const e = err instanceof Error ? err : new Error(String(err));
            log(`[lambda] ${name} ${action} -> Unhandled ${e.name}: ${e.message} (${Date.now() - t0} ms)`);
            send(
                res,
                200,
                {
                    errorMessage: e.message,
                    errorType: e.name,
                    stackTrace: (e.stack ?? '')
                        .split('\n')
                        .slice(1)
                        .map((s) => s.trim()),
                },
                { 'X-Amz-Function-Error': 'Unhandled', 'X-Amz-Executed-Version': '$LATEST' },
            );
            return;
        }
        let delayNote = '';
        if (out && typeof out === 'object') {
            const pe = out as { status?: unknown; errorCode?: unknown; callbackDelaySeconds?: unknown };
            if (virtual && pe.status === 'IN_PROGRESS' && typeof pe.callbackDelaySeconds === 'number') {
                // The caller's wait, as a party of the clock that sleeps it: simulated time passes by it at once.
                const wait: Promise<void> = virtual.spawn(() => virtual.sleep((pe.callbackDelaySeconds as number) * 1000)).finally(() => waits.delete(wait));
                waits.add(wait);
            }
            if (pe.status === 'IN_PROGRESS' && typeof pe.callbackDelaySeconds === 'number') {
                const scaled = scaleDelay(pe.callbackDelaySeconds, timeScale);
                if (scaled !== pe.callbackDelaySeconds) delayNote = ` delay ${pe.callbackDelaySeconds}s->${scaled}s`;
                else delayNote = ` delay ${scaled}s`;
                pe.callbackDelaySeconds = scaled;
            }
            log(`[lambda] ${name} ${action} -> ${String(pe.status)}${pe.errorCode ? ` ${String(pe.errorCode)}` : ''}${delayNote} (${Date.now() - t0} ms)`);
        } else {
            log(`[lambda] ${name} ${action} -> ${JSON.stringify(out)} (${Date.now() - t0} ms)`);
        }
        send(res, 200, out, { 'X-Amz-Executed-Version': '$LATEST' });
    }

    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port ?? 3001, host, () => {
            server.off('error', reject);
            resolve();
        });
    });
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://${host}:${port}`,
        port,
        stop: () =>
            new Promise<void>((resolve, reject) => {
                server.close((err) => (err ? reject(err) : resolve()));
                server.closeAllConnections();
            }),
    };
}

/**
 * The other side of the wire: an `Entrypoint` that invokes a function through the Lambda Invoke API
 * (this endpoint, or `sam local start-lambda`), so the Driver can run against it. An `Unhandled`
 * function error is rethrown as an Error.
 */
export function lambdaInvoker(baseUrl: string, functionName = 'TypeFunction'): InvokeFn {
    const url = `${baseUrl.replace(/\/$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
    return async (event: unknown) => {
        const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`Invoke ${functionName}: HTTP ${res.status} ${res.headers.get('x-amzn-ErrorType') ?? ''}: ${text}`);
        const body = text ? JSON.parse(text) : null;
        const fnError = res.headers.get('x-amz-function-error');
        if (fnError) {
            const e = new Error(`${functionName} ${fnError}: ${body?.errorType ?? 'Error'}: ${body?.errorMessage ?? text}`);
            e.name = String(body?.errorType ?? 'FunctionError');
            throw e;
        }
        return body;
    };
}
