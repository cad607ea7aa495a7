import * as http from 'http';
import * as https from 'https';
import { CfnRequest } from './event';

export interface CfnResponse {
    Status: 'SUCCESS' | 'FAILED';
    Reason?: string;
    PhysicalResourceId: string;
    StackId: string;
    RequestId: string;
    LogicalResourceId: string;
    Data?: Record<string, string>;
}

/** "The total size of the response body can't exceed 4096 bytes" (crpg-ref-responses). */
export const MAX_RESPONSE_BYTES = 4096;
const MAX_PHYSICAL_ID_BYTES = 1024;

export interface Outcome {
    status: 'SUCCESS' | 'FAILED';
    physicalResourceId: string;
    reason?: string;
    data?: Record<string, string>;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The response body, within 4 KB: a long Reason is shortened, and a trust anchor that does not fit is left
 * out of Data (Fn::GetAtt of it then fails, which says more than a truncated certificate would).
 */
export function responseBody(request: CfnRequest, outcome: Outcome, log: (line: string) => void = () => undefined): string {
    const body: CfnResponse = {
        Status: outcome.status,
        PhysicalResourceId: outcome.physicalResourceId.slice(0, MAX_PHYSICAL_ID_BYTES),
        StackId: request.StackId,
        RequestId: request.RequestId,
        LogicalResourceId: request.LogicalResourceId,
        ...(outcome.reason ? { Reason: outcome.reason } : {}),
        ...(outcome.data ? { Data: { ...outcome.data } } : {}),
    };
    let text = JSON.stringify(body);
    if (bytes(text) > MAX_RESPONSE_BYTES && body.Data?.TrustAnchorCertificate) {
        delete body.Data.TrustAnchorCertificate;
        log('The trust anchor certificate does not fit in the 4 KB response; TrustAnchorCertificate is left out of Data.');
        text = JSON.stringify(body);
    }
    if (bytes(text) > MAX_RESPONSE_BYTES && body.Reason) {
        const over = bytes(text) - MAX_RESPONSE_BYTES;
        let reason = body.Reason;
        while (reason.length && bytes(reason) > Math.max(0, bytes(body.Reason) - over - 20)) reason = reason.slice(0, Math.floor(reason.length * 0.9));
        body.Reason = `${reason} [...]`;
        text = JSON.stringify(body);
    }
    return text;
}

/** Replaces the pre-signed ResponseURL (its query carries a signature) in anything that is about to be logged. */
export function redact(text: string, responseUrl: string): string {
    if (!responseUrl) return text;
    const query = responseUrl.indexOf('?');
    let out = text.split(responseUrl).join('<ResponseURL>');
    if (query >= 0) out = out.split(responseUrl.slice(query + 1)).join('<signature>');
    return out;
}

function putOnce(url: string, body: string): Promise<number> {
    const target = new URL(url);
    const transport = target.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
        // An empty content type, as cfn-response sends it: the URL is signed for exactly that.
        const req = transport.request(target, { method: 'PUT', headers: { 'content-type': '', 'content-length': bytes(body) }, timeout: 10_000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('timeout', () => req.destroy(new Error('the response PUT timed out')));
        req.on('error', reject);
        req.end(body);
    });
}

export interface SendOptions {
    attempts?: number;
    sleep?: (ms: number) => Promise<void>;
    log?: (line: string) => void;
}

/** PUTs the response, retrying network errors and non-2xx answers; throws if it never got through. */
export async function sendResponse(request: CfnRequest, outcome: Outcome, opts: SendOptions = {}): Promise<void> {
    const log = opts.log ?? (() => undefined);
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const attempts = opts.attempts ?? 5;
    const body = responseBody(request, outcome, log);
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
            const status = await putOnce(request.ResponseURL, body);
            if (status >= 200 && status < 300) {
                log(
                    `Sent ${outcome.status} for ${request.LogicalResourceId} (request ${request.RequestId}, physical id ${outcome.physicalResourceId}, ${bytes(body)} bytes).`,
                );
                return;
            }
            last = `HTTP ${status}`;
        } catch (err) {
            last = redact(err instanceof Error ? err.message : String(err), request.ResponseURL);
        }
        log(`The response PUT failed (${last}), attempt ${attempt} of ${attempts}.`);
        if (attempt < attempts) await sleep(Math.min(1000 * 2 ** (attempt - 1), 8000));
    }
    throw new Error(`Could not deliver the ${outcome.status} response for ${request.LogicalResourceId} after ${attempts} attempts (${last}).`);
}
