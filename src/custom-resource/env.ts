import { lazyAdapters } from '../aws/adapters';
import { Adapters, KeyStoreProps, RequestInfo } from '../keystore/types';
import { CfnRequest, requestToken, stackArnParts } from './event';

/** The function's own role signs every call (no caller session, unlike the registered type). */
export function adapters(region: string | undefined): Adapters {
    return lazyAdapters(undefined, region);
}

export function requestInfo(r: CfnRequest): RequestInfo {
    const arn = stackArnParts(r.StackId);
    return {
        clientRequestToken: requestToken(r),
        logicalResourceId: r.LogicalResourceId,
        region: arn.region ?? process.env.AWS_REGION ?? '',
        awsAccountId: arn.accountId ?? '',
    };
}

export interface WorkflowInput {
    desired: KeyStoreProps;
    previous: KeyStoreProps;
}
