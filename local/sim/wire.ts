/**
 * awsJson1_1 wire helpers: the error type every service handler throws, and input
 * validation that answers the way AWS does (`ValidationException`, "N validation
 * error(s) detected: Value 'x' at 'member' failed to satisfy constraint: ...").
 */

/**
 * `logs`, `monitoring` and `s3` are what the CloudFormation library (SDK v2) calls with providerCredentials; `ec2`
 * is the handler's cluster network checks (EC2 query protocol, services/ec2.ts).
 */
export type ServiceName = 'kms' | 'cloudhsm' | 'ssm' | 'secretsmanager' | 'logs' | 'monitoring' | 's3' | 'ec2';

export const TARGET_PREFIX: Record<string, ServiceName> = {
    TrentService: 'kms',
    BaldrApiService: 'cloudhsm',
    AmazonSSM: 'ssm',
    secretsmanager: 'secretsmanager',
    Logs_20140328: 'logs',
};

/** The modelled internal (5xx) error of each service. */
export const INTERNAL_ERROR: Record<ServiceName, string> = {
    kms: 'KMSInternalException',
    cloudhsm: 'CloudHsmInternalFailureException',
    ssm: 'InternalServerError',
    secretsmanager: 'InternalServiceError',
    logs: 'ServiceUnavailableException',
    monitoring: 'InternalServiceError',
    s3: 'InternalError',
    ec2: 'InternalError',
};

/** An AWS error answer. `message` undefined means the body carries no message (e.g. SSM InvocationDoesNotExist). */
export class AwsError extends Error {
    constructor(
        readonly type: string,
        message?: string,
        readonly status = 400,
    ) {
        super(message ?? '');
        this.hasMessage = message !== undefined;
    }
    readonly hasMessage: boolean;
}

export type Json = Record<string, unknown>;

/** Error body: `__type` + `message` (KMS models lower-case `message`; the others model `Message`, so they get both). */
export function errorBody(service: ServiceName, err: AwsError): Json {
    const body: Json = { __type: err.type };
    if (err.hasMessage) {
        body.message = err.message;
        if (service !== 'kms' && service !== 'logs') body.Message = err.message;
    }
    return body;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

interface StrRule {
    required?: boolean;
    min?: number;
    max?: number;
    pattern?: RegExp;
    patternText?: string;
    sensitive?: boolean;
    enum?: readonly string[];
}
interface IntRule {
    required?: boolean;
    min?: number;
    max?: number;
}

/**
 * Collects constraint violations for one request, then throws one ValidationException.
 * Wrong JSON types throw SerializationException at once, as AWS does.
 */
export class Validator {
    private readonly errors: string[] = [];
    constructor(private readonly body: Json) {}

    private fail(member: string, value: unknown, sensitive: boolean | undefined, constraint: string): void {
        const v = value === undefined || value === null ? 'Value null' : sensitive ? 'Value' : `Value ${show(value)}`;
        this.errors.push(`${v} at '${lowerFirst(member)}' failed to satisfy constraint: ${constraint}`);
    }

    str(member: string, rule: StrRule = {}, value: unknown = this.body[member]): string | undefined {
        if (value === undefined || value === null) {
            if (rule.required) this.fail(member, value, rule.sensitive, 'Member must not be null');
            return undefined;
        }
        if (typeof value !== 'string') {
            throw new AwsError('SerializationException', `Expected a string for ${member}, got ${typeof value}`);
        }
        const before = this.errors.length;
        if (rule.min !== undefined && value.length < rule.min)
            this.fail(member, value, rule.sensitive, `Member must have length greater than or equal to ${rule.min}`);
        if (rule.max !== undefined && value.length > rule.max)
            this.fail(member, value, rule.sensitive, `Member must have length less than or equal to ${rule.max}`);
        if (rule.pattern && !rule.pattern.test(value))
            this.fail(member, value, rule.sensitive, `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`);
        if (rule.enum && !rule.enum.includes(value)) this.fail(member, value, rule.sensitive, `Member must satisfy enum value set: [${rule.enum.join(', ')}]`);
        return this.errors.length === before ? value : undefined;
    }

    int(member: string, rule: IntRule = {}, value: unknown = this.body[member]): number | undefined {
        if (value === undefined || value === null) {
            if (rule.required) this.fail(member, value, false, 'Member must not be null');
            return undefined;
        }
        if (typeof value !== 'number' || !Number.isInteger(value)) {
            throw new AwsError('SerializationException', `Expected an integer for ${member}`);
        }
        const before = this.errors.length;
        if (rule.min !== undefined && value < rule.min) this.fail(member, value, false, `Member must have value greater than or equal to ${rule.min}`);
        if (rule.max !== undefined && value > rule.max) this.fail(member, value, false, `Member must have value less than or equal to ${rule.max}`);
        return this.errors.length === before ? value : undefined;
    }

    bool(member: string, value: unknown = this.body[member]): boolean | undefined {
        if (value === undefined || value === null) return undefined;
        if (typeof value !== 'boolean') throw new AwsError('SerializationException', `Expected a boolean for ${member}`);
        return value;
    }

    list<T = unknown>(member: string, rule: { required?: boolean; min?: number; max?: number } = {}, value: unknown = this.body[member]): T[] | undefined {
        if (value === undefined || value === null) {
            if (rule.required) this.fail(member, value, false, 'Member must not be null');
            return undefined;
        }
        if (!Array.isArray(value)) throw new AwsError('SerializationException', `Expected a list for ${member}`);
        if (rule.min !== undefined && value.length < rule.min) this.fail(member, value, false, `Member must have length greater than or equal to ${rule.min}`);
        if (rule.max !== undefined && value.length > rule.max) this.fail(member, value, false, `Member must have length less than or equal to ${rule.max}`);
        return value as T[];
    }

    obj(member: string, value: unknown = this.body[member]): Json | undefined {
        if (value === undefined || value === null) return undefined;
        if (typeof value !== 'object' || Array.isArray(value)) throw new AwsError('SerializationException', `Expected a structure for ${member}`);
        return value as Json;
    }

    /** Throw the collected violations, if any, as one ValidationException. */
    done(): void {
        if (this.errors.length === 0) return;
        const n = this.errors.length;
        throw new AwsError('ValidationException', `${n} validation error${n > 1 ? 's' : ''} detected: ${this.errors.join('; ')}`);
    }
}

/** Opaque pagination tokens: base64 of a JSON position. */
export function encodeToken(position: number): string {
    return Buffer.from(JSON.stringify({ p: position })).toString('base64');
}

export function decodeToken(token: string | undefined, errorType: string, message: string): number {
    if (token === undefined) return 0;
    try {
        const v = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { p?: unknown };
        if (typeof v.p === 'number' && Number.isInteger(v.p) && v.p >= 0) return v.p;
    } catch {
        /* fall through */
    }
    throw new AwsError(errorType, message);
}

/** One page of `items` from `start`; `next` is the position of the next page, or undefined on the last one. */
export function page<T>(items: T[], start: number, size: number): { items: T[]; next?: number } {
    const slice = items.slice(start, start + size);
    return start + size < items.length ? { items: slice, next: start + size } : { items: slice };
}
