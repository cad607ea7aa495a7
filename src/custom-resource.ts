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
    let answered = false;
    const clock = handlerClock();
    const respond = async (outcome: Outcome) => {
        await sendResponse(request, outcome, { log, sleep: (ms) => clock.sleep(ms) });
        answered = true;
        await releaseClaim(aws.secrets, request).catch((err: unknown) =>
            log(`The request's claim was not released (${err instanceof Error ? err.name : String(err)}); it is harmless.`),
        );
    };
    try {
        let next: Continuation | undefined = continuation;
        if (!next) {
            log(
                `${request.RequestType} ${request.LogicalResourceId} (${request.ResourceType ?? 'Custom::KMS::CloudHsmKeyStore'}), request ${request.RequestId}, physical id ${request.PhysicalResourceId ?? '-'}.`,
            );
            if ((await claimRequest(aws.secrets, request, context.awsRequestId)) === 'replay') {
                log(`Request ${request.RequestId} was delivered again; it is already being handled (or was answered), so this delivery does nothing.`);
                return;
            }
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
            handOff: (c) => invokeSelf(context.functionName, c, requestInfo(request).region),
        });
    } catch (err) {
        if (answered) return;
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
