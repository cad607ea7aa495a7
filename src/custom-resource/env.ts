import { lazyAdapters } from '../aws/adapters';
import { Clock } from '../workflow/runner';
import { Adapters, KeyStoreProps, RequestInfo } from '../workflow/types';
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

/** Only the local simulator sets this (as for the registered type): simulated seconds run this much faster. */
const timeScale = (): number => Number(process.env.KEYSTORE_LOCAL_TIME_SCALE ?? 1) || 1;

/**
 * The handler's clock in simulated milliseconds: the real clock in Lambda. Locally both the waits and the
 * time they are measured against shrink with the simulator, so the timeouts keep their proportions.
 */
export const handlerClock: Clock = {
    now: () => Date.now() / timeScale(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms) * timeScale())),
};
