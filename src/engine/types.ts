/**
 * The engine's vocabulary, the same for every resource type: a workflow is a table of named phases, each returning
 * an Outcome; the runner (runner.ts) turns outcomes into ProgressEvents. Nothing here knows a resource type.
 */
import { BaseModel, HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import type { Adapters } from '../aws/adapters';

/** What the runner itself keeps in every workflow's callbackContext (JSON only, never a secret value). */
export interface RunnerCtx<P = unknown> {
    phase?: string;
    /** Waits taken and seconds waited in the current phase: the backoff step and the budget. */
    attempt?: number;
    waited?: number;
    retries?: number;
    failure?: { code: HandlerErrorCode; message: string };
    /** Write-only values recalled from a record (names and ids only); the request's own values win over them. */
    recalled?: Partial<P>;
    notes?: string[];
    /** When the operation's first invocation began (epoch ms), kept for a workflow with a deadline. */
    startedAt?: number;
}

export interface RequestInfo {
    clientRequestToken: string;
    logicalResourceId: string;
    /** The stack's ARN on a stack operation (systemTags aws:cloudformation:stack-id, or the request's stackId). */
    stackId?: string;
    region: string;
    awsAccountId: string;
    /**
     * The stack's tags: CloudFormation passes them to the handlers of every resource in a stack (HandlerRequest
     * requestData.stackTags, the library's desiredResourceTags), for a taggable type to apply along with the
     * resource's own. Absent outside a stack (Cloud Control, `cfn test`, a custom resource).
     */
    stackTags?: Record<string, string>;
}

export interface PhaseEnv<P, C> {
    aws: Adapters;
    request: RequestInfo;
    desired: Readonly<P>;
    previous: Readonly<P>;
    ctx: Readonly<C>;
    log(message: string): void;
    /** Milliseconds this invocation may still spend before it must hand back to CloudFormation. */
    timeLeftMs(): number;
    /** Epoch milliseconds on the runner's clock (the time a phase writes into the callbackContext). */
    now(): number;
}

export type Outcome<C> =
    | { kind: 'next'; ctx: C; to?: string }
    /** Come back to the same phase later: inline (slept inside this invocation) when short and time allows. */
    | { kind: 'wait'; ctx: C; seconds: number; message: string; inline?: boolean }
    | { kind: 'done'; ctx: C; message?: string }
    | { kind: 'fail'; ctx: C; code: HandlerErrorCode; message: string };

export type Phase<P, C> = (env: PhaseEnv<P, C>) => Promise<Outcome<C>>;

/** What the runner needs to know of a resource type: how its properties become the model, and its primary identifier. */
export interface ResourceKind<P, M extends BaseModel> {
    toModel(props: P): M;
    /** Every IN_PROGRESS must carry it; before it exists, the runner keeps waits inside the invocation. */
    identifier(props: P): string | undefined;
}

export interface Workflow<P, C, M extends BaseModel> {
    name: string;
    kind: ResourceKind<P, M>;
    phases: ReadonlyArray<readonly [string, Phase<P, C>]>;
    /**
     * The most minutes one operation may take, from its first invocation: a wait that would end past it ends the
     * operation instead (through the rollback), with the handler's own message. Set it below the handler's
     * timeoutInMinutes in the schema, with a margin for the last invocation and the rollback, so that it always
     * fires before CloudFormation's timeout, which ends the operation with no word of what it was waiting for.
     */
    deadlineMinutes?: number;
    /** Run after a failure once something was made, to undo it; the operation then reports the original failure. */
    rollback?: ReadonlyArray<readonly [string, Phase<P, C>]>;
    /** What may be left when the rollback itself did not finish, with how to remove it by hand. */
    leftAfterRollback?(env: PhaseEnv<P, C>, ctx: C): string | undefined;
    /** The model a SUCCESS carries; undefined for none (a delete). */
    finish(env: PhaseEnv<P, C>, ctx: C): Promise<P | undefined>;
    /** The model an IN_PROGRESS carries: the request's properties plus what was learnt. */
    progressModel(desired: Readonly<P>, ctx: C): P;
}
