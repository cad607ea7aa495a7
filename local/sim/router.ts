/** Routes an awsJson1_1 call on its X-Amz-Target to a service operation, with faults and the request log. */
import { sleep } from './clock';
import { cloudhsmOperations } from './services/cloudhsm';
import { kmsOperations } from './services/kms';
import { kmsKeyOperations } from './services/kms-keys';
import { parameterOperations } from './services/parameters';
import { secretsOperations } from './services/secrets';
import { ssmOperations } from './services/ssm';
import type { Sim } from './sim';
import type { RequestRecord } from './state';
import { AwsError, errorBody, INTERNAL_ERROR, Json, ServiceName, TARGET_PREFIX } from './wire';

type Handler = (sim: Sim, body: Json) => Json;

/** The request log keeps the newest this many calls. */
const MAX_LOGGED = 20_000;

const OPERATIONS: Record<ServiceName, Record<string, Handler>> = {
  kms: { ...kmsOperations, ...kmsKeyOperations },
  cloudhsm: cloudhsmOperations,
  ssm: { ...ssmOperations, ...parameterOperations },
  secretsmanager: secretsOperations,
};

export interface ApiAnswer {
  status: number;
  body: Json;
  errorType?: string;
}

/** Answer one AWS API call. `target` is the X-Amz-Target header, `raw` the request body. */
export async function handleApiCall(sim: Sim, target: string | undefined, raw: string): Promise<ApiAnswer> {
  const dot = target?.indexOf('.') ?? -1;
  const service = dot > 0 ? TARGET_PREFIX[target!.slice(0, dot)] : undefined;
  const operation = dot > 0 ? target!.slice(dot + 1) : '';
  const handler = service ? OPERATIONS[service][operation] : undefined;

  let body: unknown;
  let parseError: AwsError | undefined;
  try {
    body = raw.trim() === '' ? {} : JSON.parse(raw);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
  } catch {
    parseError = new AwsError('SerializationException', 'Start of structure or map found where not expected.');
  }

  const record: RequestRecord = { seq: ++sim.world.seq, service: service ?? 'unknown', operation: operation || (target ?? ''), time: sim.now(), body: body ?? raw };
  const log = sim.world.requests;
  log.push(record);
  if (log.length > MAX_LOGGED) log.splice(0, log.length - MAX_LOGGED);
  const answer = (status: number, out: Json, errorType?: string): ApiAnswer => {
    record.status = status;
    if (errorType) record.errorType = errorType;
    return { status, body: out, errorType };
  };
  const fail = (svc: ServiceName | undefined, e: AwsError) => answer(e.status, errorBody(svc ?? 'kms', e), e.type);

  if (!service || !handler) {
    return fail(service, new AwsError('UnknownOperationException', target ? `Unknown operation ${target}` : 'Missing X-Amz-Target header'));
  }
  const fault = sim.faults.forApiCall(service, operation);
  if (fault.label) record.fault = fault.label;
  if (fault.delayMs > 0) await sleep(fault.delayMs);
  if (fault.error) return fail(service, fault.error);
  if (parseError) return fail(service, parseError);
  try {
    return answer(200, handler(sim, body as Json));
  } catch (e) {
    if (e instanceof AwsError) return fail(service, e);
    console.error(`[sim] internal error in ${service}.${operation}:`, e);
    return fail(service, new AwsError(INTERNAL_ERROR[service], `Simulator internal error: ${String(e)}`, 500));
  }
}
