/**
 * Plays CloudFormation for one resource type: builds the HandlerRequest CloudFormation sends, validates
 * desired properties against the schema first, loops on IN_PROGRESS (sleeping callbackDelaySeconds,
 * scaled), enforces the handler timeouts in simulated time, follows LIST nextTokens, and checks the
 * handler contract (local/contract.ts) on EVERY response: a violation throws `ContractViolation`.
 *
 * Local-only tooling (DESIGN.md section 9); nothing here ships in the Lambda package.
 */
import { ContractContext, ContractViolation, ProgressEventJson, assertContract, deepEqual } from './contract';
import {
    CallerCredentials,
    CfnAction,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    HandlerRequestPayload,
    ProviderLogging,
    TEST_CREDENTIALS,
    buildContractTestRequest,
    buildHandlerRequest,
    defaultStackId,
    jsonClone,
    lambdaContext,
    newBearerToken,
} from './handler-request';
import { clockFor, SimClock } from './clock';
import type { LoadedSchema, Props } from './schema';

export { ContractViolation } from './contract';

/** The library's `entrypoint` (returns the SERIALIZED ProgressEvent: plain JSON). */
// `context` is `any` so the library's own `resource.entrypoint` (context: LambdaContext) is assignable as it is
export type Entrypoint = (event: unknown, context?: any) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the library's own entrypoint (context: LambdaContext) must be assignable as it is

export interface DriverEvent {
    action: CfnAction;
    /** 1-based invocation number within the operation (LIST: page number) */
    attempt: number;
    request: HandlerRequestPayload;
    response: ProgressEventJson;
    elapsedRealMs: number;
    elapsedSimSeconds: number;
    /** Simulated seconds the handler itself took in this invocation. */
    handlerSimSeconds: number;
    /** Why CloudFormation stopped waiting for this invocation (its time limit), if it did. */
    overLimit?: string;
}

/**
 * CloudFormation's time for one handler invocation: create, update and delete "MUST always return a ProgressEvent
 * object within 60 seconds", read and list "within 30 seconds" (CloudFormation CLI user guide, contract tests), and
 * a create whose first invocation has not returned the primary identifier within 60 s fails with "Resource timed
 * out waiting for creation of physical resource" (AWS knowledge center, cloudformation-physical-resource-error).
 */
export const INVOCATION_LIMIT_SECONDS: Record<CfnAction, number> = { CREATE: 60, UPDATE: 60, DELETE: 60, READ: 30, LIST: 30 };

/**
 * What CloudFormation's count of an invocation holds beyond the handler's own work, which is all the simulated
 * clock sees of it.
 */
export interface InvocationOverhead {
    /**
     * Added to the first invocation of each operation: a cold start, whose Init phase Lambda allows up to 10 s
     * (Lambda developer guide, "Understanding the Lambda execution environment lifecycle"). That the first
     * invocation of an operation is cold is assumed (the worst case).
     */
    coldStartSeconds: number;
    /**
     * Added to every invocation: the library delivering the invocation's log lines (one PutLogEvents call per line,
     * one at a time, waited for before the invocation returns) and metrics. No figure is documented; assumed.
     */
    deliverySeconds: number;
}

export const DEFAULT_INVOCATION_OVERHEAD: InvocationOverhead = { coldStartSeconds: 10, deliverySeconds: 10 };

/**
 * Who is calling, which decides what a request carries (DESIGN section 9):
 * - `stack`: a CloudFormation stack operation: the template's properties (write-only ones included) plus the
 *   identifier, for every action.
 * - `cloudcontrol`: Cloud Control API: READ and DELETE carry the identifier only; UPDATE reads the resource
 *   first and sends the read model with the caller's patch applied (write-only values only where the patch
 *   sets them), the read model as the previous state. The wire fields around the properties are assumed
 *   to be those of a stack operation (Cloud Control does not document them).
 * - `cfntest`: the official contract suite, as `rpdk/core/contract/resource_client.py` builds it: READ and
 *   DELETE send the model CREATE (or UPDATE) returned, UPDATE sends the read-only properties of the created
 *   model plus the update input plus the identifier, with the created model as the previous state; no stack,
 *   and each operation's token is its logicalResourceId.
 */
export type RequestPath = 'stack' | 'cloudcontrol' | 'cfntest';
export const REQUEST_PATHS: readonly RequestPath[] = ['stack', 'cloudcontrol', 'cfntest'];

/**
 * A stack's tags, shared by the drivers of the stack's resources. CloudFormation passes them to every handler
 * invocation of a stack operation (HandlerRequest requestData.stackTags) and, on an update, the tags the stack had
 * before it (previousStackTags); a stack update that changes only the stack's tags updates every taggable resource
 * of the stack. That READ and DELETE carry them too is assumed (the library reads them for every action).
 */
export interface StackTags {
    current: Record<string, string>;
    /** The tags before the last change (`setStackTags`), sent as previousStackTags. */
    previous?: Record<string, string>;
}

export interface DriverOptions {
    entrypoint: Entrypoint;
    /** default `stack` */
    path?: RequestPath;
    schema: LoadedSchema;
    region?: string;
    accountId?: string;
    credentials?: CallerCredentials;
    /** Send providerCredentials and providerLogGroupName, as for a type registered with a logging configuration. */
    providerLogging?: ProviderLogging;
    /**
     * The clock the driver waits on and measures timeoutInMinutes with: the simulator's, shared with the handler
     * (local/clock.ts). Without one, a clock for `timeScale`.
     */
    clock?: SimClock;
    /**
     * Only without `clock`: 0 = virtual time (waits cost no real time; the handler's own work costs no simulated
     * time); > 0 = real seconds per simulated second (1, the default, is real time).
     */
    timeScale?: number;
    onEvent?: (e: DriverEvent) => void;
    stackId?: string;
    logicalResourceId?: string;
    /** guard against IN_PROGRESS loops that never advance simulated time (default 10000) */
    maxInvocations?: number;
    /**
     * What an invocation costs beyond the handler's work, checked with the handler's own time against
     * INVOCATION_LIMIT_SECONDS; `false`: no per-invocation limit. Default: DEFAULT_INVOCATION_OVERHEAD on a virtual
     * clock, none on a scaled one (there the handler's real run time, scaled up, would count as its work).
     */
    invocationOverhead?: InvocationOverhead | false;
    /** The stack's tags, on the `stack` path (default: none); share one object between the drivers of one stack. */
    stackTags?: StackTags;
    /**
     * Simulated seconds CloudFormation adds to each IN_PROGRESS event's callbackDelaySeconds before it calls back:
     * "A callback will be scheduled with an initial delay of no less than the number of seconds specified"
     * (CloudFormation CLI user guide, ProgressEvent); how much later is not documented. Default 0.
     */
    callbackLatencySeconds?: number;
    /** where timeouts are reported (default: stderr) */
    log?: (line: string) => void;
}

/** errorCode of a driver-side timeout (not a HandlerErrorCode: the handler never said it) */
export const TIMEOUT_ERROR_CODE = 'Timeout';
export const MAX_LIST_PAGES = 1000;

export interface OperationResult {
    action: CfnAction;
    status: 'SUCCESS' | 'FAILED';
    model?: Props;
    models?: Props[];
    message: string;
    /** a HandlerErrorCode, or 'Timeout' when the driver gave up (timedOut) */
    errorCode?: string;
    /** true when the operation exceeded the handler's timeoutInMinutes (simulated time) */
    timedOut?: boolean;
    /** false when the driver rejected the request itself (schema validation, createOnly change) */
    invokedHandler: boolean;
    bearerToken?: string;
    elapsedRealMs: number;
    elapsedSimSeconds: number;
    events: DriverEvent[];
}

export interface SequenceStep {
    step: string;
    passed: boolean;
    skipped?: boolean;
    reason?: string;
    result?: OperationResult;
}

export interface SequenceReport {
    passed: boolean;
    steps: SequenceStep[];
    /** the primary identifier of the resource the sequence created */
    identifier?: Props;
}

const nowMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class Driver {
    readonly schema: LoadedSchema;
    readonly region: string;
    readonly accountId: string;
    readonly stackId: string;
    readonly logicalResourceId: string;
    readonly timeScale: number;
    readonly clock: SimClock;
    readonly path: RequestPath;
    private readonly options: DriverOptions;
    private readonly credentials: CallerCredentials;
    private readonly providerLogging?: ProviderLogging;
    private readonly entrypoint: Entrypoint;
    private readonly onEvent?: (e: DriverEvent) => void;
    private readonly maxInvocations: number;
    private readonly overhead: InvocationOverhead | false;
    private readonly log: (line: string) => void;
    /** per primary identifier: the last template properties and the last model, as CloudFormation keeps them */
    private readonly known = new Map<string, { template: Props; model: Props }>();

    constructor(o: DriverOptions) {
        this.options = o;
        this.path = o.path ?? 'stack';
        this.entrypoint = o.entrypoint;
        this.schema = o.schema;
        this.region = o.region ?? DEFAULT_REGION;
        this.accountId = o.accountId ?? DEFAULT_ACCOUNT_ID;
        this.credentials = o.credentials ?? TEST_CREDENTIALS;
        this.providerLogging = o.providerLogging;
        if (o.timeScale !== undefined && (!(o.timeScale >= 0) || !Number.isFinite(o.timeScale)))
            throw new Error(`timeScale must be a finite number >= 0, got ${o.timeScale}`);
        this.clock = o.clock ?? clockFor(o.timeScale ?? 1);
        this.timeScale = this.clock.timeScale;
        this.onEvent = o.onEvent;
        this.stackId = o.stackId ?? defaultStackId(this.region, this.accountId);
        this.logicalResourceId = o.logicalResourceId ?? 'MyResource';
        this.maxInvocations = o.maxInvocations ?? 10000;
        this.overhead = o.invocationOverhead ?? (this.clock.virtual ? DEFAULT_INVOCATION_OVERHEAD : false);
        this.log = o.log ?? ((line) => process.stderr.write(`${line}\n`));
    }

    /** The same CloudFormation, calling through another request path (the stack this driver remembers is not shared). */
    withPath(path: RequestPath): Driver {
        return new Driver({ ...this.options, path, stackId: this.stackId });
    }

    /** A change of the stack's tags (an update of the stack's tags alone, or with the template): later requests carry them. */
    setStackTags(tags: Record<string, string>): void {
        if (!this.options.stackTags) throw new Error('This driver has no stack tags to change: give it a StackTags object (DriverOptions.stackTags).');
        this.options.stackTags.previous = this.options.stackTags.current;
        this.options.stackTags.current = { ...tags };
    }

    /** The same CloudFormation, calling back `seconds` later than each IN_PROGRESS event asks (same stack, what it remembers not shared). */
    withCallbackLatency(seconds: number): Driver {
        return new Driver({ ...this.options, callbackLatencySeconds: seconds, stackId: this.stackId });
    }

    /** What READ and DELETE carry on this driver's path. */
    private identifyingProps(model: Props): Props {
        if (this.path === 'cloudcontrol') return jsonClone(this.schema.primaryIdentifierOf(model) ?? {});
        if (this.path === 'cfntest') return jsonClone(model);
        return { ...(this.lastKnown(model) ?? {}), ...jsonClone(model) };
    }

    /** The last known properties (template input + outputs) of a resource, if this driver created/updated it. */
    lastKnown(model: Props): Props | undefined {
        const k = this.knownOf(model);
        return k ? jsonClone({ ...k.template, ...k.model }) : undefined;
    }

    private knownOf(model: Props): { template: Props; model: Props } | undefined {
        const id = this.schema.primaryIdentifierOf(model);
        return id ? this.known.get(JSON.stringify(id)) : undefined;
    }

    async create(props: Props): Promise<OperationResult> {
        const errors = this.schema.validateDesired(props);
        if (errors.length) return this.rejected('CREATE', 'InvalidRequest', `Properties validation failed for resource: ${errors.join('; ')}`);
        const r = await this.runMutating('CREATE', jsonClone(props), undefined, { desired: props });
        if (r.status === 'SUCCESS' && r.model) this.remember(r.model, props);
        return r;
    }

    read(model: Props): Promise<OperationResult> {
        return this.clock.run(() => this.readOnce(model));
    }

    private async readOnce(model: Props): Promise<OperationResult> {
        const id = this.requireId('READ', model);
        const props = this.identifyingProps(model);
        const started = nowMs();
        const bearerToken = newBearerToken();
        const events: DriverEvent[] = [];
        const request = this.request('READ', bearerToken, props);
        const response = await this.invoke('READ', request, 1, undefined, { expectedIdentifier: id }, started, 0, events);
        const sim = events[0].elapsedSimSeconds;
        if (events[0].overLimit) return this.invocationTimedOut('READ', bearerToken, started, sim, events);
        return this.finish('READ', response, bearerToken, started, sim, events);
    }

    /**
     * UPDATE. `desired` is the template's new properties (stack), the update input (cfntest), or the patch's
     * values (cloudcontrol: each key replaces or adds that property of the read model).
     */
    async update(previous: Props, desiredIn: Props): Promise<OperationResult> {
        const id = this.requireId('UPDATE', previous);
        let prevProps = { ...(this.lastKnown(previous) ?? {}), ...jsonClone(previous) };
        let desired = desiredIn;
        if (this.path === 'cfntest') {
            prevProps = jsonClone(previous);
            const readOnly = Object.fromEntries(Object.entries(previous).filter(([k]) => this.schema.readOnly.includes(k)));
            desired = { ...jsonClone(readOnly), ...jsonClone(desiredIn), ...id };
        } else if (this.path === 'cloudcontrol') {
            const current = await this.read(id);
            if (current.status !== 'SUCCESS' || !current.model) return { ...current, action: 'UPDATE' };
            prevProps = jsonClone(current.model);
            desired = { ...jsonClone(current.model), ...jsonClone(desiredIn), ...id };
        }
        const toValidate = this.path === 'stack' ? desired : Object.fromEntries(Object.entries(desired).filter(([k]) => !this.schema.readOnly.includes(k)));
        // Cloud Control validates the patched model; `cfn test` sends its input as is: neither checks `required` here
        const errors = this.path === 'stack' ? this.schema.validateDesired(toValidate) : this.schema.validateModel(toValidate);
        if (errors.length) return this.rejected('UPDATE', 'InvalidRequest', `Properties validation failed for resource: ${errors.join('; ')}`);
        // createOnly: compare template to template (the previous model when this driver never saw the template),
        // with schema defaults on both sides
        // (Cloud Control and cfn test compare only what both sides carry: neither sees the write-only template values)
        const before = this.schema.withDefaults(this.path === 'stack' ? (this.knownOf(previous)?.template ?? prevProps) : prevProps);
        const after = this.schema.withDefaults(desired);
        const compared = (p: string) => this.path === 'stack' || (p in prevProps && p in desired);
        const changed = this.schema.createOnly.filter((p) => compared(p) && !deepEqual(before[p], after[p]));
        if (changed.length) {
            return this.rejected(
                'UPDATE',
                'NotUpdatable',
                `createOnly propert${changed.length > 1 ? 'ies' : 'y'} ${changed.map((p) => `${p} (${JSON.stringify(before[p])} -> ${JSON.stringify(after[p])})`).join(', ')} changed: CloudFormation would replace the resource, which the local driver does not do`,
            );
        }
        const r = await this.runMutating('UPDATE', { ...jsonClone(desired), ...id }, prevProps, { desired: toValidate, expectedIdentifier: id });
        if (r.status === 'SUCCESS' && r.model) this.remember(r.model, desired);
        return r;
    }

    async delete(model: Props): Promise<OperationResult> {
        const id = this.requireId('DELETE', model);
        const props = this.identifyingProps(model);
        return this.runMutating('DELETE', props, undefined, { expectedIdentifier: id });
    }

    list(): Promise<OperationResult> {
        return this.clock.run(() => this.listAll());
    }

    private async listAll(): Promise<OperationResult> {
        const started = nowMs();
        const bearerToken = newBearerToken();
        const events: DriverEvent[] = [];
        const models: Props[] = [];
        const limitSeconds = this.schema.timeoutInMinutes('list') * 60;
        const tokensSeen = new Map<string, number>();
        let nextToken: string | undefined;
        let previous: ProgressEventJson | undefined;
        let sim = 0;
        for (let page = 1; ; page++) {
            if (page > MAX_LIST_PAGES) {
                throw new ContractViolation(
                    'LIST',
                    [`LIST did not finish within ${MAX_LIST_PAGES} pages: nextToken never became null`],
                    events[events.length - 1]?.request,
                    previous,
                    page - 1,
                );
            }
            const request = this.request('LIST', bearerToken, {}, undefined, null, nextToken);
            const response = await this.invoke('LIST', request, page, previous, {}, started, sim, events, (resp) => {
                const tok = resp.nextToken;
                if (typeof tok === 'string' && tokensSeen.has(tok)) {
                    return [`LIST nextToken ${JSON.stringify(tok)} was already returned on page ${tokensSeen.get(tok)}: paging would loop forever`];
                }
                return [];
            });
            sim = events[events.length - 1].elapsedSimSeconds;
            if (events[events.length - 1].overLimit) return this.invocationTimedOut('LIST', bearerToken, started, sim, events);
            if (response.status !== 'SUCCESS') return this.finish('LIST', response, bearerToken, started, sim, events);
            models.push(...(response.resourceModels ?? []));
            if (response.nextToken == null || response.nextToken === '') break;
            tokensSeen.set(response.nextToken, page);
            nextToken = response.nextToken;
            previous = response;
            if (sim > limitSeconds) return this.timedOut('LIST', limitSeconds, bearerToken, started, sim, events);
        }
        const r = this.finish('LIST', { status: 'SUCCESS', message: '' }, bearerToken, started, sim, events);
        r.models = models;
        return r;
    }

    /**
     * The sequence `cfn test` runs: create -> read -> update -> read -> list (contains it) -> delete ->
     * read (NotFound) -> update (NotFound) -> delete (NotFound) -> list (does not contain it).
     * Contract violations and failed expectations are recorded per step; it never throws for them.
     */
    async contractSequence(createProps: Props, updateProps: Props): Promise<SequenceReport> {
        const steps: SequenceStep[] = [];
        let identifier: Props | undefined;
        let current: Props | undefined;
        let deleted = false;

        const step = async (
            name: string,
            needs: boolean,
            run: () => Promise<OperationResult>,
            check: (r: OperationResult) => string | undefined,
        ): Promise<OperationResult | undefined> => {
            if (!needs) {
                steps.push({ step: name, passed: false, skipped: true, reason: 'skipped: an earlier step it depends on failed' });
                return undefined;
            }
            try {
                const r = await run();
                const reason = check(r);
                steps.push({ step: name, passed: reason === undefined, reason, result: r });
                return r;
            } catch (err) {
                steps.push({ step: name, passed: false, reason: err instanceof Error ? err.message : String(err) });
                return undefined;
            }
        };
        const expectSuccess = (r: OperationResult): string | undefined =>
            r.status === 'SUCCESS' ? undefined : `expected SUCCESS, got ${r.status} ${r.errorCode ?? ''}: ${r.message}`;
        const expectNotFound = (r: OperationResult): string | undefined =>
            r.status === 'FAILED' && r.errorCode === 'NotFound' ? undefined : `expected FAILED NotFound, got ${r.status} ${r.errorCode ?? ''}: ${r.message}`;
        const sameModel = (want: Props | undefined, got: Props | undefined): string | undefined => {
            if (!want || !got) return undefined;
            const diff = [...new Set([...Object.keys(want), ...Object.keys(got)])].filter((k) => !deepEqual(want[k], got[k]));
            return diff.length
                ? `read model differs from the last written model on ${diff.map((k) => `${k} (${JSON.stringify(want[k])} vs ${JSON.stringify(got[k])})`).join(', ')}`
                : undefined;
        };
        const contains = (r: OperationResult): boolean =>
            !!identifier && (r.models ?? []).some((m) => deepEqual(this.schema.primaryIdentifierOf(m), identifier));

        const created = await step('create', true, () => this.create(createProps), expectSuccess);
        if (created?.status === 'SUCCESS' && created.model) {
            current = created.model;
            identifier = this.schema.primaryIdentifierOf(current);
        }
        const have = (): boolean => identifier !== undefined;

        await step(
            'read after create',
            have(),
            () => this.read(identifier!),
            (r) => expectSuccess(r) ?? sameModel(current, r.model),
        );
        const updated = await step('update', have(), () => this.update(current!, updateProps), expectSuccess);
        if (updated?.status === 'SUCCESS' && updated.model) current = updated.model;
        await step(
            'read after update',
            have(),
            () => this.read(identifier!),
            (r) => expectSuccess(r) ?? (updated?.status === 'SUCCESS' ? sameModel(current, r.model) : undefined),
        );
        await step(
            'list contains it',
            have(),
            () => this.list(),
            (r) => expectSuccess(r) ?? (contains(r) ? undefined : `LIST (${r.models?.length ?? 0} models) does not contain ${JSON.stringify(identifier)}`),
        );
        await step(
            'delete',
            have(),
            () => this.delete(current!),
            (r) => {
                const e = expectSuccess(r);
                if (!e) deleted = true;
                return e;
            },
        );
        await step('read after delete', deleted, () => this.read(identifier!), expectNotFound);
        await step('update after delete', deleted, () => this.update(current!, updateProps), expectNotFound);
        await step('delete after delete', deleted, () => this.delete(current!), expectNotFound);
        await step(
            'list after delete',
            deleted,
            () => this.list(),
            (r) => expectSuccess(r) ?? (contains(r) ? `LIST still contains the deleted ${JSON.stringify(identifier)}` : undefined),
        );

        return { passed: steps.every((s) => s.passed), steps, identifier };
    }

    // ---------------------------------------------------------------------------------------------

    private requireId(action: CfnAction, model: Props): Props {
        const id = this.schema.primaryIdentifierOf(model);
        if (!id)
            throw new Error(`${action}: the model must carry the primary identifier (${this.schema.primaryIdentifier.join(', ')}): ${JSON.stringify(model)}`);
        return id;
    }

    private remember(model: Props, template: Props): void {
        const id = this.schema.primaryIdentifierOf(model);
        if (id) this.known.set(JSON.stringify(id), { template: jsonClone(template), model: jsonClone(model) });
    }

    private request(
        action: CfnAction,
        bearerToken: string,
        resourceProperties: Props,
        previousResourceProperties?: Props,
        callbackContext: Record<string, unknown> | null = null,
        nextToken?: string,
    ): HandlerRequestPayload {
        return (this.path === 'cfntest' ? buildContractTestRequest : buildHandlerRequest)({
            action,
            bearerToken,
            resourceProperties,
            previousResourceProperties,
            callbackContext,
            nextToken,
            resourceType: this.schema.typeName,
            region: this.region,
            accountId: this.accountId,
            credentials: this.credentials,
            stackId: this.stackId,
            logicalResourceId: this.logicalResourceId,
            providerLogging: this.providerLogging,
            ...(this.path === 'stack' && this.options.stackTags
                ? { stackTags: this.options.stackTags.current, previousStackTags: this.options.stackTags.previous }
                : {}),
        });
    }

    /** One invocation: call, JSON round-trip (as the Lambda wire does), contract check, event. */
    private async invoke(
        action: CfnAction,
        request: HandlerRequestPayload,
        attempt: number,
        previous: ProgressEventJson | undefined,
        ctx: ContractContext,
        started: number,
        simBefore: number,
        events: DriverEvent[],
        extraCheck?: (r: ProgressEventJson) => string[],
    ): Promise<ProgressEventJson> {
        const sim0 = this.clock.now();
        let raw: unknown;
        try {
            raw = await this.entrypoint(jsonClone(request), lambdaContext());
        } catch (err) {
            throw new ContractViolation(
                action,
                [`entrypoint threw instead of returning a ProgressEvent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`],
                request,
                undefined,
                attempt,
            );
        }
        const handlerSimSeconds = (this.clock.now() - sim0) / 1000;
        let response: unknown;
        try {
            response = raw === undefined ? undefined : JSON.parse(JSON.stringify(raw));
        } catch (err) {
            throw new ContractViolation(action, [`response is not JSON-serializable: ${(err as Error).message}`], request, raw, attempt);
        }
        const violations = assertContract(action, request, response, this.schema, previous, ctx);
        if (violations.length === 0 && extraCheck) violations.push(...extraCheck(response as ProgressEventJson));
        const ev: DriverEvent = {
            action,
            attempt,
            request,
            response: response as ProgressEventJson,
            elapsedRealMs: nowMs() - started,
            elapsedSimSeconds: simBefore + handlerSimSeconds,
            handlerSimSeconds,
        };
        const overLimit = this.overLimit(action, attempt, handlerSimSeconds);
        if (overLimit) ev.overLimit = overLimit;
        events.push(ev);
        this.onEvent?.(ev);
        if (violations.length) throw new ContractViolation(action, violations, request, response, attempt);
        return response as ProgressEventJson;
    }

    /** One operation is one party of the clock: time moves only while it (or the handler it calls) waits. */
    private runMutating(
        action: 'CREATE' | 'UPDATE' | 'DELETE',
        resourceProperties: Props,
        previousResourceProperties: Props | undefined,
        ctx: ContractContext,
    ): Promise<OperationResult> {
        return this.clock.run(() => this.mutate(action, resourceProperties, previousResourceProperties, ctx));
    }

    private async mutate(
        action: 'CREATE' | 'UPDATE' | 'DELETE',
        resourceProperties: Props,
        previousResourceProperties: Props | undefined,
        ctx: ContractContext,
    ): Promise<OperationResult> {
        const started = nowMs();
        const bearerToken = newBearerToken();
        const events: DriverEvent[] = [];
        const limitSeconds = this.schema.timeoutInMinutes(action) * 60;
        let props = resourceProperties;
        let callbackContext: Record<string, unknown> | null = null;
        let previous: ProgressEventJson | undefined;
        let sim = 0;
        for (let attempt = 1; ; attempt++) {
            const request = this.request(action, bearerToken, props, previousResourceProperties, callbackContext);
            const response = await this.invoke(action, request, attempt, previous, ctx, started, sim, events);
            sim = events[events.length - 1].elapsedSimSeconds;
            if (events[events.length - 1].overLimit) return this.invocationTimedOut(action, bearerToken, started, sim, events);
            if (response.status !== 'IN_PROGRESS') return this.finish(action, response, bearerToken, started, sim, events);
            const delay = (response.callbackDelaySeconds ?? 0) + (this.options.callbackLatencySeconds ?? 0);
            if (sim + delay > limitSeconds) return this.timedOut(action, limitSeconds, bearerToken, started, sim + delay, events);
            if (attempt >= this.maxInvocations) {
                throw new ContractViolation(
                    action,
                    [`still IN_PROGRESS after ${attempt} invocations (${sim.toFixed(1)} simulated seconds): the handler makes no progress`],
                    request,
                    response,
                    attempt,
                );
            }
            await this.clock.sleep(delay * 1000);
            sim += delay;
            props = isRecord(response.resourceModel) ? response.resourceModel : {};
            callbackContext = isRecord(response.callbackContext) ? response.callbackContext : null;
            previous = response;
        }
    }

    private finish(action: CfnAction, response: ProgressEventJson, bearerToken: string, started: number, sim: number, events: DriverEvent[]): OperationResult {
        const r: OperationResult = {
            action,
            status: response.status === 'SUCCESS' ? 'SUCCESS' : 'FAILED',
            message: typeof response.message === 'string' ? response.message : '',
            invokedHandler: true,
            bearerToken,
            elapsedRealMs: nowMs() - started,
            elapsedSimSeconds: sim,
            events,
        };
        if (response.errorCode) r.errorCode = response.errorCode;
        if (isRecord(response.resourceModel)) r.model = response.resourceModel;
        if (Array.isArray(response.resourceModels)) r.models = response.resourceModels;
        return r;
    }

    private timedOut(action: CfnAction, limitSeconds: number, bearerToken: string, started: number, sim: number, events: DriverEvent[]): OperationResult {
        const message =
            `Timeout: ${action} did not finish within timeoutInMinutes=${limitSeconds / 60} ` +
            `(${Math.round(sim)} simulated seconds after ${events.length} invocation${events.length === 1 ? '' : 's'}; last status IN_PROGRESS)`;
        this.log(`[driver] ${this.schema.typeName} ${message}`);
        return {
            action,
            status: 'FAILED',
            errorCode: TIMEOUT_ERROR_CODE,
            timedOut: true,
            message,
            invokedHandler: true,
            bearerToken,
            elapsedRealMs: nowMs() - started,
            elapsedSimSeconds: sim,
            events,
            model: events.length ? events[events.length - 1].response.resourceModel : undefined,
        };
    }

    /** Why CloudFormation would not have waited for this invocation's answer, if it would not have. */
    private overLimit(action: CfnAction, attempt: number, handlerSeconds: number): string | undefined {
        if (!this.overhead) return undefined;
        const cold = attempt === 1 ? this.overhead.coldStartSeconds : 0;
        const total = handlerSeconds + cold + this.overhead.deliverySeconds;
        const limit = INVOCATION_LIMIT_SECONDS[action];
        if (total <= limit) return undefined;
        const parts = `${handlerSeconds.toFixed(1)} s of handler work${cold ? ` + ${cold} s cold start` : ''} + ${this.overhead.deliverySeconds} s log delivery`;
        const first = action === 'CREATE' && attempt === 1 ? ' Resource timed out waiting for creation of physical resource.' : '';
        return `${action} invocation ${attempt} took ${total.toFixed(1)} s (${parts}); CloudFormation allows ${limit} s per invocation.${first}`;
    }

    /** An invocation past CloudFormation's limit: the operation fails, whatever the handler answered later. */
    private invocationTimedOut(action: CfnAction, bearerToken: string, started: number, sim: number, events: DriverEvent[]): OperationResult {
        const message = `Timeout: ${events[events.length - 1].overLimit}`;
        this.log(`[driver] ${this.schema.typeName} ${message}`);
        return {
            action,
            status: 'FAILED',
            errorCode: TIMEOUT_ERROR_CODE,
            timedOut: true,
            message,
            invokedHandler: true,
            bearerToken,
            elapsedRealMs: nowMs() - started,
            elapsedSimSeconds: sim,
            events,
        };
    }

    private rejected(action: CfnAction, errorCode: string, message: string): OperationResult {
        return { action, status: 'FAILED', errorCode, message, invokedHandler: false, elapsedRealMs: 0, elapsedSimSeconds: 0, events: [] };
    }
}

// -------------------------------------------------------------------------------------------------

const LIB_UTILS = '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib/dist/utils';
const ORIGINAL_DELAY = Symbol.for('custom-kms-cloudhsmkeystore.local.originalDelay');
type DelayFn = ((seconds: number) => Promise<void>) & { [ORIGINAL_DELAY]?: DelayFn };

/**
 * Local-only speed-up: the library ends every invocation with `await delay(1)` (`waitRunningProcesses`,
 * looked up on the `dist/utils` exports object at call time). This replaces that export with one that
 * sleeps `seconds * timeScale` (0 = no sleep). Returns a function that puts back what was there before.
 * Scalings do not compound: a second call scales the library's original `delay`.
 */
export function scaleLibraryDelay(timeScale: number): () => void {
    return replaceLibraryDelay((original) => (seconds: number) => original(seconds * timeScale), timeScale);
}

/** The same sleep taken on `clock` (the simulator's): a second of simulated time per invocation, as in AWS. */
export function libraryDelayOn(clock: SimClock): () => void {
    return replaceLibraryDelay(() => (seconds: number) => clock.sleep(seconds * 1000), 0);
}

function replaceLibraryDelay(make: (original: DelayFn) => (seconds: number) => Promise<void>, timeScale: number): () => void {
    if (!(timeScale >= 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a finite number >= 0, got ${timeScale}`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the library's module object itself, whose export is replaced
    const utils = require(LIB_UTILS) as { delay: DelayFn };
    const before = utils.delay;
    const original = before[ORIGINAL_DELAY] ?? before;
    const scaled: DelayFn = make(original);
    scaled[ORIGINAL_DELAY] = original;
    utils.delay = scaled;
    return () => {
        utils.delay = before;
    };
}
