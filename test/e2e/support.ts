import { KMSClient } from '@aws-sdk/client-kms';
import { OperationResult } from '../../local/driver';
import { Harness, startHarness } from '../../local/harness';
import { DEFAULT_SCENARIO, SimStateView } from '../../local/sim';
import { count } from '../reliability/figures';

export const S = DEFAULT_SCENARIO;
export const BOOTSTRAP_PREFIX = 'custom-kms-cloudhsmkeystore/kmsuser-bootstrap/';

/** A harness whose every operation result is kept, so a test can scan all of it for secrets. */
export interface E2E extends Harness {
    results: OperationResult[];
    run(op: Promise<OperationResult>): Promise<OperationResult>;
}

/** Adds `results` and `run` to a harness: every operation run through it is kept for the after-test scans. */
export function keepingResults<H extends object, R>(h: H): H & { results: R[]; run(op: Promise<R>): Promise<R> } {
    const results: R[] = [];
    return Object.assign(h, {
        results,
        async run(op: Promise<R>) {
            const r = await op;
            results.push(r);
            return r;
        },
    });
}

export async function startE2E(): Promise<E2E> {
    return keepingResults<Harness, OperationResult>(await startHarness());
}

/** A KMS client of the test's own (one attempt, no retries), to look at or change the simulated KMS directly. */
export function directKms(h: { sim: { endpoint: string } }): KMSClient {
    return new KMSClient({
        region: S.region,
        endpoint: h.sim.endpoint,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        maxAttempts: 1,
    });
}

/** A harness's per-test reset: the default scenario, no results, no logs. */
export async function resetForTest(h: { sim: { control: { reset(s: 'default'): Promise<unknown> } }; results: unknown[]; logs: string[] }): Promise<void> {
    await h.sim.control.reset('default');
    h.results.length = 0;
    h.logs.length = 0;
}

/** What the simulator holds that must never carry a secret: SSM command parameters and output, and Parameter Store. */
export function stateHaystacks(state: SimStateView): Array<[string, string]> {
    const haystacks: Array<[string, string]> = [];
    for (const c of state.commands) {
        haystacks.push([`SSM ${c.commandId} parameters`, JSON.stringify(c.parameters) + c.comment]);
        for (const i of c.invocations) haystacks.push([`SSM ${c.commandId} output`, i.stdout + i.stderr]);
    }
    for (const [name, value] of Object.entries(state.parameters)) haystacks.push([`parameter ${name}`, value]);
    return haystacks;
}

/** Every secret value in the simulator's world: the admin password, every version of every secret but the public CA certificates, every HSM user's and KMS-held password. */
export function secretValues(state: SimStateView): string[] {
    const values = new Set<string>([S.adminPassword]);
    const publicCerts = new Set<string>([S.caSecretName, S.unrelatedCaSecretName]);
    for (const s of state.secrets) {
        if (publicCerts.has(s.name)) continue;
        for (const v of s.versions) if (v.secretString) values.add(v.secretString);
    }
    for (const c of state.clusters) for (const u of c.users) values.add(u.password);
    for (const st of state.stores) values.add(st.password);
    for (const v of [...values]) {
        try {
            const parsed = JSON.parse(v) as { password?: string };
            if (parsed && typeof parsed.password === 'string') values.add(parsed.password);
        } catch {
            /* a plain string */
        }
    }
    return [...values].filter((v) => v.length >= 6);
}

/** Where a secret must never appear: log lines, every request and response, SSM parameters and output. */
export function leaks(h: E2E, state: SimStateView): string[] {
    const haystacks: Array<[string, string]> = [['handler logs', h.logs.join('\n')]];
    for (const r of h.results) {
        for (const e of r.events)
            haystacks.push(
                [`${e.action} #${e.attempt} response`, JSON.stringify(e.response)],
                [`${e.action} #${e.attempt} request`, JSON.stringify(e.request)],
            );
    }
    haystacks.push(...stateHaystacks(state));
    const found: string[] = [];
    const secrets = secretValues(state);
    for (const secret of secrets)
        for (const [where, text] of haystacks) if (text.includes(secret)) found.push(`${where} contains a secret (${secret.slice(0, 3)}...)`);
    count('secretProbes', secrets.length * haystacks.length);
    return found;
}

export const liveBootstrapSecrets = (state: SimStateView) => state.secrets.filter((s) => s.name.startsWith(BOOTSTRAP_PREFIX) && !s.deleted);
export const kmsuserOn = (state: SimStateView, clusterId: string) =>
    state.clusters.find((c) => c.id === clusterId)?.users.find((u) => u.username === 'kmsuser');
export const requestsOf = (state: SimStateView, operation: string) => state.requests.filter((r) => r.operation === operation);

/** One harness per test file, reset to the default scenario before each test and scanned for leaks after it. */
export function useE2E(): () => E2E {
    let h: E2E;
    beforeAll(async () => {
        h = await startE2E();
    });
    afterAll(async () => h.stop());
    beforeEach(async () => {
        await h.sim.control.reset('default');
        h.results.length = 0;
        h.logs.length = 0;
    });
    afterEach(async () => {
        const found = leaks(h, await h.sim.control.state());
        count('leaksFound', found.length);
        expect(found).toEqual([]);
    });
    return () => h;
}

/**
 * What a failed create may not leave: a key store, a live bootstrap secret, a record, kmsuser (when it was absent
 * before). `keep`: store ids (and their records) the test made on purpose; `keepSecrets`: bootstrap secrets that
 * belong to such a store, made by an earlier attempt this create must not touch.
 */
export function leftovers(state: SimStateView, opts: { kmsuserWasAbsent?: boolean; keep?: string[]; keepSecrets?: string[] } = {}): string[] {
    const keepSecrets = new Set(opts.keepSecrets ?? []);
    const keep = new Set(opts.keep ?? []);
    const found = [
        ...state.stores.filter((s) => !keep.has(s.id)).map((s) => `key store ${s.id}`),
        ...liveBootstrapSecrets(state)
            .filter((s) => !keepSecrets.has(s.name))
            .map((s) => `bootstrap secret ${s.name}`),
        ...Object.keys(state.parameters)
            .filter((n) => n.includes('/key-stores/') && ![...keep].some((id) => n.endsWith(id)))
            .map((n) => `record ${n}`),
        ...(opts.kmsuserWasAbsent && kmsuserOn(state, DEFAULT_SCENARIO.clusterId) ? ['kmsuser'] : []),
    ];
    count('leftoversFound', found.length);
    return found;
}

/**
 * Checks `check` once a simulated second until it holds (at most an hour of simulated time): the test waits on
 * the harness's clock, so simulated time moves while it waits, and only then.
 */
export async function waitUntil(
    h: { clock: { sleep(ms: number): Promise<void>; run<T>(fn: () => Promise<T>): Promise<T> } },
    check: () => Promise<boolean>,
    what = 'the condition',
): Promise<void> {
    await h.clock.run(async () => {
        for (let i = 0; i < 3600; i++) {
            if (await check()) return;
            await h.clock.sleep(1000);
        }
        throw new Error(`${what} did not come true within an hour of simulated time`);
    });
}
