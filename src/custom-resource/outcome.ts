import { OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { ResourceModel } from '../models';
import { propsOf } from '../workflow/props';
import { KeyStoreProps } from '../workflow/types';
import { CfnRequest, requestToken, WorkflowName } from './event';
import { Outcome } from './response';

/** What Fn::GetAtt reads: the registered type's read-only properties. */
export function dataOf(model: KeyStoreProps): Record<string, string> {
    const data: Record<string, string> = {};
    if (model.customKeyStoreId) data.CustomKeyStoreId = model.customKeyStoreId;
    if (model.connectionState) data.ConnectionState = model.connectionState;
    if (model.trustAnchorCertificate) data.TrustAnchorCertificate = model.trustAnchorCertificate;
    return data;
}

/**
 * The physical id of a create that failed with nothing left behind: not a key store id, so the Delete
 * CloudFormation sends next succeeds at once, and stable for the request, so a retried answer matches.
 */
export const failedCreateId = (r: CfnRequest) => `${r.LogicalResourceId.slice(0, 200)}-CreateFailed-${requestToken(r).slice(0, 16)}`;

export interface Finished {
    request: CfnRequest;
    workflow: WorkflowName;
    /** The store a create has made (from its IN_PROGRESS models), if it still exists after the failure. */
    leftStoreId?: string;
}

/** Turns the runner's final ProgressEvent into the custom resource response. */
export function toOutcome(pe: ProgressEvent<ResourceModel>, f: Finished): Outcome {
    const r = f.request;
    const current = r.PhysicalResourceId ?? '';
    const replacing = f.workflow === 'create' && r.RequestType === 'Update';
    if (pe.status === OperationStatus.Success) {
        const model = propsOf(pe.resourceModel);
        if (f.workflow === 'delete') return { status: 'SUCCESS', physicalResourceId: current, reason: pe.message || undefined };
        return { status: 'SUCCESS', physicalResourceId: model.customKeyStoreId ?? current, data: dataOf(model) };
    }
    const reason = pe.message || `The ${r.RequestType} failed (${String(pe.errorCode)}).`;
    if (f.workflow === 'delete' && pe.errorCode === 'NotFound') {
        return { status: 'SUCCESS', physicalResourceId: current, reason: `Key store ${current} no longer exists; nothing to delete.` };
    }
    if (replacing) {
        const left = f.leftStoreId ? ` Key store ${f.leftStoreId}, made for the replacement, could not be removed; delete it by hand.` : '';
        return { status: 'FAILED', physicalResourceId: current, reason: `${reason} Key store ${current} was kept.${left}` };
    }
    if (f.workflow === 'create') return { status: 'FAILED', physicalResourceId: f.leftStoreId ?? failedCreateId(r), reason };
    return { status: 'FAILED', physicalResourceId: current, reason };
}
