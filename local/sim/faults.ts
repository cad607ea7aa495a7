/**
 * Injected faults. API faults answer a matching call with an error and/or add latency;
 * domain faults make the next connect fail with a ConnectionErrorCode, or the next SSM
 * command end Failed/TimedOut without running.
 *
 * Every fault fires `times` times (default 1; -1 = until cleared) after skipping the
 * first `after` matching calls (default 0).
 */
import { AwsError, INTERNAL_ERROR, ServiceName } from './wire';

export interface ApiFault {
    kind?: 'api';
    service: ServiceName;
    /** Operation name as in the X-Amz-Target (e.g. "DescribeCustomKeyStores"), or "*" for every operation of the service. */
    operation: string;
    /** Error `__type`. Default: the service's internal error when status >= 500, else none (latency only). */
    error?: string;
    message?: string;
    /** HTTP status. Default 500 for internal errors, else 400. */
    status?: number;
    /** Real milliseconds to wait before answering. */
    delayMs?: number;
    times?: number;
    after?: number;
}

export interface ConnectFailureFault {
    kind: 'connectFailure';
    connectionErrorCode: string;
    /** Only connects of this store (default: any). */
    customKeyStoreId?: string;
    times?: number;
    after?: number;
}

export interface CommandResultFault {
    kind: 'commandResult';
    status: 'Failed' | 'TimedOut';
    /** Only commands on this instance (default: any). */
    instanceId?: string;
    /** Failed only: the exit code reported (default 1). */
    responseCode?: number;
    stdout?: string;
    stderr?: string;
    times?: number;
    after?: number;
}

export type FaultSpec = ApiFault | ConnectFailureFault | CommandResultFault;

export interface FaultRecord {
    id: string;
    spec: FaultSpec;
    /** Matching calls seen so far. */
    seen: number;
    /** Times it fired. */
    fired: number;
}

export const CONNECTION_ERROR_CODES = [
    'INVALID_CREDENTIALS',
    'CLUSTER_NOT_FOUND',
    'NETWORK_ERRORS',
    'INTERNAL_ERROR',
    'INSUFFICIENT_CLOUDHSM_HSMS',
    'USER_LOCKED_OUT',
    'USER_NOT_FOUND',
    'USER_LOGGED_IN',
    'SUBNET_NOT_FOUND',
    'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET',
] as const;

const SERVICES: ServiceName[] = ['kms', 'cloudhsm', 'ssm', 'secretsmanager', 'logs', 'monitoring', 's3'];

export class BadInput extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function counts(o: Record<string, unknown>): void {
    if (o.times !== undefined && !(Number.isInteger(o.times) && ((o.times as number) >= 1 || o.times === -1)))
        throw new BadInput('fault.times must be a positive integer, or -1 for "until cleared"');
    if (o.after !== undefined && !(Number.isInteger(o.after) && (o.after as number) >= 0)) throw new BadInput('fault.after must be a non-negative integer');
}

/** Check a fault from the control API; throws BadInput with a message naming the bad field. */
export function parseFault(v: unknown): FaultSpec {
    if (!isObj(v)) throw new BadInput('a fault must be a JSON object');
    counts(v);
    const optStr = (k: string) => {
        if (v[k] !== undefined && typeof v[k] !== 'string') throw new BadInput(`fault.${k} must be a string`);
    };
    if (v.kind === 'connectFailure') {
        if (!CONNECTION_ERROR_CODES.includes(v.connectionErrorCode as never))
            throw new BadInput(`fault.connectionErrorCode must be one of ${CONNECTION_ERROR_CODES.join(', ')}`);
        optStr('customKeyStoreId');
        return v as unknown as ConnectFailureFault;
    }
    if (v.kind === 'commandResult') {
        if (v.status !== 'Failed' && v.status !== 'TimedOut') throw new BadInput('fault.status must be "Failed" or "TimedOut"');
        optStr('instanceId');
        optStr('stdout');
        optStr('stderr');
        if (v.responseCode !== undefined && !Number.isInteger(v.responseCode)) throw new BadInput('fault.responseCode must be an integer');
        return v as unknown as CommandResultFault;
    }
    if (v.kind !== undefined && v.kind !== 'api') throw new BadInput('fault.kind must be "api", "connectFailure" or "commandResult"');
    if (!SERVICES.includes(v.service as ServiceName)) throw new BadInput(`fault.service must be one of ${SERVICES.join(', ')}`);
    if (typeof v.operation !== 'string' || !/^(\*|[A-Za-z]+)$/.test(v.operation))
        throw new BadInput('fault.operation must be an operation name such as "DescribeCustomKeyStores", or "*"');
    optStr('error');
    optStr('message');
    if (v.status !== undefined && !(Number.isInteger(v.status) && (v.status as number) >= 300 && (v.status as number) <= 599))
        throw new BadInput('fault.status must be an HTTP error status (300-599)');
    if (v.delayMs !== undefined && !(typeof v.delayMs === 'number' && v.delayMs >= 0 && v.delayMs <= 600_000))
        throw new BadInput('fault.delayMs must be a number of milliseconds (0-600000)');
    if (v.error === undefined && v.status === undefined && v.delayMs === undefined)
        throw new BadInput('an API fault needs at least one of error, status, delayMs');
    return v as unknown as ApiFault;
}

const isInternal = (name: string) => /Internal(Exception|Failure|FailureException|ServerError|ServiceError)$/.test(name);

export class Faults {
    private records: FaultRecord[] = [];
    private nextId = 1;

    add(spec: FaultSpec): FaultRecord {
        const rec: FaultRecord = { id: `fault-${this.nextId++}`, spec, seen: 0, fired: 0 };
        this.records.push(rec);
        return rec;
    }

    clear(): void {
        this.records = [];
    }

    list(): FaultRecord[] {
        return this.records.map((r) => ({ ...r, spec: { ...r.spec } }));
    }

    /** Count a matching call; true when the fault fires for it (and it is consumed). */
    private fire(rec: FaultRecord): boolean {
        rec.seen++;
        const { times = 1, after = 0 } = rec.spec;
        if (rec.seen <= after) return false;
        if (times !== -1 && rec.fired >= times) return false;
        rec.fired++;
        return true;
    }

    private prune(): void {
        this.records = this.records.filter((r) => r.spec.times === -1 || r.fired < (r.spec.times ?? 1));
    }

    /** What faults do to this API call: total latency, and the error to answer with (first error fault that fires). */
    forApiCall(service: ServiceName, operation: string): { delayMs: number; error?: AwsError; label?: string } {
        let delayMs = 0;
        let error: AwsError | undefined;
        const labels: string[] = [];
        for (const rec of this.records) {
            const s = rec.spec;
            if (s.kind !== undefined && s.kind !== 'api') continue;
            if (s.service !== service || (s.operation !== '*' && s.operation !== operation)) continue;
            const wantsError = s.error !== undefined || s.status !== undefined;
            if (wantsError && error) continue; // one error per call: leave this fault for a later call
            if (!this.fire(rec)) continue;
            labels.push(rec.id);
            delayMs += s.delayMs ?? 0;
            if (wantsError) {
                const status = s.status ?? (s.error && isInternal(s.error) ? 500 : 400);
                const type = s.error ?? (status >= 500 ? INTERNAL_ERROR[service] : 'ThrottlingException');
                error = new AwsError(type, s.message ?? `Injected fault ${rec.id}: ${type}`, status);
            }
        }
        this.prune();
        return { delayMs, error, label: labels.length ? labels.join(',') : undefined };
    }

    takeConnectFailure(storeId: string): string | undefined {
        for (const rec of this.records) {
            const s = rec.spec;
            if (s.kind !== 'connectFailure' || (s.customKeyStoreId && s.customKeyStoreId !== storeId)) continue;
            if (this.fire(rec)) {
                this.prune();
                return s.connectionErrorCode;
            }
        }
        return undefined;
    }

    takeCommandResult(instanceId: string): CommandResultFault | undefined {
        for (const rec of this.records) {
            const s = rec.spec;
            if (s.kind !== 'commandResult' || (s.instanceId && s.instanceId !== instanceId)) continue;
            if (this.fire(rec)) {
                this.prune();
                return s;
            }
        }
        return undefined;
    }
}
