import { CfnRequestEvent, CrResult } from '../../local/custom-resource-driver';
import { CrHarness, CrHarnessOptions, startCustomResourceHarness } from '../../local/custom-resource-harness';
import { SimStateView } from '../../local/sim';
import { keepingResults, resetForTest, secretValues, stateHaystacks } from './support';

export interface CrE2E extends CrHarness {
    results: CrResult[];
    run(op: Promise<CrResult>): Promise<CrResult>;
}

/** Every request and its follow-up, flattened. */
function allResults(results: CrResult[]): CrResult[] {
    return results.flatMap((r) => (r.followUp ? [r, ...allResults([r.followUp])] : [r]));
}

/** Secret values and pre-signed URLs must not appear in the function's logs; secrets not in responses or continuation payloads either. */
export function crLeaks(h: CrE2E, state: SimStateView, extraRequests: CfnRequestEvent[] = []): string[] {
    const logs = h.logs.join('\n');
    const found: string[] = [];
    const results = allResults(h.results);
    const haystacks: Array<[string, string]> = [['function logs', logs]];
    for (const r of results) {
        haystacks.push([`${r.requestType} response`, JSON.stringify({ ...r, request: undefined, invocations: undefined })]);
        for (const i of r.invocations)
            if ('continuationOf' in (i.payload as object))
                haystacks.push([`${r.requestType} continuation`, JSON.stringify({ ...(i.payload as object), continuationOf: undefined })]);
    }
    haystacks.push(...stateHaystacks(state));
    for (const secret of secretValues(state))
        for (const [where, text] of haystacks) if (text.includes(secret)) found.push(`${where} contains a secret (${secret.slice(0, 3)}...)`);
    for (const req of [...results.map((r) => r.request), ...extraRequests]) {
        const url = new URL(req.ResponseURL);
        if (logs.includes(req.ResponseURL) || logs.includes(url.search.slice(1)) || logs.includes(url.searchParams.get('Signature') ?? '\u0000'))
            found.push(`the logs contain the ResponseURL of ${req.RequestType} ${req.RequestId}`);
    }
    return found;
}

/** One harness per test file, reset before each test and scanned after it. */
export function useCrE2E(opts: Pick<CrHarnessOptions, 'lambdaTimeoutSeconds' | 'recursiveLoop'> = {}): () => CrE2E {
    let h: CrE2E;
    beforeAll(async () => {
        h = keepingResults<CrHarness, CrResult>(await startCustomResourceHarness({ ...opts }));
    });
    afterAll(async () => h.stop());
    beforeEach(() => resetForTest(h));
    afterEach(async () => {
        await h.driver.quiet();
        expect(crLeaks(h, await h.sim.control.state())).toEqual([]);
        for (const r of allResults(h.results)) {
            expect(r.problems).toEqual([]);
            expect(r.responses).toBe(1);
        }
    });
    return () => h;
}
