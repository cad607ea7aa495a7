import { X509Certificate } from 'crypto';
import { ADMIN_USERNAME_RE, CLUSTER_ID_RE, INSTANCE_ID_RE, SECRET_ID_RE } from '../kmsuser/script';
import { Adapters, KeyStoreProps } from './types';

import { invalid, Problem } from '../engine/problem';

export type { Problem } from '../engine/problem';
export { checkCluster } from '../cluster/checks';

/**
 * What a rejected value is, never what it says: a person who pastes a password where a secret's name belongs must
 * not find it in the stack events (CloudFormation's own schema messages do not echo values either).
 */
const described = (v: unknown) => {
    if (typeof v === 'string') return `(a string of ${v.length} character${v.length === 1 ? '' : 's'})`;
    if (Array.isArray(v)) return '(a list)';
    return v === null ? '(null)' : `(a ${typeof v})`;
};

const SHAPES: Array<{ key: keyof KeyStoreProps; property: string; required: boolean; valid: (v: unknown) => boolean; expect: string }> = [
    {
        key: 'cloudHsmClusterId',
        property: 'CloudHsmClusterId',
        required: true,
        valid: (v) => typeof v === 'string' && CLUSTER_ID_RE.test(v),
        expect: 'a CloudHSM cluster id: cluster- and 11 to 16 letters or digits 2-7, as the CloudHSM console shows it',
    },
    {
        key: 'cloudHsmCustCaCertSecretName',
        property: 'CloudHsmCustCaCertSecretName',
        required: true,
        valid: (v) => typeof v === 'string' && SECRET_ID_RE.test(v),
        expect: 'the name or ARN of a Secrets Manager secret (letters, digits and /_+=.@-)',
    },
    {
        key: 'cloudHsmAdminPasswordSecretName',
        property: 'CloudHsmAdminPasswordSecretName',
        required: true,
        valid: (v) => typeof v === 'string' && SECRET_ID_RE.test(v),
        expect: 'the name or ARN of a Secrets Manager secret (letters, digits and /_+=.@-)',
    },
    {
        key: 'clientInstanceId',
        property: 'ClientInstanceId',
        required: true,
        valid: (v) => typeof v === 'string' && INSTANCE_ID_RE.test(v),
        expect: 'an EC2 instance id (i-...) or a managed instance id (mi-...)',
    },
    {
        key: 'cloudHsmAdminUsername',
        property: 'CloudHsmAdminUsername',
        required: false,
        valid: (v) => typeof v === 'string' && ADMIN_USERNAME_RE.test(v),
        expect: 'a CloudHSM user name: 1 to 31 letters, digits or underscores',
    },
    {
        key: 'keyStoreName',
        property: 'KeyStoreName',
        required: false,
        valid: (v) => typeof v === 'string' && v.length >= 1 && v.length <= 256,
        expect: 'a name of 1 to 256 characters',
    },
];

/**
 * The schema's rules, checked by the handler too (a request may come from a caller that did not validate
 * it): before any AWS call, so junk never reaches AWS.
 */
export function checkShapes(d: Readonly<KeyStoreProps>): Problem[] {
    const problems: Problem[] = [];
    for (const s of SHAPES) {
        const v = d[s.key];
        if (v === undefined || v === null) {
            if (s.required) problems.push(invalid(`${s.property} is required: set it to ${s.expect}.`));
        } else if (!s.valid(v)) {
            problems.push(invalid(`${s.property} ${described(v)} is not valid: it must be ${s.expect}.`));
        }
    }
    return problems;
}

export async function checkSecretExists(aws: Adapters, property: string, secretId: string | undefined): Promise<Problem[]> {
    if (!secretId) return [invalid(`${property} is required: set it to the name or ARN of the Secrets Manager secret.`)];
    const info = await aws.secrets.describe(secretId);
    if (!info) return [invalid(`${property} ${secretId}: no such secret in Secrets Manager in this account and Region.`)];
    if (info.deleted) return [invalid(`${property} ${secretId}: the secret is scheduled for deletion; restore it or name another secret.`)];
    return [];
}

/** The trust anchor is a public certificate, so the handler may read it (unlike the admin password). */
export async function readTrustAnchor(aws: Adapters, secretId: string): Promise<{ pem?: string; problems: Problem[] }> {
    const property = 'CloudHsmCustCaCertSecretName';
    const value = (await aws.secrets.getString(secretId))?.trim();
    if (!value || !value.includes('-----BEGIN CERTIFICATE-----')) {
        return {
            problems: [
                invalid(
                    `${property} ${secretId}: the secret must hold the PEM of the cluster's issuing CA certificate (customerCA.crt), starting with -----BEGIN CERTIFICATE-----.`,
                ),
            ],
        };
    }
    try {
        new X509Certificate(value);
    } catch {
        return { problems: [invalid(`${property} ${secretId}: the PEM in the secret does not parse as an X.509 certificate.`)] };
    }
    if (value.length > 5000) return { problems: [invalid(`${property} ${secretId}: KMS accepts a trust anchor of at most 5000 characters.`)] };
    return { pem: value, problems: [] };
}

export async function checkInstanceOnline(aws: Adapters, instanceId: string | undefined): Promise<Problem[]> {
    if (!instanceId) return [invalid('ClientInstanceId is required: set it to an instance online in SSM with cloudhsm-cli configured for the cluster.')];
    const ping = await aws.ssm.pingStatus(instanceId);
    if (ping === 'Online') return [];
    const state = ping ? `its SSM ping status is ${ping}` : 'SSM does not know it (not a managed instance, stopped, or no SSM agent/instance profile)';
    return [invalid(`ClientInstanceId ${instanceId}: ${state}; the instance must be online in SSM with cloudhsm-cli configured for the cluster.`)];
}

/** One message listing every problem; the code of the first one. */
export function summarize(problems: Problem[]): Problem | undefined {
    if (!problems.length) return undefined;
    return { code: problems[0].code, message: `Invalid key store properties: ${problems.map((p) => p.message).join(' ')}` };
}
