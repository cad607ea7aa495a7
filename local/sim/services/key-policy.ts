/**
 * Whether a KMS key's policy lets the caller run an operation on the key.
 *
 * Documented: DescribeKey (and every other operation on one key) is authorized by the key policy: "Required
 * permissions: kms:DescribeKey (key policy)" (KMS API reference, DescribeKey). IAM policies count only where the key
 * policy lets them: "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access to a KMS
 * key" (KMS developer guide, "Key policies in AWS KMS"); the default key policy does, with a statement for the
 * account's root principal (the developer guide's "Default key policy"). An explicit Deny wins over every Allow
 * (IAM User Guide, "Policy evaluation logic").
 *
 * Assumed (the simulator does not know who calls): the caller is an IAM principal of the simulated account whose
 * IAM policies allow everything. A statement applies to it when its Principal is "*", the account (its root ARN or
 * its id), or any IAM role or user of the account (it might be the caller; the benefit of the doubt). Principals of
 * other accounts and service principals are not the caller. Condition keys are not evaluated: a statement with a
 * Condition, or with NotPrincipal, is taken not to apply.
 */

interface Statement {
    Effect?: unknown;
    Principal?: unknown;
    NotPrincipal?: unknown;
    Action?: unknown;
    NotAction?: unknown;
    Condition?: unknown;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** IAM's action wildcards (* and ?), case-insensitive as IAM matches action names. */
function matches(pattern: unknown, action: string): boolean {
    if (typeof pattern !== 'string') return false;
    const re = new RegExp(
        `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
        'i',
    );
    return re.test(action);
}

function appliesToCaller(s: Statement, accountId: string): boolean {
    if (s.Condition !== undefined || s.NotPrincipal !== undefined) return false;
    if (s.Principal === '*') return true;
    const aws = s.Principal && typeof s.Principal === 'object' ? (s.Principal as { AWS?: unknown }).AWS : undefined;
    const ofAccount = new RegExp(`^arn:aws[a-z-]*:iam::${accountId}:(root|role/.+|user/.+)$`);
    return list(aws).some((p) => p === '*' || p === accountId || (typeof p === 'string' && ofAccount.test(p)));
}

function coversAction(s: Statement, action: string): boolean {
    if (s.NotAction !== undefined) return !list(s.NotAction).some((p) => matches(p, action));
    return list(s.Action).some((p) => matches(p, action));
}

/**
 * 'allowed', or why not: 'denied' (an explicit Deny applies) or 'not-allowed' (no Allow applies). `policy` undefined is
 * KMS's default key policy, which allows the account.
 */
export function keyPolicyDecision(policy: string | undefined, accountId: string, action: string): 'allowed' | 'denied' | 'not-allowed' {
    if (policy === undefined) return 'allowed';
    let doc: unknown;
    try {
        doc = JSON.parse(policy);
    } catch {
        return 'not-allowed';
    }
    const statements = list((doc as { Statement?: unknown })?.Statement).filter((s): s is Statement => !!s && typeof s === 'object');
    const relevant = statements.filter((s) => appliesToCaller(s, accountId) && coversAction(s, action));
    if (relevant.some((s) => s.Effect === 'Deny')) return 'denied';
    return relevant.some((s) => s.Effect === 'Allow') ? 'allowed' : 'not-allowed';
}
