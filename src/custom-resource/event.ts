import { requestDigest } from '../engine/hash';
import { RunnerCtx } from '../engine/types';

/** The request CloudFormation sends a Lambda-backed custom resource (crpg-ref-requests). */
export interface CfnRequest {
    RequestType: 'Create' | 'Update' | 'Delete';
    ResponseURL: string;
    StackId: string;
    RequestId: string;
    LogicalResourceId: string;
    ResourceType?: string;
    PhysicalResourceId?: string;
    ServiceToken?: string;
    ResourceProperties?: Record<string, unknown>;
    OldResourceProperties?: Record<string, unknown>;
}

export type WorkflowName = 'create' | 'update' | 'delete';

/** What one invocation hands the next through an asynchronous self-invocation: never a secret value. */
export interface Continuation {
    continuationOf: CfnRequest;
    workflow: WorkflowName;
    callbackContext: RunnerCtx<unknown>;
    /** The id of what a create has made so far (a key store id, a KMS key id). */
    resourceId?: string;
    /** When the first invocation started, on the handler's clock: the service timeout counts from here. */
    startedAt: number;
    /** Do not resume before this time (the IN_PROGRESS delay that did not fit in the previous invocation). */
    notBefore: number;
    hop: number;
}

const TYPES = new Set(['Create', 'Update', 'Delete']);

export function isContinuation(event: unknown): event is Continuation {
    return typeof event === 'object' && event !== null && 'continuationOf' in event;
}

/** The fields the protocol needs; anything else is not a custom resource request this function can answer. */
export function asRequest(event: unknown): CfnRequest | undefined {
    const e = event as Partial<CfnRequest> | null;
    if (!e || typeof e !== 'object') return undefined;
    if (!TYPES.has(String(e.RequestType))) return undefined;
    for (const k of ['ResponseURL', 'StackId', 'RequestId', 'LogicalResourceId'] as const) if (typeof e[k] !== 'string' || !e[k]) return undefined;
    return e as CfnRequest;
}

/** StackId and RequestId together identify one request to one resource (crpg-ref-requests): the idempotency key. */
export function requestToken(r: CfnRequest): string {
    return requestDigest(r.StackId, r.RequestId, r.LogicalResourceId).slice(0, 36);
}

/** arn:aws:cloudformation:<region>:<account>:stack/<name>/<id> */
export function stackArnParts(stackId: string): { region?: string; accountId?: string } {
    const parts = stackId.split(':');
    return parts.length >= 6 ? { region: parts[3] || undefined, accountId: parts[4] || undefined } : {};
}

export const STORE_ID = /^cks-[0-9a-f]{17}$/;
