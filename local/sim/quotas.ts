/**
 * KMS request quotas: one token bucket per operation, in simulated time. Each bucket holds one second's
 * worth of requests and refills continuously, so a burst of up to the per-second quota passes and a
 * sustained rate above it is throttled ("if users in your account submit 1000 DescribeKey requests in a
 * second, AWS KMS throttles all subsequent DescribeKey requests in that second": KMS developer guide,
 * "Throttling AWS KMS requests"). A bucket rather than fixed one-second windows is an assumption.
 */
import { AwsError } from './wire';

/**
 * Default requests per second for the operations the simulator serves: the KMS developer guide, "Request
 * quotas" table (docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html, read 2026-11-29).
 * Older editions of the table gave ListKeys 100; the current one gives 500.
 */
export const KMS_REQUEST_QUOTAS: Readonly<Record<string, number>> = {
    CancelKeyDeletion: 5,
    ConnectCustomKeyStore: 5,
    CreateCustomKeyStore: 5,
    CreateKey: 5,
    DeleteCustomKeyStore: 5,
    DescribeCustomKeyStores: 5,
    DescribeKey: 2000,
    DisconnectCustomKeyStore: 5,
    ListKeys: 500,
    ScheduleKeyDeletion: 15,
    UpdateCustomKeyStore: 5,
};

/** The answer KMS gives a throttled request (developer guide, "Throttling AWS KMS requests"). */
export const throttled = (): AwsError =>
    new AwsError('ThrottlingException', 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.', 400);

export function quotaTable(setting: boolean | Record<string, number>): Record<string, number> {
    if (setting === false) return {};
    return setting === true ? { ...KMS_REQUEST_QUOTAS } : { ...KMS_REQUEST_QUOTAS, ...setting };
}

export class RequestQuotas {
    private readonly buckets = new Map<string, { tokens: number; at: number }>();

    /** Take a token for `operation` at simulated time `nowMs`; false when the call is over its quota. */
    take(table: Record<string, number>, operation: string, nowMs: number): boolean {
        const rate = table[operation];
        if (!rate) return true;
        const b = this.buckets.get(operation) ?? { tokens: rate, at: nowMs };
        b.tokens = Math.min(rate, b.tokens + ((nowMs - b.at) / 1000) * rate);
        b.at = nowMs;
        this.buckets.set(operation, b);
        if (b.tokens < 1) return false;
        b.tokens -= 1;
        return true;
    }

    reset(): void {
        this.buckets.clear();
    }
}
