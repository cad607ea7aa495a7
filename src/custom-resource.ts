/**
 * The second entry point: the literal Custom::KMS::CloudHsmKeyStore (and Custom::KMS::CloudHsmKey, chosen by the
 * request's ResourceType: src/custom-resource/types.ts) as a Lambda-backed custom resource.
 * CloudFormation invokes it asynchronously with a request and waits for one PUT to the request's
 * pre-signed ResponseURL. The same workflows and runner as the registered types do the work
 * (src/custom-resource/operation.ts); this file only receives the event and answers it.
 */
import { Continuation, asRequest, CfnRequest, isContinuation } from './custom-resource/event';
import { claimRequest, releaseClaim } from './custom-resource/claim';
import { adapters, requestInfo } from './custom-resource/env';
import { handlerClock } from './engine/clock';
import { invokeSelf } from './custom-resource/invoke';
import { drive, planOf } from './custom-resource/operation';
import { failedCreateId } from './custom-resource/outcome';
import { Outcome, redact, sendResponse } from './custom-resource/response';

export interface LambdaContextLike {
    awsRequestId: string;
    functionName: string;
    getRemainingTimeInMillis(): number;
}

function logger(r: CfnRequest): (line: string) => void {
    return (line) => console.log(redact(line, r.ResponseURL));
}

export async function handler(event: unknown, context: LambdaContextLike): Promise<void> {
    const continuation = isContinuation(event) ? event : undefined;
    const request = continuation?.continuationOf ?? asRequest(event);
    if (!request) {
        // Not CloudFormation's request: nothing to answer, and nothing of it is logged (it may hold a URL).
        console.error(
            'Ignored an event that is not a CloudFormation custom resource request (RequestType, ResponseURL, StackId, RequestId and LogicalResourceId are required).',
        );
        return;
    }
    const log = logger(request);
    const aws = adapters(requestInfo(request).region);
    const hop = continuation?.hop ?? 0;
    // Once this invocation has answered, or handed the operation on to the next one, it must not answer again.
    let done = false;
    const clock = handlerClock();
    const release = () =>
        releaseClaim(aws.secrets, request, hop).catch((err: unknown) =>
            log(`The claim of invocation ${hop + 1} was not released (${err instanceof Error ? err.name : String(err)}); it is harmless.`),
        );
    const respond = async (outcome: Outcome) => {
        await sendResponse(request, outcome, { log, sleep: (ms) => clock.sleep(ms) });
        done = true;
        await release();
    };
    try {
        let next: Continuation | undefined = continuation;
        if (!next)
            log(
                `${request.RequestType} ${request.LogicalResourceId} (${request.ResourceType ?? 'Custom::KMS::CloudHsmKeyStore'}), request ${request.RequestId}, physical id ${request.PhysicalResourceId ?? '-'}.`,
            );
        // Every invocation claims itself: Lambda may deliver CloudFormation's event, and each continuation, twice.
        if ((await claimRequest(aws.secrets, request, context.awsRequestId, hop)) === 'replay') {
            log(
                hop === 0
                    ? `Request ${request.RequestId} was delivered again; it is already being handled (or was answered), so this delivery does nothing.`
                    : `Invocation ${hop + 1} of request ${request.RequestId} was delivered again; it is already being handled (or has handed on), so this delivery does nothing.`,
            );
            return;
        }
        if (!next) {
            const plan = planOf(request);
            if (plan.kind === 'respond') return await respond(plan.outcome);
            if (plan.note) log(plan.note);
            next = { continuationOf: request, workflow: plan.workflow, callbackContext: {}, startedAt: clock.now(), notBefore: 0, hop: 0 };
        }
        await drive(next, {
            aws,
            clock,
            log,
            remainingMs: () => context.getRemainingTimeInMillis(),
            respond,
            handOff: async (c) => {
                await invokeSelf(context.functionName, c, requestInfo(request).region);
                done = true;
                // A retry of this invocation after this point would fork the operation: the released claim stops it.
                await release();
            },
        });
    } catch (err) {
        if (done) return;
        const detail = redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err), request.ResponseURL);
        log(`Unexpected error: ${detail}`);
        if (/Could not deliver the/.test(detail)) throw new Error(detail); // Lambda retries the invocation; the phases are safe to repeat
        // Never no answer: CloudFormation would wait for the whole service timeout.
        await respond({
            status: 'FAILED',
            physicalResourceId: request.PhysicalResourceId ?? failedCreateId(request),
            reason: `Internal error in the key store provider: ${detail}`,
        });
    }
}
