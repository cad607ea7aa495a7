/**
 * Plays CloudFormation's side of the Lambda-backed custom resource protocol against the provider function
 * registered in the simulator: sends each request as an asynchronous Lambda invocation over HTTP (as
 * CloudFormation does), waits for the one PUT to the request's pre-signed ResponseURL, and checks the
 * response (crpg-ref-responses). It applies CloudFormation's rules: a new physical id on Update is a
 * replacement, so the old resource gets a Delete; a FAILED Create gets a Delete with the physical id of
 * the FAILED response. Local-only tooling.
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import { format } from 'util';
import type { LambdaInvocation } from './sim/lambda';
import type { Sim } from './sim';

export type Props = Record<string, unknown>;
type RequestType = 'Create' | 'Update' | 'Delete';

export interface CfnRequestEvent {
    RequestType: RequestType;
    ServiceToken: string;
    ResponseURL: string;
    StackId: string;
    RequestId: string;
    LogicalResourceId: string;
    ResourceType: string;
    PhysicalResourceId?: string;
    ResourceProperties: Record<string, unknown>;
    OldResourceProperties?: Record<string, unknown>;
}

export interface CrResult {
    requestType: RequestType;
    status: 'SUCCESS' | 'FAILED';
    physicalResourceId?: string;
    reason?: string;
    data?: Record<string, string>;
    /** No response within the service timeout. */
    timedOut?: boolean;
    /** How many responses the request got: the protocol wants exactly one. */
    responses: number;
    /** Protocol violations found in the responses (empty when all is well). */
    problems: string[];
    invocations: LambdaInvocation[];
    request: CfnRequestEvent;
    elapsedRealMs: number;
    elapsedSimSeconds: number;
    /** The Delete CloudFormation sent afterwards: of the old resource after a replacement, or of a failed Create. */
    followUp?: CrResult;
}

export interface CrDriverOptions {
    sim: Sim;
    endpoint: string;
    functionName: string;
    logicalResourceId?: string;
    stackName?: string;
    /** The template's ServiceTimeout (seconds), passed as CloudFormation passes it: a string property. */
    serviceTimeout?: number;
    /** The template's resource type (default Custom::KMS::CloudHsmKeyStore). */
    resourceType?: string;
    /** Another driver's stack, for a second resource of the same stack. */
    stackId?: string;
}

const RESOURCE_TYPE = 'Custom::KMS::CloudHsmKeyStore';
const MAX_BODY = 4096;

/** CloudFormation hands every scalar to a custom resource as a string, nested ones too (coverage-roadmap #1037). */
export function stringified(props: Props): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) out[k] = stringifiedValue(v);
    return out;
}

function stringifiedValue(v: unknown): unknown {
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    if (Array.isArray(v)) return v.map(stringifiedValue);
    if (v && typeof v === 'object') return stringified(v as Props);
    return v;
}

export class CustomResourceDriver {
    readonly stackId: string;
    readonly logicalResourceId: string;
    readonly serviceToken: string;
    readonly resourceType: string;

    constructor(private readonly o: CrDriverOptions) {
        const region = o.sim.config.region;
        this.stackId =
            o.stackId ?? `arn:aws:cloudformation:${region}:${o.sim.config.accountId}:stack/${o.stackName ?? 'local-custom-resource'}/${randomUUID()}`;
        this.logicalResourceId = o.logicalResourceId ?? 'KeyStore';
        this.serviceToken = o.sim.lambda.arnOf(o.functionName);
        this.resourceType = o.resourceType ?? RESOURCE_TYPE;
    }

    /** A driver for another resource of the same stack, served by the same function (e.g. a Custom::KMS::CloudHsmKey). */
    resource(logicalResourceId: string, resourceType: string): CustomResourceDriver {
        return new CustomResourceDriver({ ...this.o, logicalResourceId, resourceType, stackId: this.stackId });
    }

    private properties(props: Props): Record<string, unknown> {
        const timeout = this.o.serviceTimeout !== undefined ? { ServiceTimeout: String(this.o.serviceTimeout) } : {};
        return { ServiceToken: this.serviceToken, ...timeout, ...stringified(props) };
    }

    /** A request with a fresh RequestId and its own pre-signed (S3-style) ResponseURL. */
    event(type: RequestType, props: Props, extra: Partial<CfnRequestEvent> = {}): CfnRequestEvent {
        const requestId = randomUUID();
        const stack = createHash('sha256').update(this.stackId).digest('hex').slice(0, 16);
        const expires = Math.floor(this.o.sim.now() / 1000) + 7200;
        const signature = encodeURIComponent(randomBytes(20).toString('base64'));
        const url = `${this.o.endpoint}/cfn-response/${stack}/${this.logicalResourceId}/${requestId}?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=${expires}&Signature=${signature}`;
        return {
            RequestType: type,
            ServiceToken: this.serviceToken,
            ResponseURL: url,
            StackId: this.stackId,
            RequestId: requestId,
            LogicalResourceId: this.logicalResourceId,
            ResourceType: this.resourceType,
            ResourceProperties: this.properties(props),
            ...extra,
        };
    }

    /** Create; after a FAILED create, CloudFormation deletes with the physical id of the FAILED response. */
    async create(props: Props): Promise<CrResult> {
        const r = await this.send(this.event('Create', props));
        if (r.status === 'FAILED' && r.physicalResourceId) r.followUp = await this.delete(r.physicalResourceId, props);
        return r;
    }

    /** Update; a different physical id in the answer is a replacement: the old resource then gets a Delete. */
    async update(physicalResourceId: string, oldProps: Props, newProps: Props): Promise<CrResult> {
        const r = await this.send(this.event('Update', newProps, { PhysicalResourceId: physicalResourceId, OldResourceProperties: this.properties(oldProps) }));
        if (r.status === 'SUCCESS' && r.physicalResourceId && r.physicalResourceId !== physicalResourceId)
            r.followUp = await this.delete(physicalResourceId, oldProps);
        return r;
    }

    delete(physicalResourceId: string, props: Props): Promise<CrResult> {
        return this.send(this.event('Delete', props, { PhysicalResourceId: physicalResourceId }));
    }

    /**
     * Delivers a request (again, for a replay) and waits for its response and for the function to go quiet: one
     * party of the simulator's clock, which waits as CloudFormation does, so simulated time moves while it waits.
     */
    send(request: CfnRequestEvent): Promise<CrResult> {
        return this.o.sim.clock.run(() => this.deliver(request));
    }

    private async deliver(request: CfnRequestEvent): Promise<CrResult> {
        const sim = this.o.sim;
        const startedReal = Date.now();
        const startedSim = sim.now();
        const seen = sim.cfnResponses.to(this.pathOf(request)).length;
        await this.invokeAsync(request);
        const timeoutSeconds = Number(request.ResourceProperties.ServiceTimeout ?? 3600);
        await this.waitForResponse(request, seen, timeoutSeconds * 1000);
        await this.quiet();
        const all = sim.cfnResponses.to(this.pathOf(request)).slice(seen);
        const result: CrResult = {
            requestType: request.RequestType,
            status: 'FAILED',
            responses: all.length,
            problems: [],
            invocations: this.invocationsOf(request),
            request,
            elapsedRealMs: Date.now() - startedReal,
            elapsedSimSeconds: (sim.now() - startedSim) / 1000,
        };
        if (!all.length) {
            result.timedOut = true;
            result.reason = `No response within the service timeout (${timeoutSeconds} s): CloudFormation fails the operation.`;
            return result;
        }
        if (all.length > 1) result.problems.push(`${all.length} responses to one request; the protocol expects one`);
        const first = all[0];
        result.problems.push(...this.check(request, first.body, first.contentType));
        const body = JSON.parse(first.body) as { Status: 'SUCCESS' | 'FAILED'; PhysicalResourceId?: string; Reason?: string; Data?: Record<string, string> };
        Object.assign(result, { status: body.Status, physicalResourceId: body.PhysicalResourceId, reason: body.Reason, data: body.Data });
        return result;
    }

    private pathOf(request: CfnRequestEvent): string {
        const u = new URL(request.ResponseURL);
        return u.pathname + u.search;
    }

    private async invokeAsync(request: CfnRequestEvent): Promise<void> {
        const url = `${this.o.endpoint}/2015-03-31/functions/${encodeURIComponent(this.o.functionName)}/invocations`;
        const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
            body: JSON.stringify(request),
        });
        await res.text();
        if (res.status !== 202) throw new Error(`The asynchronous invoke of ${this.o.functionName} answered HTTP ${res.status}`);
    }

    /** Waits up to `simMs` of simulated time (the service timeout) for a response to arrive. */
    private async waitForResponse(request: CfnRequestEvent, seen: number, simMs: number): Promise<void> {
        const { cfnResponses: responses, clock } = this.o.sim;
        const path = this.pathOf(request);
        const until = clock.now() + simMs;
        while (responses.to(path).length <= seen && clock.now() < until) {
            const arrived = new AbortController();
            const off = responses.onResponse(() => arrived.abort());
            try {
                await clock.sleep(until - clock.now(), arrived.signal);
            } finally {
                off();
            }
        }
    }

    /** Delivers a request that was already sent once more (Lambda may deliver an event twice) and waits until the function is quiet. */
    redeliver(request: CfnRequestEvent): Promise<void> {
        return this.o.sim.clock.run(async () => {
            await this.invokeAsync(request);
            await this.o.sim.clock.sleep(1000);
            await this.quiet();
        });
    }

    /** Every response a request got, in order (the protocol wants exactly one). */
    responsesTo(request: CfnRequestEvent): string[] {
        return this.o.sim.cfnResponses.to(this.pathOf(request)).map((r) => r.body);
    }

    /**
     * Waits until no invocation runs or waits for a retry (a late second response would show up then), for at most
     * `maxSimSeconds` of simulated time: Lambda's retries of an asynchronous invocation come within 3 minutes.
     */
    quiet(maxSimSeconds = 600): Promise<void> {
        const clock = this.o.sim.clock;
        return clock.run(async () => {
            const until = clock.now() + maxSimSeconds * 1000;
            while (this.o.sim.lambda.busy > 0 && clock.now() < until) await clock.sleep(1000);
        });
    }

    private invocationsOf(request: CfnRequestEvent): LambdaInvocation[] {
        return this.o.sim.lambda.invocations.filter((i) => {
            const p = i.payload as { RequestId?: string; continuationOf?: { RequestId?: string } };
            return (p.continuationOf?.RequestId ?? p.RequestId) === request.RequestId;
        });
    }

    /** The response rules of crpg-ref-responses and cfn-response. */
    check(request: CfnRequestEvent, text: string, contentType: string | undefined): string[] {
        const problems: string[] = [];
        const size = Buffer.byteLength(text, 'utf8');
        if (size > MAX_BODY) problems.push(`response body is ${size} bytes; the limit is ${MAX_BODY}`);
        if (contentType !== undefined && contentType !== '')
            problems.push(`content-type ${JSON.stringify(contentType)}: the pre-signed URL is signed for an empty one`);
        let body: Record<string, unknown>;
        try {
            body = JSON.parse(text) as Record<string, unknown>;
        } catch {
            return [...problems, 'response body is not JSON'];
        }
        if (body.Status !== 'SUCCESS' && body.Status !== 'FAILED') problems.push(`Status ${JSON.stringify(body.Status)} is neither SUCCESS nor FAILED`);
        if (body.Status === 'FAILED' && !body.Reason) problems.push('a FAILED response needs a Reason');
        const id = body.PhysicalResourceId;
        if (typeof id !== 'string' || !id) problems.push('PhysicalResourceId is required');
        else if (Buffer.byteLength(id) > 1024) problems.push('PhysicalResourceId is longer than 1 KB');
        for (const k of ['StackId', 'RequestId', 'LogicalResourceId'] as const)
            if (body[k] !== request[k]) problems.push(`${k} must be copied from the request`);
        if (request.RequestType === 'Delete' && id !== request.PhysicalResourceId)
            problems.push(`a Delete answered with physical id ${String(id)}, not ${request.PhysicalResourceId}`);
        if (body.Data !== undefined) {
            if (typeof body.Data !== 'object' || body.Data === null) problems.push('Data must be an object');
            else for (const [k, v] of Object.entries(body.Data)) if (typeof v !== 'string') problems.push(`Data.${k} is not a string`);
        }
        return problems;
    }
}

/**
 * Captures console output of the in-process function into `sink`. Invocations overlap (an asynchronous
 * self-invocation starts while the one that sent it is finishing), so the capture is installed once, by
 * the first one to start, and removed by the last one to end.
 */
export function capturingConsoleShared(sink: string[]): <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) => Promise<R> {
    const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    let depth = 0;
    let saved: Array<(...a: unknown[]) => void> = [];
    return (fn) =>
        async (...args) => {
            if (depth++ === 0) {
                saved = methods.map((m) => console[m]);
                for (const m of methods) console[m] = (...a: unknown[]) => void sink.push(format(...a));
            }
            try {
                return await fn(...args);
            } finally {
                if (--depth === 0) methods.forEach((m, i) => (console[m] = saved[i]));
            }
        };
}
