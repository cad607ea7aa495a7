import { VirtualClock } from '../../local/clock';
import { Driver } from '../../local/driver';
import { buildHandlerRequest, newBearerToken, toTestEvent } from '../../local/handler-request';
import { LambdaEndpoint, lambdaInvoker, scaleDelay, serializeProgress, startLambdaEndpoint } from '../../local/lambda-endpoint';
import { TOY_CREATE, TOY_UPDATE, toySchema, useFastQuietToy } from './fixtures/harness';
import { entrypoint, testEntrypoint, toy } from './fixtures/toy-resource';

useFastQuietToy();

let ep: LambdaEndpoint;
const lines: string[] = [];
beforeAll(async () => {
    ep = await startLambdaEndpoint({ port: 0, handlers: { entrypoint, testEntrypoint }, timeScale: 0.01, log: (l) => lines.push(l) });
});
afterAll(async () => ep.stop());
beforeEach(() => {
    lines.length = 0;
});

const invokeUrl = (name: string) => `${ep.url}/2015-03-31/functions/${name}/invocations`;
const post = (name: string, body: unknown) => fetch(invokeUrl(name), { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
const request = (action: 'CREATE' | 'READ' | 'LIST', resourceProperties: Record<string, unknown>, nextToken?: string) =>
    buildHandlerRequest({ action, resourceType: toySchema.typeName, bearerToken: newBearerToken(), resourceProperties, nextToken });

test('listens on 127.0.0.1, ephemeral port', () => {
    expect(ep.url).toBe(`http://127.0.0.1:${ep.port}`);
    expect(ep.port).toBeGreaterThan(0);
});

test('TypeFunction: HandlerRequest -> entrypoint -> 200 ProgressEvent JSON, IN_PROGRESS delay scaled (60 s x 0.01 -> 1 s)', async () => {
    toy.delaySeconds = 60;
    const res = await post('TypeFunction', request('CREATE', TOY_CREATE));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-amz-function-error')).toBeNull();
    expect(await res.json()).toEqual({
        status: 'IN_PROGRESS',
        message: '',
        callbackContext: { step: 1 },
        callbackDelaySeconds: 1,
        resourceModel: { ...TOY_CREATE, Id: 'toy-00000001' },
    });
    expect(lines).toEqual([expect.stringMatching(/^\[lambda\] TypeFunction CREATE -> IN_PROGRESS delay 60s->1s \(\d+ ms\)$/)]);
});

test('TypeFunction: FAILED answers carry the errorCode in the log line', async () => {
    const res = await post('TypeFunction', request('READ', { Id: 'toy-deadbeef' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'FAILED', errorCode: 'NotFound', callbackDelaySeconds: 0 });
    expect(lines[0]).toMatch(/^\[lambda\] TypeFunction READ -> FAILED NotFound \(/);
});

test('TestEntrypoint: SAM test event -> testEntrypoint; the ProgressEvent instance is serialized like the library does', async () => {
    toy.createSteps = 1;
    const res = await post('TestEntrypoint', toTestEvent(request('CREATE', TOY_CREATE)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
        status: 'SUCCESS',
        message: '',
        callbackDelaySeconds: 0,
        resourceModel: { Id: 'toy-00000001', Name: 'first', Size: 3, Zone: 'a', Status: 'READY' },
    });
    expect(lines[0]).toMatch(/^\[lambda\] TestEntrypoint CREATE -> SUCCESS/);
});

test('TestEntrypoint passes request.nextToken to the handler (the entrypoint path drops it)', async () => {
    toy.createSteps = 1;
    for (const n of ['a', 'b', 'c']) await post('TestEntrypoint', toTestEvent(request('CREATE', { ...TOY_CREATE, Name: n })));
    const page2 = (await (await post('TestEntrypoint', toTestEvent(request('LIST', {}, 'page-2')))).json()) as {
        resourceModels: Array<{ Name: string }>;
        nextToken?: string;
    };
    expect(page2.resourceModels.map((m) => m.Name)).toEqual(['c']);
    expect(page2.nextToken).toBeUndefined();
});

test('unknown function: 404 ResourceNotFoundException', async () => {
    const res = await post('NoSuchFunction', {});
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await res.json()).toEqual({ Type: 'User', message: 'Function not found: NoSuchFunction' });
});

test('bad JSON: 400', async () => {
    const res = await post('TypeFunction', '{"action": ');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    expect(((await res.json()) as { message: string }).message).toMatch(/^Could not parse request body into json/);
});

test('wrong path or method', async () => {
    expect((await fetch(`${ep.url}/2015-03-31/functions`)).status).toBe(404);
    expect((await fetch(invokeUrl('TypeFunction'))).status).toBe(405);
});

test('a handler that throws: 200 with X-Amz-Function-Error: Unhandled, like Lambda', async () => {
    toy.quirks.add('entrypoint-throws');
    const res = await post('TypeFunction', request('CREATE', TOY_CREATE));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await res.json()).toMatchObject({ errorMessage: 'toy entrypoint exploded', errorType: 'TypeError' });
    expect(lines[0]).toMatch(/TypeFunction CREATE -> Unhandled TypeError: toy entrypoint exploded/);
    await expect(lambdaInvoker(ep.url)(request('CREATE', TOY_CREATE))).rejects.toThrow(/TypeFunction Unhandled: TypeError: toy entrypoint exploded/);
});

test('no testEntrypoint given: TestEntrypoint is not found', async () => {
    const other = await startLambdaEndpoint({ port: 0, handlers: { entrypoint }, log: () => undefined });
    try {
        const res = await fetch(`${other.url}/2015-03-31/functions/TestEntrypoint/invocations`, { method: 'POST', body: '{}' });
        expect(res.status).toBe(404);
    } finally {
        await other.stop();
    }
});

test("KeyTypeFunction and KeyTestEntrypoint reach the key type's two functions; absent ones are not found", async () => {
    const calls: string[] = [];
    const fn = (name: string) => async () => {
        calls.push(name);
        return { status: 'SUCCESS', resourceModel: { KeyId: 'k' } };
    };
    const both = await startLambdaEndpoint({
        port: 0,
        handlers: { entrypoint, keyEntrypoint: fn('key'), keyTestEntrypoint: fn('keyTest') },
        log: () => undefined,
    });
    try {
        const at = (name: string) => fetch(`${both.url}/2015-03-31/functions/${name}/invocations`, { method: 'POST', body: '{"action":"READ"}' });
        expect(await (await at('KeyTypeFunction')).json()).toEqual({ status: 'SUCCESS', resourceModel: { KeyId: 'k' } });
        expect((await at('KeyTestEntrypoint')).status).toBe(200);
        expect(calls).toEqual(['key', 'keyTest']);
        expect((await at('TestEntrypoint')).status).toBe(404);
    } finally {
        await both.stop();
    }
});

test('the whole contract sequence over real HTTP (as cfn test would call it)', async () => {
    const fast = await startLambdaEndpoint({ port: 0, handlers: { entrypoint }, timeScale: 0, log: () => undefined });
    try {
        const d = new Driver({ entrypoint: lambdaInvoker(fast.url), schema: toySchema, timeScale: 1, log: () => undefined });
        const report = await d.contractSequence(TOY_CREATE, TOY_UPDATE);
        expect(report.steps.filter((s) => !s.passed)).toEqual([]);
        // every IN_PROGRESS wait was scaled to 0 s by the endpoint
        const waits = report.steps.flatMap((s) => s.result?.events ?? []).filter((e) => e.response.status === 'IN_PROGRESS');
        expect(waits.length).toBeGreaterThan(0);
        expect(waits.every((e) => e.response.callbackDelaySeconds === 0)).toBe(true);
    } finally {
        await fast.stop();
    }
});

test('the default port is 3001, as SAM uses', async () => {
    let e: LambdaEndpoint | undefined;
    try {
        e = await startLambdaEndpoint({ handlers: { entrypoint }, log: () => undefined });
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return; // something else owns 3001 on this machine
        throw err;
    }
    try {
        expect(e.url).toBe('http://127.0.0.1:3001');
    } finally {
        await e.stop();
    }
});

test('scaleDelay and serializeProgress', () => {
    expect(scaleDelay(60, 0.01)).toBe(1);
    expect(scaleDelay(100, 0.01)).toBe(1);
    expect(scaleDelay(5, 0.01)).toBe(1);
    expect(scaleDelay(30, 1)).toBe(30);
    expect(scaleDelay(30, 0)).toBe(0);
    expect(scaleDelay(0, 0.5)).toBe(0);
    expect(scaleDelay(-3, 1)).toBe(0);
    expect(serializeProgress({ serialize: () => ({ status: 'SUCCESS' }) })).toEqual({ status: 'SUCCESS' });
    expect(serializeProgress(undefined)).toBeNull();
    expect(serializeProgress({ status: 'FAILED', x: undefined })).toEqual({ status: 'FAILED' });
});

test('with a virtual clock the caller waits in simulated time: delay 0 on the wire, the clock a full delay later at the next invocation', async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    const fn = async () => {
        seen.push(clock.now());
        return { status: 'IN_PROGRESS', callbackDelaySeconds: 45, callbackContext: {}, resourceModel: {} };
    };
    const v = await startLambdaEndpoint({ port: 0, handlers: { entrypoint: fn }, clock, log: () => undefined });
    try {
        const invoke = lambdaInvoker(v.url);
        const first = await invoke({ action: 'CREATE' });
        const second = await invoke({ action: 'CREATE' });
        expect([first.callbackDelaySeconds, second.callbackDelaySeconds]).toEqual([0, 0]);
        expect(seen).toEqual([0, 45_000]);
    } finally {
        await v.stop();
    }
});
