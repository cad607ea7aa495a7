/**
 * End to end through the custom resource protocol, with the provider function deployed with a short timeout
 * (90 s) and Lambda's default recursive loop setting (Terminate): the simulated Lambda stops a chain of
 * invocations past 16 (Lambda developer guide, invocation-recursion) and drops the event, so an operation that
 * hands itself on too often would never answer.
 */
import { MAX_INVOCATIONS } from '../../src/custom-resource/operation';
import { defaultProperties } from '../../local/harness';
import { leftovers } from './support';
import { CrE2E, useCrE2E } from './custom-resource-support';

jest.setTimeout(180_000);

const e2e = useCrE2E({ lambdaTimeoutSeconds: 90, recursiveLoop: 'Terminate' });
let h: CrE2E;
beforeEach(() => {
    h = e2e();
});

test('a create that would need more invocations than a chain may have rolls back and answers FAILED once, before Lambda stops the chain', async () => {
    await h.sim.control.config({ connectSeconds: 1440 });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.timedOut).toBeUndefined();
    expect(r.status).toBe('FAILED');
    expect(r.reason).toMatch(/needed more than 12 invocations of the provider function \(each at most 90 s, its timeout\)/);
    expect(r.reason).toMatch(/Set the function's Timeout to 900 seconds/);
    expect(r.reason).toMatch(/Rolled back: key store cks-[0-9a-f]{17} was deleted/);
    expect(r.physicalResourceId).toMatch(/^KeyStore-CreateFailed-/);
    expect(r.followUp?.status).toBe('SUCCESS');
    const chain = r.invocations.filter((i) => !i.duplicate);
    expect(chain.length).toBeLessThanOrEqual(MAX_INVOCATIONS);
    expect(Math.max(...chain.map((i) => i.chainCount))).toBeLessThan(MAX_INVOCATIONS);
    expect(h.sim.sim.lambda.dropped).toEqual([]);
    expect(leftovers(await h.sim.control.state(), { kmsuserWasAbsent: true })).toEqual([]);
});

test('Lambda drops the continuation that a chain of more than 16 invocations would send', async () => {
    // The simulator's rule itself, with a function of its own that only hands itself on.
    const name = 'chain-forever';
    const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
    const lambda = new LambdaClient({ region: 'us-east-1', endpoint: h.sim.endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    h.sim.sim.lambda.register(name, async (event: { n: number }) => {
        await lambda.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n: event.n + 1 })) }));
    });
    await h.clock.run(async () => {
        await lambda.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from('{"n":0}') }));
        await h.clock.sleep(1000);
        await h.driver.quiet();
    });
    const runs = h.sim.sim.lambda.invocations.filter((i) => i.functionName === name && i.endedAt !== undefined);
    expect(runs.map((i) => (i.payload as { n: number }).n)).toEqual([...Array(16).keys()]);
    expect(h.sim.sim.lambda.dropped).toEqual([
        expect.objectContaining({ functionName: name, payload: { n: 16 }, chainCount: 16, reason: 'RecursiveInvocation' }),
    ]);
});
