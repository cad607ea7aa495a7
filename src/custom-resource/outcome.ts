import { BaseModel, OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { CfnRequest, requestToken, WorkflowName } from './event';
import { Outcome } from './response';
import { AnyProviderType, keyStoreType } from './types';

/**
 * The physical id of a create that failed with nothing left behind: not an id of the type, so the Delete
 * CloudFormation sends next succeeds at once, and stable for the request, so a retried answer matches.
 */
export const failedCreateId = (r: CfnRequest) => `${r.LogicalResourceId.slice(0, 200)}-CreateFailed-${requestToken(r).slice(0, 16)}`;

export interface Finished {
    request: CfnRequest;
    workflow: WorkflowName;
    /** The resource a create has made (from its IN_PROGRESS models), if it still exists after the failure. */
    leftId?: string;
    /** The request's type (default: the key store). */
    type?: AnyProviderType;
}

const capital = (s: string) => s[0].toUpperCase() + s.slice(1);

/** Turns the runner's final ProgressEvent into the custom resource response. */
export function toOutcome(pe: ProgressEvent<BaseModel>, f: Finished): Outcome {
    const r = f.request;
    const t: AnyProviderType = f.type ?? keyStoreType;
    const noun = capital(t.noun);
    const current = r.PhysicalResourceId ?? '';
    const replacing = f.workflow === 'create' && r.RequestType === 'Update';
    if (pe.status === OperationStatus.Success) {
        if (f.workflow === 'delete') return { status: 'SUCCESS', physicalResourceId: current, reason: pe.message || undefined };
        const model = t.definition.propsOf(pe.resourceModel);
        const id = t.definition.kind.identifier(model) as string | undefined;
        return { status: 'SUCCESS', physicalResourceId: id ?? current, data: t.dataOf(model) };
    }
    const reason = pe.message || `The ${r.RequestType} failed (${String(pe.errorCode)}).`;
    if (f.workflow === 'delete' && pe.errorCode === 'NotFound') {
        return { status: 'SUCCESS', physicalResourceId: current, reason: `${noun} ${current} ${t.gone}; nothing to delete.` };
    }
    if (replacing) {
        const left = f.leftId ? ` ${noun} ${f.leftId}, made for the replacement, could not be removed; ${t.removeByHand(f.leftId)}.` : '';
        return { status: 'FAILED', physicalResourceId: current, reason: `${reason} ${noun} ${current} was kept.${left}` };
    }
    if (f.workflow === 'create') return { status: 'FAILED', physicalResourceId: f.leftId ?? failedCreateId(r), reason };
    return { status: 'FAILED', physicalResourceId: current, reason };
}
