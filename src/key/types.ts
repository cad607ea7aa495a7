import { KeyTag } from '../aws/kms';
import { Phase, PhaseEnv, RunnerCtx, Workflow } from '../engine/types';
import { ResourceModel } from './models';

/** A Custom::KMS::CloudHsmKey's properties as the handler works with them (the model's field names). */
export interface KeyProps {
    keyId?: string;
    arn?: string;
    keyState?: string;
    customKeyStoreId?: string;
    description?: string;
    enabled?: boolean;
    /** A JSON object, or a JSON string, as the template gives it. */
    keyPolicy?: object | string;
    bypassPolicyLockoutSafetyCheck?: boolean;
    pendingWindowInDays?: number;
    tags?: KeyTag[];
    keySpec?: string;
    keyUsage?: string;
    enableKeyRotation?: boolean;
    multiRegion?: boolean;
}

/** The key's callbackContext: JSON only. */
export interface KeyCtx extends RunnerCtx<KeyProps> {
    keyId?: string;
}

export type KeyEnv = PhaseEnv<KeyProps, KeyCtx>;
export type KeyPhase = Phase<KeyProps, KeyCtx>;
export type KeyWorkflow = Workflow<KeyProps, KeyCtx, ResourceModel>;
