/**
 * Routes an AWS call to a service operation, with faults and the request log. awsJson1_1 calls are routed on
 * X-Amz-Target; CloudWatch's query-protocol PutMetricData, EC2's query calls and S3's REST calls (the library's,
 * SDK v2) on their own shapes. Encoding the answer is left to each protocol's caller.
 */
import { quotaTable, throttled } from './quotas';
import { cloudhsmOperations } from './services/cloudhsm';
import { ec2Operations } from './services/ec2';
import { kmsOperations } from './services/kms';
import { kmsKeyOperations } from './services/kms-keys';
import { logsOperations } from './services/logs';
import { monitoringOperations } from './services/monitoring';
import { parameterOperations } from './services/parameters';
import { secretsOperations } from './services/secrets';
import { ssmOperations } from './services/ssm';
import type { Sim } from './sim';
import type { RequestRecord } from './state';
import { AwsError, errorBody, INTERNAL_ERROR, Json, ServiceName, TARGET_PREFIX } from './wire';

/** Injected latency is real time: it delays the answer as a slow network would, and moves no simulated clock. */
const sleep = (realMs: number): Promise<void> => new Promise((r) => setTimeout(r, realMs));

type Handler = (sim: Sim, body: Json) => Json;

/** The request log keeps the newest this many calls. */
const MAX_LOGGED = 20_000;

const OPERATIONS: Record<ServiceName, Record<string, Handler>> = {
    kms: { ...kmsOperations, ...kmsKeyOperations },
    cloudhsm: cloudhsmOperations,
    ssm: { ...ssmOperations, ...parameterOperations },
    secretsmanager: secretsOperations,
    logs: logsOperations,
    monitoring: monitoringOperations,
    s3: {},
    ec2: ec2Operations,
};

export interface ApiAnswer {
    status: number;
    body: Json;
    errorType?: string;
}

/** The outcome of one call before protocol encoding: output, or the error to send. */
export interface Outcome {
    status: number;
    out?: Json;
    error?: AwsError;
}

/**
 * Log the call, apply faults, run it. `deny` answers a known call with an error without running anything
 * (S3: the log role has no permission). `parseError` is reported after faults, as before.
 */
export async function dispatch(
    sim: Sim,
    service: ServiceName | undefined,
    operation: string,
    body: unknown,
    opts: { parseError?: AwsError; unknown?: AwsError; deny?: AwsError } = {},
): Promise<Outcome> {
    const record: RequestRecord = { seq: ++sim.world.seq, service: service ?? 'unknown', operation, time: sim.now(), body };
    const log = sim.world.requests;
    log.push(record);
    if (log.length > MAX_LOGGED) log.splice(0, log.length - MAX_LOGGED);
    const answer = (status: number, out?: Json, error?: AwsError): Outcome => {
        record.status = status;
        if (error) record.errorType = error.type;
        return { status, out, error };
    };
    const fail = (e: AwsError) => answer(e.status, undefined, e);

    const handler = service ? OPERATIONS[service][operation] : undefined;
    if (!service || (!handler && !opts.deny)) return fail(opts.unknown ?? new AwsError('UnknownOperationException', `Unknown operation ${operation}`));
    const fault = sim.faults.forApiCall(service, operation);
    if (fault.label) record.fault = fault.label;
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    if (fault.error) return fail(fault.error);
    if (service === 'kms' && !sim.quotas.take(quotaTable(sim.config.kmsRequestQuotas), operation, sim.now())) return fail(throttled());
    if (opts.parseError) return fail(opts.parseError);
    if (opts.deny) return fail(opts.deny);
    try {
        return answer(200, handler!(sim, body as Json));
    } catch (e) {
        if (e instanceof AwsError) return fail(e);
        console.error(`[sim] internal error in ${service}.${operation}:`, e);
        return fail(new AwsError(INTERNAL_ERROR[service], `Simulator internal error: ${String(e)}`, 500));
    }
}

/** Answer one awsJson1_1 call. `target` is the X-Amz-Target header, `raw` the request body. */
export async function handleApiCall(sim: Sim, target: string | undefined, raw: string): Promise<ApiAnswer> {
    const dot = target?.indexOf('.') ?? -1;
    const service = dot > 0 ? TARGET_PREFIX[target!.slice(0, dot)] : undefined;
    const operation = dot > 0 ? target!.slice(dot + 1) : '';

    let body: unknown;
    let parseError: AwsError | undefined;
    try {
        body = raw.trim() === '' ? {} : JSON.parse(raw);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    } catch {
        parseError = new AwsError('SerializationException', 'Start of structure or map found where not expected.');
    }
    const unknown = new AwsError('UnknownOperationException', target ? `Unknown operation ${target}` : 'Missing X-Amz-Target header');
    const o = await dispatch(sim, service, operation || (target ?? ''), body ?? raw, { parseError, unknown });
    return o.error ? { status: o.status, body: errorBody(service ?? 'kms', o.error), errorType: o.error.type } : { status: o.status, body: o.out ?? {} };
}
