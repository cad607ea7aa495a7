/**
 * The handler contract CloudFormation and `cfn test` enforce on every ProgressEvent (DESIGN.md section 9).
 *
 * `assertContract(...)` returns the list of violations of ONE response (an empty list = compliant);
 * the driver throws `ContractViolation` carrying all of them.
 */
import type { LoadedSchema, Props } from './schema';
import type { CfnAction, HandlerRequestPayload } from './handler-request';

export const HANDLER_ERROR_CODES = [
    'NotUpdatable',
    'InvalidRequest',
    'AccessDenied',
    'InvalidCredentials',
    'AlreadyExists',
    'NotFound',
    'ResourceConflict',
    'Throttling',
    'ServiceLimitExceeded',
    'NotStabilized',
    'GeneralServiceException',
    'ServiceInternalError',
    'NetworkFailure',
    'InternalFailure',
    'InvalidTypeConfiguration',
] as const;
export type HandlerErrorCodeName = (typeof HANDLER_ERROR_CODES)[number];

export const TERMINAL_OR_PROGRESS = ['SUCCESS', 'FAILED', 'IN_PROGRESS'] as const;
export type ProgressStatus = (typeof TERMINAL_OR_PROGRESS)[number];

/** A serialized ProgressEvent as it crosses the Lambda wire. */
export interface ProgressEventJson {
    status: ProgressStatus;
    errorCode?: string;
    message?: string;
    callbackContext?: Record<string, unknown> | null;
    callbackDelaySeconds?: number;
    resourceModel?: Props;
    resourceModels?: Props[];
    nextToken?: string | null;
}

export interface ContractContext {
    /** CREATE/UPDATE: the properties the user asked for (the request carries the previous model on re-invocations) */
    desired?: Props;
    /** READ/UPDATE/DELETE: the primary identifier the operation targets (a SUCCESS must not change it) */
    expectedIdentifier?: Props;
}

export class ContractViolation extends Error {
    constructor(
        readonly action: CfnAction,
        readonly violations: string[],
        readonly request: unknown,
        readonly response: unknown,
        readonly attempt?: number,
    ) {
        super(
            `${action}${attempt !== undefined ? ` (invocation ${attempt})` : ''}: handler contract violated:\n` +
                violations.map((v) => `  - ${v}`).join('\n') +
                `\nresponse: ${safeJson(response)}`,
        );
        this.name = 'ContractViolation';
    }
}

function safeJson(v: unknown): string {
    try {
        const s = JSON.stringify(v);
        return s === undefined ? String(v) : s.length > 2000 ? `${s.slice(0, 2000)}...` : s;
    } catch {
        return String(v);
    }
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a)) {
        const bb = b as unknown[];
        return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
    }
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
    const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
    return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

function present(v: unknown): boolean {
    return v !== undefined && v !== null;
}

/**
 * Check one response against the contract.
 * @param previousResponse the previous response of the same operation (IN_PROGRESS chain or LIST page), if any
 */
export function assertContract(
    action: CfnAction,
    request: HandlerRequestPayload | undefined,
    response: unknown,
    schema: LoadedSchema,
    previousResponse?: ProgressEventJson,
    context: ContractContext = {},
): string[] {
    const v: string[] = [];
    if (!isRecord(response)) {
        return [`response must be a ProgressEvent object, got ${safeJson(response)}`];
    }
    const r = response as Record<string, unknown>;
    const status = r.status;
    const ids = schema.primaryIdentifier;
    const idText = ids.join(', ');
    const requestModel = request?.requestData?.resourceProperties;

    if (!TERMINAL_OR_PROGRESS.includes(status as ProgressStatus)) {
        v.push(`status must be one of SUCCESS, FAILED, IN_PROGRESS; got ${safeJson(status)}`);
    }
    if ('message' in r && r.message !== undefined && r.message !== null && typeof r.message !== 'string') {
        v.push(`message must be a string, got ${safeJson(r.message)}`);
    }
    const delay = r.callbackDelaySeconds;
    if (present(delay) && typeof delay !== 'number') {
        v.push(`callbackDelaySeconds must be a number, got ${safeJson(delay)}`);
    }
    const model = r.resourceModel;
    if (present(model) && !isRecord(model)) v.push(`resourceModel must be an object, got ${safeJson(model)}`);
    if (present(r.resourceModels) && !Array.isArray(r.resourceModels)) {
        v.push(`resourceModels must be an array, got ${safeJson(r.resourceModels)}`);
    }
    if (present(r.callbackContext) && !isRecord(r.callbackContext)) {
        v.push(`callbackContext must be an object, got ${safeJson(r.callbackContext)}`);
    }

    const hasId = (m: unknown): boolean => schema.primaryIdentifierOf(m) !== undefined;
    const writeOnlyIn = (m: unknown): string[] => (isRecord(m) ? schema.writeOnly.filter((p) => present(m[p])) : []);
    const shapeErrors = (m: unknown, where: string): void => {
        for (const e of schema.validateModel(m)) v.push(`${where} does not match the schema: ${e}`);
    };

    if (status === 'IN_PROGRESS') {
        if (action === 'READ' || action === 'LIST') {
            v.push(`${action} must never return IN_PROGRESS (READ and LIST handlers must return synchronously)`);
        }
        if (present(r.errorCode)) v.push(`IN_PROGRESS must not carry an errorCode (got ${safeJson(r.errorCode)})`);
        if (present(r.resourceModels)) v.push('IN_PROGRESS must not carry resourceModels');
        if (!isRecord(model)) {
            v.push('IN_PROGRESS must carry a resourceModel (it is the resourceProperties of the next invocation)');
        } else {
            if (!hasId(model)) v.push(`IN_PROGRESS resourceModel must carry the primary identifier (${idText})`);
            if (isRecord(requestModel)) {
                for (const p of schema.writeOnly) {
                    if (!present(requestModel[p])) continue;
                    if (!present(model[p])) {
                        v.push(`IN_PROGRESS resourceModel dropped write-only property ${p}, which the request carried (the next invocation needs it)`);
                    } else if (!deepEqual(model[p], requestModel[p])) {
                        v.push(
                            `IN_PROGRESS resourceModel changed write-only property ${p} (request ${safeJson(requestModel[p])}, response ${safeJson(model[p])})`,
                        );
                    }
                }
            }
            shapeErrors(model, 'IN_PROGRESS resourceModel');
        }
        if (typeof delay === 'number' && (!Number.isInteger(delay) || delay < 0)) {
            v.push(`IN_PROGRESS callbackDelaySeconds must be an integer >= 0, got ${delay}`);
        }
    }

    if (status === 'SUCCESS') {
        if (present(r.errorCode)) v.push(`SUCCESS must not carry an errorCode (got ${safeJson(r.errorCode)})`);
        if (present(delay) && delay !== 0) v.push(`SUCCESS must have callbackDelaySeconds 0, got ${safeJson(delay)}`);
        const wo = writeOnlyIn(model);
        if (wo.length) v.push(`SUCCESS resourceModel must not contain write-only properties: ${wo.join(', ')}`);
        if (Array.isArray(r.resourceModels)) {
            r.resourceModels.forEach((m, i) => {
                const w = writeOnlyIn(m);
                if (w.length) v.push(`SUCCESS resourceModels[${i}] must not contain write-only properties: ${w.join(', ')}`);
            });
        }
        if (action !== 'LIST' && present(r.resourceModels)) v.push(`${action} SUCCESS must not carry resourceModels`);

        if (action === 'CREATE' || action === 'UPDATE' || action === 'READ') {
            if (!isRecord(model)) {
                v.push(`${action} SUCCESS must carry a resourceModel`);
            } else {
                if (!hasId(model)) v.push(`${action} SUCCESS resourceModel must carry the primary identifier (${idText})`);
                shapeErrors(model, `${action} SUCCESS resourceModel`);
                const want = context.expectedIdentifier;
                const got = schema.primaryIdentifierOf(model);
                if (want && got && !deepEqual(want, got)) {
                    v.push(`${action} SUCCESS returned a different primary identifier: asked ${safeJson(want)}, got ${safeJson(got)}`);
                }
            }
        }
        if ((action === 'CREATE' || action === 'UPDATE') && isRecord(model)) {
            const desired = context.desired ?? (isRecord(requestModel) ? requestModel : {});
            for (const [p, want] of Object.entries(desired)) {
                if (want === undefined || schema.readOnly.includes(p) || schema.writeOnly.includes(p)) continue;
                if (!deepEqual(model[p], want)) {
                    v.push(`${action} SUCCESS resourceModel.${p} must equal the input: input ${safeJson(want)}, output ${safeJson(model[p])}`);
                }
            }
        }
        if (action === 'DELETE' && 'resourceModel' in r) {
            v.push('DELETE SUCCESS must not have a resourceModel key at all');
        }
        if (action === 'LIST') {
            if (!Array.isArray(r.resourceModels)) {
                v.push('LIST SUCCESS must carry a resourceModels array');
            } else {
                r.resourceModels.forEach((m, i) => {
                    if (!isRecord(m)) v.push(`LIST resourceModels[${i}] must be an object`);
                    else {
                        if (!hasId(m)) v.push(`LIST resourceModels[${i}] must carry the primary identifier (${idText})`);
                        shapeErrors(m, `LIST resourceModels[${i}]`);
                    }
                });
            }
            if (present(r.nextToken) && typeof r.nextToken !== 'string') {
                v.push(`LIST nextToken must be a string or absent, got ${safeJson(r.nextToken)}`);
            }
            if (present(r.nextToken) && request?.nextToken != null && r.nextToken === request.nextToken) {
                v.push(
                    `LIST returned the nextToken it was called with (${safeJson(r.nextToken)}): paging would loop forever` +
                        ' (library 1.0.6 entrypoint drops HandlerRequest.nextToken before the handler sees it)',
                );
            } else if (present(r.nextToken) && previousResponse?.nextToken != null && r.nextToken === previousResponse.nextToken) {
                v.push(`LIST returned the same nextToken twice (${safeJson(r.nextToken)}): paging would loop forever`);
            }
        }
    }

    if ((status === 'IN_PROGRESS' || status === 'SUCCESS') && action !== 'LIST' && isRecord(model)) {
        const prevId = schema.primaryIdentifierOf(previousResponse?.resourceModel);
        const nowId = schema.primaryIdentifierOf(model);
        if (prevId && nowId && !deepEqual(prevId, nowId)) {
            v.push(`primary identifier changed between invocations: ${safeJson(prevId)} -> ${safeJson(nowId)}`);
        }
    }

    if (status === 'FAILED') {
        if (!present(r.errorCode)) v.push('FAILED must carry an errorCode');
        else if (!HANDLER_ERROR_CODES.includes(r.errorCode as HandlerErrorCodeName)) {
            v.push(`FAILED errorCode must be one of the HandlerErrorCode values, got ${safeJson(r.errorCode)}`);
        }
        if (present(delay) && delay !== 0) v.push(`FAILED must have callbackDelaySeconds 0, got ${safeJson(delay)}`);
        if (present(r.resourceModels)) v.push('FAILED must not carry resourceModels');
        if (typeof r.message !== 'string' || r.message.trim() === '') v.push('FAILED must carry a non-empty message');
    }
    return v;
}
