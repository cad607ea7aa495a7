/**
 * Parser of the kmsuser script's output (see ./script.ts for the protocol) and the mapping of its
 * failure codes to a HandlerErrorCode and a message a platform engineer can act on.
 *
 * Protocol: stdout ends with `KMSUSER_RESULT=<CODE>`; failures print one `KMSUSER_DETAIL=<line>` before
 * it. The last KMSUSER_RESULT line wins. SSM keeps only the first 24,000 characters of stdout, so a
 * missing marker is reported as UNEXPECTED_OUTPUT with a short excerpt.
 */
// Type-only import: the string values of the library's HandlerErrorCode enum, without loading the
// library (and aws-sdk v2) at run time.
import type { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { compose } from '../engine/message';

export type KmsUserOutcome = 'CHECKED' | 'CREATED' | 'ADOPTED' | 'RESET' | 'DELETED' | 'ABSENT';
export type KmsUserFailure =
    | 'CLI_MISSING'
    | 'AWS_CLI_MISSING'
    | 'SECRET_UNREADABLE'
    | 'ADMIN_LOGIN_FAILED'
    | 'KMSUSER_EXISTS'
    | 'KMSUSER_OWNS_KEYS'
    | 'KMSUSER_LOGGED_IN'
    | 'KMSUSER_MFA'
    | 'KMSUSER_PARTIAL'
    | 'TIMED_OUT'
    | 'UNEXPECTED_OUTPUT';
export type KmsUserResult = { ok: true; outcome: KmsUserOutcome } | { ok: false; failure: KmsUserFailure; detail: string };

type FailureCode = `${
    | HandlerErrorCode.InvalidRequest
    | HandlerErrorCode.AlreadyExists
    | HandlerErrorCode.ResourceConflict
    | HandlerErrorCode.GeneralServiceException
    | HandlerErrorCode.AccessDenied}`;

export const KMSUSER_OUTCOMES: readonly KmsUserOutcome[] = ['CHECKED', 'CREATED', 'ADOPTED', 'RESET', 'DELETED', 'ABSENT'];

/** At most this many characters in a detail. */
export const KMSUSER_DETAIL_MAX = 500;

const RESULT_PREFIX = 'KMSUSER_RESULT=';
const DETAIL_PREFIX = 'KMSUSER_DETAIL=';

/** One line, control characters turned into spaces, at most `max` characters (code points). */
function oneLine(s: string, max: number = KMSUSER_DETAIL_MAX): string {
    const flat = s
        // eslint-disable-next-line no-control-regex -- control characters in the script output are what this removes
        .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
        .replace(/ {2,}/g, ' ')
        .trim();
    const chars = Array.from(flat);
    return chars.length <= max ? flat : chars.slice(0, max - 3).join('') + '...';
}

/** The last `n` characters (code points) of `s`, on one line, with a leading "..." when cut. */
function tail(s: string, n: number): string {
    const flat = oneLine(s, Number.MAX_SAFE_INTEGER);
    const chars = Array.from(flat);
    return chars.length <= n ? flat : '...' + chars.slice(chars.length - (n - 3)).join('');
}

function isOutcome(code: string): code is KmsUserOutcome {
    return (KMSUSER_OUTCOMES as readonly string[]).includes(code);
}
function isFailure(code: string): code is KmsUserFailure {
    return Object.prototype.hasOwnProperty.call(KMSUSER_FAILURES, code);
}

function excerpt(stdout: string, stderr: string): string {
    const parts: string[] = [];
    if (stdout.trim() !== '') parts.push(`stdout (${stdout.length} chars) ends: "${tail(stdout, 220)}"`);
    if (stderr.trim() !== '') parts.push(`stderr ends: "${tail(stderr, 180)}"`);
    return parts.length > 0 ? parts.join('; ') : 'no output at all';
}

/**
 * Parse the script's stdout/stderr (GetCommandInvocation StandardOutputContent / StandardErrorContent).
 * The last `KMSUSER_RESULT=` line wins; its detail is the last `KMSUSER_DETAIL=` line before it.
 * No marker, or an unknown one -> UNEXPECTED_OUTPUT with a short excerpt of the output.
 */
export function parseKmsUserResult(stdout: string, stderr: string): KmsUserResult {
    const out = typeof stdout === 'string' ? stdout : '';
    const err = typeof stderr === 'string' ? stderr : '';
    const lines = out.split(/\r?\n|\r/);
    let resultIndex = -1;
    for (let i = lines.length - 1; i >= 0; i--) {
        if (lines[i].startsWith(RESULT_PREFIX)) {
            resultIndex = i;
            break;
        }
    }
    if (resultIndex < 0) {
        const truncated = out.length >= 24000 ? ' (stdout reached the 24,000-character SSM limit, so it was probably truncated)' : '';
        return {
            ok: false,
            failure: 'UNEXPECTED_OUTPUT',
            detail: oneLine(`the kmsuser script printed no KMSUSER_RESULT line${truncated}; ${excerpt(out, err)}`),
        };
    }
    const code = lines[resultIndex].slice(RESULT_PREFIX.length).trim();
    if (isOutcome(code)) return { ok: true, outcome: code };
    if (!isFailure(code)) {
        return {
            ok: false,
            failure: 'UNEXPECTED_OUTPUT',
            detail: oneLine(`the kmsuser script printed an unknown result "${oneLine(code, 40)}"; ${excerpt(out, err)}`),
        };
    }
    let detail = '';
    for (let i = resultIndex - 1; i >= 0; i--) {
        if (lines[i].startsWith(RESULT_PREFIX)) break; // a detail belongs to the result that follows it
        if (lines[i].startsWith(DETAIL_PREFIX)) {
            detail = oneLine(lines[i].slice(DETAIL_PREFIX.length));
            break;
        }
    }
    if (detail === '') detail = code === 'UNEXPECTED_OUTPUT' ? oneLine(excerpt(out, err)) : 'no detail';
    return { ok: false, failure: code, detail };
}

export const KMSUSER_FAILURES: Record<KmsUserFailure, { code: FailureCode; remedy: string }> = {
    CLI_MISSING: {
        code: 'InvalidRequest',
        remedy:
            'Install the AWS CloudHSM CLI (Client SDK 5, cloudhsm-cli, on PATH or at /opt/cloudhsm/bin/cloudhsm-cli) on the ' +
            'instance and configure it for the cluster (configure-cli with an HSM IP or --cluster-id, and the customer CA ' +
            'certificate in /opt/cloudhsm/etc), or set ClientInstanceId to an instance that has it.',
    },
    AWS_CLI_MISSING: {
        code: 'InvalidRequest',
        remedy:
            'Install the AWS CLI v2 on the instance (on PATH or at /usr/local/bin/aws): the script reads the admin and ' +
            'bootstrap passwords from Secrets Manager with it, using the instance profile. Or set ClientInstanceId to an ' +
            'instance that has it.',
    },
    SECRET_UNREADABLE: {
        code: 'InvalidRequest',
        remedy:
            'Check that the secret exists, is not scheduled for deletion and holds a SecretString: for the admin password ' +
            'either the plain password or JSON {"password": "..."}. The instance profile must allow ' +
            'secretsmanager:GetSecretValue on it (and kms:Decrypt when it is encrypted with a customer managed key).',
    },
    ADMIN_LOGIN_FAILED: {
        code: 'InvalidRequest',
        remedy:
            'Check CloudHsmAdminUsername (default admin) and the password in CloudHsmAdminPasswordSecretName; test with ' +
            'cloudhsm-cli login on the instance. Every failed attempt counts: after 5 consecutive failures the admin is ' +
            'locked out and another admin must reset its password with cloudhsm-cli user change-password. Do not retry ' +
            'the stack operation until the credentials are fixed.',
    },
    KMSUSER_EXISTS: {
        code: 'AlreadyExists',
        remedy:
            'Set AdoptExistingKmsUser to true to reset its ' +
            'password and use it for the key store (anything else logged in as kmsuser loses access once KMS rotates the ' +
            'password), or delete it first with cloudhsm-cli user delete --username kmsuser --role crypto-user.',
    },
    KMSUSER_OWNS_KEYS: {
        code: 'ResourceConflict',
        remedy:
            'The keys it owns are the key material of KMS keys or keys made outside KMS. Delete them first (after the KMS ' +
            'keys that use them are deleted), or leave kmsuser in place.',
    },
    KMSUSER_LOGGED_IN: {
        code: 'ResourceConflict',
        remedy:
            'KMS keeps a session as kmsuser while a custom key store that uses this cluster is connected. ' +
            'Disconnect every custom key store on the cluster (DisconnectCustomKeyStore), wait for DISCONNECTED, then retry.',
    },
    KMSUSER_MFA: {
        code: 'InvalidRequest',
        remedy:
            'KMS logs in as kmsuser with its password alone, so it can never connect with a kmsuser that has MFA ("Do not ' +
            'specify the 2FA option when you create the kmsuser CU", KMS developer guide). Deregister it as an admin on a ' +
            'client instance: cloudhsm-cli user change-mfa token-sign --username kmsuser --role crypto-user --deregister; ' +
            'or delete kmsuser (cloudhsm-cli user delete --username kmsuser --role crypto-user) and set AdoptExistingKmsUser ' +
            'to false so the key store gets a new one. Then retry.',
    },
    KMSUSER_PARTIAL: {
        code: 'InvalidRequest',
        remedy:
            'kmsuser exists on some HSMs of the cluster only (an earlier user create or user delete that partly ' +
            'succeeded), and KMS then fails to connect with USER_NOT_FOUND. Finish that operation as an admin on a client ' +
            'instance (CloudHSM user guide, "Client SDK 5 user contains inconsistent values"): to remove it, cloudhsm-cli ' +
            'user delete --username kmsuser --role crypto-user; to keep it, cloudhsm-cli user create --username kmsuser ' +
            '--role crypto-user. Check with cloudhsm-cli user list that its cluster-coverage is full, then retry.',
    },
    TIMED_OUT: {
        code: 'GeneralServiceException',
        remedy:
            'A call did not answer within the time the script allows it. Check on the instance that cloudhsm-cli reaches ' +
            "every HSM of the cluster (the cluster's security group allows TCP 2223-2225 from the instance; cloudhsm-cli " +
            'user list answers) and that the instance reaches Secrets Manager, then retry. When the call was user create ' +
            'or user delete, check with cloudhsm-cli user list whether kmsuser is on every HSM (cluster-coverage full).',
    },
    UNEXPECTED_OUTPUT: {
        code: 'GeneralServiceException',
        remedy:
            'Check on the instance that cloudhsm-cli is configured for this cluster and can reach its HSMs ' +
            '(cloudhsm-cli user list --cluster-id <id>), that the user-management quorum is 1 (quorum approval is not ' +
            'supported), and the SSM command output.',
    },
};

const SUMMARY: Record<KmsUserFailure, string> = {
    CLI_MISSING: 'cloudhsm-cli (Client SDK 5) was not found',
    AWS_CLI_MISSING: 'the AWS CLI (aws) was not found',
    SECRET_UNREADABLE: 'a password secret could not be read',
    ADMIN_LOGIN_FAILED: 'the CloudHSM admin login was refused',
    KMSUSER_EXISTS: 'the CloudHSM user kmsuser already exists',
    KMSUSER_OWNS_KEYS: 'kmsuser could not be deleted because it owns keys',
    KMSUSER_LOGGED_IN: 'kmsuser could not be changed because it is logged in',
    KMSUSER_MFA: 'the existing kmsuser has multi-factor authentication, so KMS could never log in as it',
    KMSUSER_PARTIAL: 'the existing kmsuser is not on every HSM of the cluster, so KMS could not connect',
    TIMED_OUT: 'a call of the kmsuser script did not answer in time and was stopped',
    UNEXPECTED_OUTPUT: 'the kmsuser script failed with output it could not interpret',
};

/**
 * A HandlerErrorCode and a message naming what happened, on which instance, what to do, and the detail.
 * A SECRET_UNREADABLE caused by an AccessDeniedException maps to AccessDenied.
 */
export function describeKmsUserFailure(r: { failure: KmsUserFailure; detail: string }, instanceId: string): { code: string; message: string } {
    const failure: KmsUserFailure = isFailure(r.failure) ? r.failure : 'UNEXPECTED_OUTPUT';
    const entry = KMSUSER_FAILURES[failure];
    const detail = oneLine(typeof r.detail === 'string' ? r.detail : '');
    let code: string = entry.code;
    if (failure === 'SECRET_UNREADABLE' && /AccessDenied/i.test(detail)) code = 'AccessDenied' satisfies FailureCode;
    const where = oneLine(String(instanceId), 64);
    const message = compose(`kmsuser on instance ${where}: ${SUMMARY[failure]} (${failure}).`, entry.remedy, detail && `Detail: ${detail}`);
    return { code, message };
}
