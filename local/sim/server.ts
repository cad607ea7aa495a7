/**
 * The loopback HTTP server: /_sim/* is the control API; every other request is an AWS call: awsJson1_1 routed
 * on X-Amz-Target, or (SDK v2 calls of the CloudFormation library) CloudWatch query protocol and S3 REST,
 * told apart by the service in the SigV4 credential scope.
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RESPONSE_PATH_PREFIX } from './cfn-responses';
import { handleControl } from './control';
import { INVOKE_PATH } from './lambda';
import { dispatch, handleApiCall } from './router';
import { parseQuery, queryErrorXml, queryResultXml } from './services/monitoring';
import { ec2ErrorXml, ec2ResultXml, parseEc2Query } from './services/ec2';
import { s3ErrorXml, s3Operation } from './services/s3';
import { AwsError } from './wire';
import type { Sim } from './sim';

const MAX_BODY = 16 << 20;

function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
                reject(new Error('request body too large'));
                req.destroy();
            } else chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
}

async function handle(sim: Sim, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
        const a = handleControl(sim, req.method ?? 'GET', url.pathname, url.searchParams, raw);
        send(res, a.status, a.body, { 'Content-Type': 'application/json' });
        return;
    }
    if (req.method === 'PUT' && url.pathname.startsWith(RESPONSE_PATH_PREFIX)) {
        const a = sim.cfnResponses.put(url.pathname + url.search, req.headers['content-type'], raw, sim.now());
        res.writeHead(a.status, { 'Content-Length': Buffer.byteLength(a.body) });
        res.end(a.body);
        return;
    }
    const invoke = req.method === 'POST' ? INVOKE_PATH.exec(url.pathname) : null;
    if (invoke) {
        const type = req.headers['x-amz-invocation-type'];
        const trace = req.headers['x-amzn-trace-id'];
        const a = await sim.lambda.handle(invoke[1], Array.isArray(type) ? type[0] : type, raw, Array.isArray(trace) ? trace[0] : trace);
        res.writeHead(a.status, {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(a.body),
            'x-amzn-RequestId': randomUUID(),
            ...a.headers,
        });
        res.end(a.body);
        return;
    }
    const target = req.headers['x-amz-target'];
    const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!target && scope === 'monitoring') return answerQuery(sim, raw, res);
    if (!target && scope === 's3') return answerS3(sim, req.method ?? 'GET', url, res);
    if (!target && scope === 'ec2') return answerEc2(sim, raw, res);
    const a = await handleApiCall(sim, Array.isArray(target) ? target[0] : target, raw);
    const headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() };
    if (a.errorType) headers['x-amzn-ErrorType'] = a.errorType;
    send(res, a.status, a.body, headers);
}

function sendXml(res: ServerResponse, status: number, xml: string, requestId: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml), 'x-amzn-RequestId': requestId, ...headers });
    res.end(xml);
}

/** CloudWatch, query protocol (form-encoded Action=...&Version=2010-08-01), XML answers. */
async function answerQuery(sim: Sim, raw: string, res: ServerResponse): Promise<void> {
    const body = parseQuery(raw);
    const operation = typeof body.Action === 'string' ? body.Action : '';
    const unknown = new AwsError('InvalidAction', `Could not find operation ${operation || '(no Action)'} for version 2010-08-01`);
    const o = await dispatch(sim, 'monitoring', operation, body, { unknown });
    const requestId = randomUUID();
    if (o.error) sendXml(res, o.status, queryErrorXml(o.error, requestId), requestId);
    else sendXml(res, 200, queryResultXml(operation, requestId), requestId);
}

/** EC2, its own query protocol (form-encoded Action=...&Version=2016-11-15, flattened lists), XML answers. */
async function answerEc2(sim: Sim, raw: string, res: ServerResponse): Promise<void> {
    const body = parseEc2Query(raw);
    const operation = typeof body.Action === 'string' ? body.Action : '';
    const unknown = new AwsError('InvalidAction', `The action ${operation || '(no Action)'} is not valid for this web service.`);
    const o = await dispatch(sim, 'ec2', operation, body, { unknown });
    const requestId = randomUUID();
    if (o.error) sendXml(res, o.status, ec2ErrorXml(o.error, requestId), requestId);
    else sendXml(res, 200, ec2ResultXml(operation, requestId, String(o.out?.xml ?? '')), requestId);
}

/** S3 (path style): every call is denied, as for the managed log role (services/s3.ts). */
async function answerS3(sim: Sim, method: string, url: URL, res: ServerResponse): Promise<void> {
    const operation = s3Operation(method, url.pathname, url.searchParams);
    const o = await dispatch(
        sim,
        's3',
        operation,
        { path: url.pathname, query: Object.fromEntries(url.searchParams) },
        { deny: new AwsError('AccessDenied', 'Access Denied', 403) },
    );
    const requestId = randomUUID();
    const e = o.error ?? new AwsError('InternalError', 'We encountered an internal error. Please try again.', 500);
    if (method === 'HEAD') {
        res.writeHead(e.status, { 'x-amz-request-id': requestId });
        res.end();
    } else sendXml(res, e.status, s3ErrorXml(e.type, e.message, requestId), requestId, { 'Content-Type': 'application/xml', 'x-amz-request-id': requestId });
}

export function listen(sim: Sim, port: number): Promise<{ server: Server; port: number }> {
    const server = createServer((req, res) => {
        handle(sim, req, res).catch((e: unknown) => {
            console.error('[sim] request failed:', e);
            if (!res.headersSent)
                send(
                    res,
                    500,
                    { __type: 'InternalFailure', message: String(e) },
                    { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'InternalFailure' },
                );
            else res.destroy();
        });
    });
    server.keepAliveTimeout = 5_000;
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve({ server, port: (server.address() as AddressInfo).port });
        });
    });
}

export function close(server: Server): Promise<void> {
    return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
    });
}
