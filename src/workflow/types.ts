import { BaseModel, HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { CloudHsmAdapter } from '../aws/cloudhsm';
import { KmsAdapter } from '../aws/kms';
import { SecretsAdapter } from '../aws/secrets';
import { SsmAdapter } from '../aws/ssm';
import { ResourceModel } from '../models';

/** The resource's properties as the handler works with them (the model's field names). */
export interface KeyStoreProps {
    customKeyStoreId?: string;
    keyStoreName?: string;
    cloudHsmClusterId?: string;
    cloudHsmCustCaCertSecretName?: string;
    cloudHsmAdminPasswordSecretName?: string;
    cloudHsmAdminUsername?: string;
    clientInstanceId?: string;
    deleteKeyStoreUponStackDeletion?: boolean;
    adoptExistingKmsUser?: boolean;
    connectionState?: string;
    trustAnchorCertificate?: string;
}

export interface Adapters {
    kms: KmsAdapter;
    hsm: CloudHsmAdapter;
    ssm: SsmAdapter;
    secrets: SecretsAdapter;
}

export type KmsUserPurpose = 'check' | 'create' | 'reset' | 'delete' | 'rollback';

/** Where a kmsuser Run Command stands; the comment is how a retry finds a command it already sent. */
export interface CommandRef {
    purpose: KmsUserPurpose;
    comment: string;
    id?: string;
}

export interface UpdatePlan {
    rename?: string;
    moveTo?: string;
    /** Disconnect first: a cluster move, a kmsuser repair, or a FAILED store (KMS reconnects only from DISCONNECTED). */
    disconnect: boolean;
    repair: boolean;
    repairTried?: boolean;
}

/** What the runner itself keeps in every workflow's callbackContext (JSON only, never a secret value). */
export interface RunnerCtx<P = KeyStoreProps> {
    phase?: string;
    /** Waits taken and seconds waited in the current phase: the backoff step and the budget. */
    attempt?: number;
    waited?: number;
    retries?: number;
    failure?: { code: HandlerErrorCode; message: string };
    /** Write-only values recalled from a record (names and ids only); the request's own values win over them. */
    recalled?: Partial<P>;
    notes?: string[];
}

/**
 * The key store's callbackContext. The library freezes it, so phases return new ones.
 */
export interface Ctx extends RunnerCtx<KeyStoreProps> {
    storeId?: string;
    bootstrapSecretArn?: string;
    command?: CommandRef;
    kmsUser?: 'CREATED' | 'ADOPTED' | 'RESET' | 'DELETED' | 'ABSENT';
    plan?: UpdatePlan;
    keyScan?: { marker?: string; checked: number; found: number; done?: boolean; latestDeletion?: number; pending?: number };
    recordFound?: boolean;
    /** Create: the store is a leftover of an earlier attempt of this same resource, proven by its record, and is resumed. */
    resumed?: boolean;
    /** The bootstrap secret the earlier attempt of a resumed create left (from the store's record): deleted with ours. */
    staleSecretArn?: string;
}

export interface RequestInfo {
    clientRequestToken: string;
    logicalResourceId: string;
    /** The stack's ARN on a stack operation (systemTags aws:cloudformation:stack-id, or the request's stackId). */
    stackId?: string;
    region: string;
    awsAccountId: string;
}

export interface PhaseEnv<P = KeyStoreProps, C = Ctx> {
    aws: Adapters;
    request: RequestInfo;
    desired: Readonly<P>;
    previous: Readonly<P>;
    ctx: Readonly<C>;
    log(message: string): void;
    /** Milliseconds this invocation may still spend before it must hand back to CloudFormation. */
    timeLeftMs(): number;
}

export type Outcome<C = Ctx> =
    | { kind: 'next'; ctx: C; to?: string }
    /** Come back to the same phase later: inline (slept inside this invocation) when short and time allows. */
    | { kind: 'wait'; ctx: C; seconds: number; message: string; inline?: boolean }
    | { kind: 'done'; ctx: C; message?: string }
    | { kind: 'fail'; ctx: C; code: HandlerErrorCode; message: string };

export type Phase<P = KeyStoreProps, C = Ctx> = (env: PhaseEnv<P, C>) => Promise<Outcome<C>>;

/** What the runner needs to know of a resource type: how its properties become the model, and its primary identifier. */
export interface ResourceKind<P, M extends BaseModel> {
    toModel(props: P): M;
    /** Every IN_PROGRESS must carry it; before it exists, the runner keeps waits inside the invocation. */
    identifier(props: P): string | undefined;
}

export interface Workflow<P = KeyStoreProps, C = Ctx, M extends BaseModel = ResourceModel> {
    name: string;
    kind: ResourceKind<P, M>;
    phases: ReadonlyArray<readonly [string, Phase<P, C>]>;
    /** Run after a failure once something was made, to undo it; the operation then reports the original failure. */
    rollback?: ReadonlyArray<readonly [string, Phase<P, C>]>;
    /** What may be left when the rollback itself did not finish, with how to remove it by hand. */
    leftAfterRollback?(env: PhaseEnv<P, C>, ctx: C): string | undefined;
    /** The model a SUCCESS carries; undefined for none (a delete). */
    finish(env: PhaseEnv<P, C>, ctx: C): Promise<P | undefined>;
    /** The model an IN_PROGRESS carries: the request's properties plus what was learnt. */
    progressModel(desired: Readonly<P>, ctx: C): P;
}
