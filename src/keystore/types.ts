import { BaseModel } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import type * as Engine from '../engine/types';
import type { Env as EngineEnv } from '../engine/runner';
import { ResourceModel } from '../models';

export type { Adapters } from '../aws/adapters';
export type { RequestInfo, ResourceKind } from '../engine/types';

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
    /** CONNECTED (the default when absent) or DISCONNECTED: what the template asks of the connection. */
    desiredConnectionState?: string;
    connectionState?: string;
    trustAnchorCertificate?: string;
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
    /**
     * Disconnect first: a cluster move, a kmsuser repair, a FAILED store (KMS reconnects only from DISCONNECTED), or
     * DesiredConnectionState DISCONNECTED.
     */
    disconnect: boolean;
    repair: boolean;
    repairTried?: boolean;
    /** Connect at the end (DesiredConnectionState CONNECTED); absent in a plan made before the property existed: true. */
    connect?: boolean;
}

/**
 * The key store's callbackContext. The library freezes it, so phases return new ones.
 */
export interface Ctx extends Engine.RunnerCtx<KeyStoreProps> {
    storeId?: string;
    bootstrapSecretArn?: string;
    command?: CommandRef;
    kmsUser?: 'CREATED' | 'ADOPTED' | 'RESET' | 'DELETED' | 'ABSENT';
    plan?: UpdatePlan;
    keyScan?: {
        marker?: string;
        checked: number;
        found: number;
        done?: boolean;
        latestDeletion?: number;
        pending?: number;
        /** Keys DescribeKey refused (their key policies keep them from this handler): each may be in the store. */
        hidden?: number;
        /** The first few of those keys' ids, for the message. */
        hiddenIds?: string[];
    };
    recordFound?: boolean;
    /** Create: the store is a leftover of an earlier attempt of this same resource, proven by its record, and is resumed. */
    resumed?: boolean;
    /** The bootstrap secret the earlier attempt of a resumed create left (from the store's record): deleted with ours. */
    staleSecretArn?: string;
    /**
     * When this operation last called ConnectCustomKeyStore, DisconnectCustomKeyStore and UpdateCustomKeyStore (epoch
     * ms): KMS is eventually consistent, so for a while after each DescribeCustomKeyStores may show the store as it was
     * before, and a connect may not see an update yet (./store-phases.ts).
     */
    kmsCalledAt?: { connect?: number; disconnect?: number; update?: number };
}

/** The engine's types with the key store's properties, context and model. */
export type RunnerCtx<P = KeyStoreProps> = Engine.RunnerCtx<P>;
export type PhaseEnv<P = KeyStoreProps, C = Ctx> = Engine.PhaseEnv<P, C>;
export type Outcome<C = Ctx> = Engine.Outcome<C>;
export type Phase<P = KeyStoreProps, C = Ctx> = Engine.Phase<P, C>;
export type Workflow<P = KeyStoreProps, C = Ctx, M extends BaseModel = ResourceModel> = Engine.Workflow<P, C, M>;
export type Env = EngineEnv<KeyStoreProps>;
