import * as http from 'http';
import { AddressInfo } from 'net';
import { CfnRequest } from '../../src/custom-resource/event';
import { MAX_RESPONSE_BYTES, redact, responseBody, sendResponse } from '../../src/custom-resource/response';

function request(url: string): CfnRequest {
    return {
        RequestType: 'Create',
        ResponseURL: url,
        StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/s/1',
        RequestId: 'r-1',
        LogicalResourceId: 'KeyStore',
    };
}

test('the body stays within 4 KB: a trust anchor that does not fit is left out, a long Reason is shortened', () => {
    const r = request('http://127.0.0.1/x');
    const big = responseBody(r, {
        status: 'SUCCESS',
        physicalResourceId: 'cks-12345678901234567',
        data: { CustomKeyStoreId: 'cks-12345678901234567', TrustAnchorCertificate: 'P'.repeat(5000) },
    });
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(JSON.parse(big).Data).toEqual({ CustomKeyStoreId: 'cks-12345678901234567' });
    const small = responseBody(r, { status: 'SUCCESS', physicalResourceId: 'cks-1', data: { TrustAnchorCertificate: 'P'.repeat(1500) } });
    expect(JSON.parse(small).Data.TrustAnchorCertificate).toHaveLength(1500);
    const failed = responseBody(r, { status: 'FAILED', physicalResourceId: 'x', reason: 'é'.repeat(4000) });
    expect(Buffer.byteLength(failed)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(JSON.parse(failed).Reason).toMatch(/\[\.\.\.\]$/);
});

test('redact removes the URL and its signed query', () => {
    const url = 'https://bucket.s3.amazonaws.com/path?X-Amz-Signature=abc123&Expires=1';
    expect(redact(`PUT ${url} failed; query X-Amz-Signature=abc123&Expires=1`, url)).toBe('PUT <ResponseURL> failed; query <signature>');
});

describe('sendResponse', () => {
    let server: http.Server;
    let url = '';
    const seen: Array<{ method?: string; contentType?: string; length?: string; body: string }> = [];
    let failures = 0;
    beforeAll(async () => {
        server = http.createServer((req, res) => {
            let body = '';
            req.on('data', (c) => (body += c));
            req.on('end', () => {
                seen.push({ method: req.method, contentType: req.headers['content-type'], length: req.headers['content-length'], body });
                res.statusCode = failures-- > 0 ? 503 : 200;
                res.end();
            });
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response/a?Signature=s3cr3t`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));
    beforeEach(() => {
        seen.length = 0;
    });

    test('PUTs JSON with an empty content type and the byte length, retrying failures', async () => {
        failures = 2;
        const lines: string[] = [];
        await sendResponse(
            request(url),
            { status: 'FAILED', physicalResourceId: 'p', reason: 'Ünïcode reason' },
            { sleep: async () => undefined, log: (l) => lines.push(l) },
        );
        expect(seen).toHaveLength(3);
        expect(seen[2]).toMatchObject({ method: 'PUT', contentType: '', length: String(Buffer.byteLength(seen[2].body)) });
        expect(JSON.parse(seen[2].body)).toMatchObject({ Status: 'FAILED', Reason: 'Ünïcode reason', PhysicalResourceId: 'p', RequestId: 'r-1' });
        expect(lines.join('\n')).not.toContain('s3cr3t');
    });

    test('gives up after the attempts with an error that names no URL', async () => {
        failures = 10;
        await expect(sendResponse(request(url), { status: 'SUCCESS', physicalResourceId: 'p' }, { attempts: 3, sleep: async () => undefined })).rejects.toThrow(
            /after 3 attempts \(HTTP 503\)/,
        );
        failures = 0;
        const dead = url.replace(/:\d+\//, ':1/');
        const err = await sendResponse(request(dead), { status: 'SUCCESS', physicalResourceId: 'p' }, { attempts: 1, sleep: async () => undefined }).catch(
            (e: Error) => e,
        );
        expect(String(err)).not.toContain('s3cr3t');
    });
});
