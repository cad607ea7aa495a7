/**
 * Stands in for the S3 bucket behind a custom resource's pre-signed ResponseURL: `PUT /cfn-response/...`
 * stores the body (200, as S3 answers a PUT), and the driver reads what arrived. `failNext(n)` answers the
 * next n PUTs with 503 SlowDown, to exercise the sender's retries.
 */
export interface CfnResponseRecord {
    /** The path and query the PUT went to (the driver matches it to the request it sent). */
    url: string;
    contentType: string | undefined;
    body: string;
    at: number;
}

export const RESPONSE_PATH_PREFIX = '/cfn-response/';

export class CfnResponses {
    readonly received: CfnResponseRecord[] = [];
    private failures = 0;
    private readonly waiters = new Set<() => void>();

    failNext(n: number): void {
        this.failures = n;
    }

    put(url: string, contentType: string | undefined, body: string, at: number): { status: number; body: string } {
        if (this.failures > 0) {
            this.failures--;
            return { status: 503, body: '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>' };
        }
        this.received.push({ url, contentType, body, at });
        for (const w of [...this.waiters]) w();
        return { status: 200, body: '' };
    }

    /** Calls `fn` on every response that arrives; returns the unsubscribe. */
    onResponse(fn: () => void): () => void {
        this.waiters.add(fn);
        return () => this.waiters.delete(fn);
    }

    to(url: string): CfnResponseRecord[] {
        return this.received.filter((r) => r.url === url);
    }

    /** Resolves when a response to `url` has arrived, or with [] after `timeoutMs` (real). */
    waitFor(url: string, timeoutMs: number): Promise<CfnResponseRecord[]> {
        return new Promise((resolve) => {
            const check = () => {
                const got = this.to(url);
                if (!got.length) return false;
                done(got);
                return true;
            };
            const done = (got: CfnResponseRecord[]) => {
                clearTimeout(timer);
                this.waiters.delete(waiter);
                resolve(got);
            };
            const waiter = () => void check();
            const timer = setTimeout(() => done(this.to(url)), Math.min(timeoutMs, 2 ** 31 - 1));
            this.waiters.add(waiter);
            check();
        });
    }

    reset(): void {
        this.received.length = 0;
        this.failures = 0;
    }
}
