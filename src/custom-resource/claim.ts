import { randomUUID } from 'crypto';
import { errorName } from '../aws/error-name';
import { SecretsAdapter } from '../aws/secrets';
import { requestDigest } from '../engine/hash';
import { CfnRequest } from './event';

/**
 * Lambda may deliver an asynchronous event more than once (invocation-async-error-handling): CloudFormation's
 * request, and just as well each continuation the function sends itself. A second run of a create whose first
 * run has already made, connected or rolled back a key store would answer differently, and a second run of a
 * continuation would fork the operation into two chains that both send commands and both answer. So every
 * invocation of an operation (every hop) claims itself durably before it does anything, with the only store
 * the role can write: an empty secret named after the request and the hop, its Description naming the Lambda
 * request that owns it. A later delivery with another Lambda request id is a replay and does nothing. Lambda
 * keeps the request id when it retries a failed invocation [AWS knowledge center
 * "lambda-function-duplicate-invocations"], so a retry of the owner carries on. A hop's claim is scheduled for
 * deletion once the hop has handed on (so that not even a retry of it runs again) or answered: it keeps its name
 * (and keeps replays out) for 7 days, longer than Lambda keeps an event (6 hours).
 */
const PREFIX = 'custom-kms-cloudhsmkeystore/custom-resource-requests/';
const RECOVERY_DAYS = 7;

/** Hop 0 is CloudFormation's own delivery; hop n the n-th continuation. */
export const claimName = (r: CfnRequest, hop = 0) =>
    `${PREFIX}${requestDigest(r.StackId, r.RequestId, r.LogicalResourceId).slice(0, 32)}${hop > 0 ? `-${hop}` : ''}`;
const describeOwner = (r: CfnRequest, hop: number, owner: string) =>
    `Claims ${hop > 0 ? `continuation ${hop} of ` : ''}CloudFormation request ${r.RequestId} for ${r.LogicalResourceId}; handled by Lambda request ${owner}. Holds no secret; deleted after the response.`;
const ownerOf = (description: string | undefined) => /handled by Lambda request (\S+?)\./.exec(description ?? '')?.[1];

export type Claim = 'owner' | 'replay';

export async function claimRequest(secrets: SecretsAdapter, r: CfnRequest, lambdaRequestId: string, hop = 0): Promise<Claim> {
    const name = claimName(r, hop);
    let found = await secrets.describe(name);
    if (!found) {
        try {
            await secrets.create({ name, value: '{}', token: randomUUID(), description: describeOwner(r, hop, lambdaRequestId) });
            return 'owner';
        } catch (err) {
            // Another delivery claimed it first (or its claim is already scheduled for deletion).
            if (!['ResourceExistsException', 'InvalidRequestException'].includes(errorName(err))) throw err;
            found = await secrets.describe(name);
        }
    }
    if (!found || found.deleted) return 'replay';
    return ownerOf(found.description) === lambdaRequestId ? 'owner' : 'replay';
}

/** After the hop has answered or handed on: the name stays taken for the recovery window, so late replays still find it. */
export async function releaseClaim(secrets: SecretsAdapter, r: CfnRequest, hop = 0): Promise<void> {
    await secrets.scheduleDelete(claimName(r, hop), RECOVERY_DAYS);
}
