/** Key policies: the AWS::KMS::Key default, and the object-or-string forms a template may use. */

/** The partition of a Region, for the root principal's ARN. */
export function partitionOf(region: string): string {
    if (region.startsWith('cn-')) return 'aws-cn';
    if (region.startsWith('us-gov-')) return 'aws-us-gov';
    if (region.startsWith('us-iso-')) return 'aws-iso';
    if (region.startsWith('us-isob-')) return 'aws-iso-b';
    return 'aws';
}

/** The default key policy of AWS::KMS::Key (and of KMS): the account's root user gets kms:*, so IAM policies decide. */
export function defaultKeyPolicy(region: string, accountId: string): object {
    return {
        Version: '2012-10-17',
        Id: 'key-default',
        Statement: [
            {
                Sid: 'Enable IAM User Permissions',
                Effect: 'Allow',
                Principal: { AWS: `arn:${partitionOf(region)}:iam::${accountId}:root` },
                Action: 'kms:*',
                Resource: '*',
            },
        ],
    };
}

/** The policy document KMS is given: a string as it is, an object as JSON. */
export function policyText(policy: object | string): string {
    return typeof policy === 'string' ? policy : JSON.stringify(policy);
}

/** The policy KMS returned, as the model shows it: the parsed object, or the text when it is not JSON. */
export function policyValue(text: string): object | string {
    try {
        const parsed: unknown = JSON.parse(text);
        return parsed && typeof parsed === 'object' ? (parsed as object) : text;
    } catch {
        return text;
    }
}

/** A problem with a template's KeyPolicy that KMS would refuse with MalformedPolicyDocumentException, or undefined. */
export function policyProblem(policy: object | string | undefined): string | undefined {
    if (policy === undefined) return undefined;
    const text = policyText(policy);
    if (typeof policy === 'string') {
        const value = policyValue(policy);
        if (typeof value === 'string') return 'KeyPolicy is a string but not a JSON policy document; give the policy as a JSON object or as its JSON text.';
    }
    if (text.length > 32768) return `KeyPolicy is ${text.length} characters long; KMS allows at most 32768.`;
    return undefined;
}

/** Same policy, whatever the formatting: compared as parsed JSON. */
export function samePolicy(a: object | string, b: object | string): boolean {
    const norm = (p: object | string) => JSON.stringify(typeof p === 'string' ? policyValue(p) : p);
    return norm(a) === norm(b);
}
