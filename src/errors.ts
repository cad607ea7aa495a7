import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { errorMessage, errorName } from './aws/error-name';
import { compose } from './engine/message';

/** A failure the handler decided on: a code CloudFormation understands and a message a person can act on. */
export class HandlerFailure extends Error {
    constructor(
        readonly code: HandlerErrorCode,
        message: string,
    ) {
        super(message);
        this.name = 'HandlerFailure';
    }
}

export interface MappedError {
    code: HandlerErrorCode;
    message: string;
    /** Worth another try in a later invocation (throttling), rather than failing the operation. */
    retryable: boolean;
}

type Entry = { code: HandlerErrorCode; advice: string; retryable?: boolean };

const C = HandlerErrorCode;

/** Every AWS error name the handler meets, with what a platform engineer should do about it. */
const TABLE: Record<string, Entry> = {
    // KMS
    CustomKeyStoreNameInUseException: {
        code: C.AlreadyExists,
        advice: 'Another custom key store in this account and Region already has this name; choose another KeyStoreName.',
    },
    CloudHsmClusterInUseException: {
        code: C.AlreadyExists,
        advice: 'The CloudHSM cluster (or a cluster related to it) is already associated with another custom key store; use another cluster.',
    },
    CloudHsmClusterNotFoundException: {
        code: C.InvalidRequest,
        advice: 'KMS cannot find the CloudHSM cluster in this account and Region; check CloudHsmClusterId.',
    },
    CloudHsmClusterNotActiveException: { code: C.InvalidRequest, advice: 'The CloudHSM cluster is not ACTIVE; initialize and activate it, then retry.' },
    CloudHsmClusterInvalidConfigurationException: {
        code: C.InvalidRequest,
        advice: 'The CloudHSM cluster needs at least two active HSMs in different Availability Zones and a security group open on TCP 2223-2225; fix the cluster, then retry.',
    },
    CloudHsmClusterNotRelatedException: {
        code: C.InvalidRequest,
        advice: "The new cluster does not share backup history with the key store's cluster; KMS can move a key store only to a related cluster (one created from a backup of the original).",
    },
    IncorrectTrustAnchorException: {
        code: C.InvalidRequest,
        advice: 'The certificate in CloudHsmCustCaCertSecretName is not the trust anchor (customerCA.crt) of this cluster; store the PEM of the CA that signed the cluster certificate.',
    },
    CustomKeyStoreInvalidStateException: {
        code: C.ResourceConflict,
        advice: 'The key store is in a state that does not allow this operation (for example DISCONNECTING); wait for it to settle and retry.',
    },
    CustomKeyStoreNotFoundException: { code: C.NotFound, advice: 'The custom key store does not exist.' },
    CustomKeyStoreHasCMKsException: {
        code: C.ResourceConflict,
        advice: 'The key store still holds KMS keys (PendingDeletion keys count until their waiting period ends).',
    },
    LimitExceededException: {
        code: C.ServiceLimitExceeded,
        advice: 'The account has reached a quota: custom key stores (10 per Region), KMS keys, or secrets; delete unused ones or request a quota increase.',
    },
    KMSInternalException: { code: C.ServiceInternalError, advice: 'KMS reported an internal error; retry the operation.' },
    DependencyTimeoutException: { code: C.ServiceInternalError, advice: 'KMS timed out reaching a dependency; retry the operation.' },
    KMSInvalidStateException: { code: C.ResourceConflict, advice: 'A KMS key is in a state that does not allow this operation.' },
    InvalidMarkerException: { code: C.InternalFailure, advice: 'KMS rejected a pagination marker; retry the operation.' },
    // KMS keys (Custom::KMS::CloudHsmKey)
    NotFoundException: { code: C.NotFound, advice: 'The KMS key does not exist in this account and Region.' },
    MalformedPolicyDocumentException: {
        code: C.InvalidRequest,
        advice: 'KMS refused KeyPolicy: it is not a valid key policy, or it would keep the caller from changing the policy later (set BypassPolicyLockoutSafetyCheck only if that is intended); fix KeyPolicy, then retry.',
    },
    TagException: {
        code: C.InvalidRequest,
        advice: 'KMS refused a tag: tag keys are 1-128 characters and must not start with aws:, values 0-256 characters, at most 50 tags; fix Tags, then retry.',
    },
    InvalidArnException: { code: C.InvalidRequest, advice: 'An ARN in the request or in KeyPolicy is not valid; fix it, then retry.' },
    UnsupportedOperationException: {
        code: C.InvalidRequest,
        advice: 'KMS does not support this for keys in an AWS CloudHSM key store: they are symmetric encryption keys only, without automatic rotation or multi-Region replicas.',
    },
    DisabledException: { code: C.ResourceConflict, advice: 'The KMS key is disabled; set Enabled to true first.' },
    // CloudHSM v2
    CloudHsmAccessDeniedException: { code: C.AccessDenied, advice: 'The caller may not call CloudHSM; allow cloudhsm:DescribeClusters.' },
    CloudHsmInternalFailureException: { code: C.ServiceInternalError, advice: 'CloudHSM reported an internal error; retry the operation.' },
    CloudHsmInvalidRequestException: { code: C.InvalidRequest, advice: 'CloudHSM rejected the request; check CloudHsmClusterId.' },
    CloudHsmResourceNotFoundException: {
        code: C.InvalidRequest,
        advice: 'The CloudHSM cluster does not exist in this account and Region; check CloudHsmClusterId.',
    },
    CloudHsmTagException: { code: C.InvalidRequest, advice: "CloudHSM rejected the request's tags." },
    CloudHsmServiceException: { code: C.GeneralServiceException, advice: 'CloudHSM reported an error; retry the operation.' },
    // EC2 (the cluster network checks): EC2 names a denied call UnauthorizedOperation (EC2 API reference, "Error codes")
    UnauthorizedOperation: {
        code: C.AccessDenied,
        advice: "The caller may not read the cluster's network; allow ec2:DescribeSecurityGroups and ec2:DescribeSubnets (the schema's create and update permissions).",
    },
    InvalidParameterValue: { code: C.InvalidRequest, advice: 'AWS rejected a parameter value.' },
    // SSM
    InvalidInstanceId: {
        code: C.InvalidRequest,
        advice: 'SSM cannot run commands on ClientInstanceId: the instance must exist, run the SSM agent, be online, and have an instance profile that allows SSM.',
    },
    InvalidDocument: { code: C.InvalidRequest, advice: 'SSM does not have the AWS-RunShellScript document in this Region.' },
    UnsupportedPlatformType: { code: C.InvalidRequest, advice: 'ClientInstanceId must be a Linux instance (the kmsuser script is a shell script).' },
    InvalidCommandId: { code: C.InternalFailure, advice: 'SSM no longer knows the command this operation sent; retry the operation.' },
    InternalServerError: { code: C.ServiceInternalError, advice: 'SSM reported an internal error; retry the operation.' },
    ParameterLimitExceeded: {
        code: C.ServiceLimitExceeded,
        advice: "The account has reached the Parameter Store quota of standard parameters, so the key store's record cannot be kept; delete unused parameters, then retry.",
    },
    TooManyUpdates: { code: C.Throttling, advice: "Parameter Store is busy with another update of the key store's record.", retryable: true },
    // Secrets Manager
    ResourceNotFoundException: { code: C.InvalidRequest, advice: 'The secret does not exist in this account and Region; check the secret name or ARN.' },
    ResourceExistsException: { code: C.AlreadyExists, advice: 'A secret with this name already exists with different content.' },
    DecryptionFailure: {
        code: C.AccessDenied,
        advice: 'Secrets Manager cannot decrypt the secret with its KMS key; allow kms:Decrypt on that key for the caller.',
    },
    InternalServiceError: { code: C.ServiceInternalError, advice: 'Secrets Manager reported an internal error; retry the operation.' },
    // Shared
    ValidationException: { code: C.InvalidRequest, advice: 'AWS rejected a parameter value.' },
    InvalidParameterException: { code: C.InvalidRequest, advice: 'AWS rejected a parameter value.' },
    InvalidRequestException: {
        code: C.InvalidRequest,
        advice: "AWS rejected the request in the resource's current state (for example a secret scheduled for deletion).",
    },
    UnrecognizedClientException: { code: C.InvalidCredentials, advice: "The caller's credentials are not valid." },
    InvalidClientTokenId: { code: C.InvalidCredentials, advice: "The caller's credentials are not valid." },
    ExpiredTokenException: { code: C.InvalidCredentials, advice: "The caller's credentials have expired." },
    ThrottlingException: { code: C.Throttling, advice: 'AWS throttled the request.', retryable: true },
    TooManyRequestsException: { code: C.Throttling, advice: 'AWS throttled the request.', retryable: true },
    RequestLimitExceeded: { code: C.Throttling, advice: 'AWS throttled the request.', retryable: true },
    Throttling: { code: C.Throttling, advice: 'AWS throttled the request.', retryable: true },
};

/** What AWS said, quoted as a sentence of its own (never a secret: AWS error messages carry names and ids). */
const said = (detail: string) =>
    detail && detail !== 'UnknownError'
        ? `AWS said: "${detail
              .replace(/\s+/g, ' ')
              .trim()
              .replace(/[.\s]+$/, '')}".`
        : undefined;

const NETWORK = new Set(['TimeoutError', 'RequestTimeout', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** Maps anything an AWS call threw to a HandlerErrorCode and an actionable message. */
export function mapAwsError(err: unknown, action = 'the AWS call'): MappedError {
    if (err instanceof HandlerFailure) return { code: err.code, message: err.message, retryable: false };
    const name = errorName(err);
    const detail = errorMessage(err);
    const entry = TABLE[name];
    if (entry) {
        return { code: entry.code, message: compose(`${action} failed with ${name}.`, entry.advice, said(detail)), retryable: entry.retryable ?? false };
    }
    if (name.startsWith('AccessDenied')) {
        return {
            code: C.AccessDenied,
            message: compose(`${action} was denied (${name}).`, 'Grant the permissions the schema lists for this handler.', said(detail)),
            retryable: false,
        };
    }
    const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    const code = (err as { code?: string })?.code;
    if (NETWORK.has(name) || (code !== undefined && NETWORK.has(code))) {
        return {
            code: C.NetworkFailure,
            message: compose(`${action} could not reach AWS (${code ?? name}).`, said(detail), 'Check the network path to the AWS endpoints, then retry.'),
            retryable: false,
        };
    }
    if (status === 429) {
        return { code: C.Throttling, message: compose(`${action} was throttled (${name}, HTTP 429).`, 'Retry the operation later.'), retryable: true };
    }
    if (status !== undefined && status >= 500) {
        return {
            code: C.ServiceInternalError,
            message: compose(`${action} failed with ${name} (HTTP ${status}).`, 'Retry the operation.', said(detail)),
            retryable: false,
        };
    }
    return {
        code: C.InternalFailure,
        message: compose(`${action} failed with unexpected error ${name}.`, said(detail), 'Retry the operation; if it fails again, report this message.'),
        retryable: false,
    };
}

/** What a FAILED connection's ConnectionErrorCode means and what to do about it. */
export const CONNECTION_ERRORS: Record<string, string> = {
    INVALID_CREDENTIALS:
        "KMS could not log in as kmsuser with the password it holds. Update the stack (the handler resets kmsuser's password through ClientInstanceId and reconnects), or reset it by hand and call UpdateCustomKeyStore with KeyStorePassword.",
    USER_LOCKED_OUT:
        "kmsuser is locked out of the cluster after too many failed logins. Update the stack (the handler resets kmsuser's password, which unlocks it, and reconnects).",
    USER_NOT_FOUND: 'There is no kmsuser crypto user in the cluster. Update the stack (the handler creates kmsuser and reconnects).',
    USER_LOGGED_IN:
        'kmsuser is logged in to the cluster (for example in a cloudhsm-cli session), so KMS cannot rotate its password; log kmsuser out everywhere, then retry.',
    CLUSTER_NOT_FOUND: 'KMS cannot find the CloudHSM cluster; check that it exists and CloudHsmClusterId is right.',
    INSUFFICIENT_CLOUDHSM_HSMS: 'The cluster has no active HSM; add an HSM (two in different Availability Zones are recommended), then retry.',
    NETWORK_ERRORS:
        'Network errors kept KMS from reaching the HSMs; check that the cluster security group allows TCP 2223-2225 from itself and that the subnets route, then retry.',
    INTERNAL_ERROR: 'KMS hit an internal error; retry the operation (a FAILED key store is disconnected before it reconnects).',
    SUBNET_NOT_FOUND: 'A subnet in the cluster configuration was deleted; restore the subnet or create the cluster in existing subnets.',
    INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET:
        'A cluster subnet has no free IP address; free at least one (two are recommended) in each cluster subnet, then retry.',
};

/** kmsuser errors the handler can repair by resetting or creating kmsuser. */
export const REPAIRABLE_CONNECTION_ERRORS = new Set(['INVALID_CREDENTIALS', 'USER_LOCKED_OUT', 'USER_NOT_FOUND']);

export function describeConnectionError(storeId: string, code: string | undefined): string {
    const known = code ? CONNECTION_ERRORS[code] : undefined;
    return compose(
        `Key store ${storeId} failed to connect (ConnectionErrorCode ${code || 'not given'}).`,
        known ?? 'See "Troubleshooting a custom key store" in the KMS Developer Guide.',
    );
}
