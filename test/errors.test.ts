import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { CloudHSMV2ServiceException } from '@aws-sdk/client-cloudhsm-v2';
import {
    CloudHsmClusterInUseException,
    CloudHsmClusterInvalidConfigurationException,
    CloudHsmClusterNotActiveException,
    CloudHsmClusterNotFoundException,
    CloudHsmClusterNotRelatedException,
    CustomKeyStoreHasCMKsException,
    CustomKeyStoreInvalidStateException,
    CustomKeyStoreNameInUseException,
    CustomKeyStoreNotFoundException,
    DependencyTimeoutException,
    IncorrectTrustAnchorException,
    InvalidMarkerException,
    KMSInternalException,
    KMSInvalidStateException,
    KMSServiceException,
    LimitExceededException,
} from '@aws-sdk/client-kms';
import {
    DecryptionFailure,
    InternalServiceError,
    InvalidParameterException,
    InvalidRequestException,
    ResourceExistsException,
    ResourceNotFoundException,
    SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import {
    InternalServerError,
    InvalidCommandId,
    InvalidDocument,
    InvalidInstanceId,
    SSMServiceException,
    UnsupportedPlatformType,
    ValidationException,
} from '@aws-sdk/client-ssm';
import { describeConnectionError, HandlerFailure, mapAwsError, REPAIRABLE_CONNECTION_ERRORS } from '../src/errors';

const C = HandlerErrorCode;
const md = { $metadata: { httpStatusCode: 400 } };
const AWS_SAID = 'the detail AWS gave';

/**
 * @aws-sdk/client-cloudhsm-v2 3.332 often throws the base class with only a name (its DescribeClusters error switch
 * lacks CloudHsmResourceNotFoundException), so build them that way.
 */
const hsmErr = (name: string, fault: 'client' | 'server' = 'client') => new CloudHSMV2ServiceException({ name, $fault: fault, message: AWS_SAID, ...md });
const kmsBase = (name: string, httpStatusCode = 400) =>
    new KMSServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', message: AWS_SAID, $metadata: { httpStatusCode } });

// [AWS error, expected code, a fragment of the advice that tells a person what to do]
const TABLE_CASES: Array<[Error, HandlerErrorCode, RegExp]> = [
    // KMS (real SDK exception classes)
    [new CustomKeyStoreNameInUseException({ message: AWS_SAID, ...md }), C.AlreadyExists, /choose another KeyStoreName/],
    [new CloudHsmClusterInUseException({ message: AWS_SAID, ...md }), C.AlreadyExists, /use another cluster/],
    [new CloudHsmClusterNotFoundException({ message: AWS_SAID, ...md }), C.InvalidRequest, /check CloudHsmClusterId/],
    [new CloudHsmClusterNotActiveException({ message: AWS_SAID, ...md }), C.InvalidRequest, /initialize and activate it/],
    [
        new CloudHsmClusterInvalidConfigurationException({ message: AWS_SAID, ...md }),
        C.InvalidRequest,
        /two active HSMs in different Availability Zones.*TCP 2223-2225/,
    ],
    [new CloudHsmClusterNotRelatedException({ message: AWS_SAID, ...md }), C.InvalidRequest, /share backup history/],
    [new IncorrectTrustAnchorException({ message: AWS_SAID, ...md }), C.InvalidRequest, /customerCA\.crt/],
    [new CustomKeyStoreInvalidStateException({ message: AWS_SAID, ...md }), C.ResourceConflict, /wait for it to settle and retry/],
    [new CustomKeyStoreNotFoundException({ message: AWS_SAID, ...md }), C.NotFound, /does not exist/],
    [new CustomKeyStoreHasCMKsException({ message: AWS_SAID, ...md }), C.ResourceConflict, /still holds KMS keys/],
    [new LimitExceededException({ message: AWS_SAID, ...md }), C.ServiceLimitExceeded, /request a quota increase/],
    [new KMSInternalException({ message: AWS_SAID, $metadata: { httpStatusCode: 500 } }), C.ServiceInternalError, /retry the operation/],
    [new DependencyTimeoutException({ message: AWS_SAID, $metadata: { httpStatusCode: 500 } }), C.ServiceInternalError, /retry the operation/],
    [new KMSInvalidStateException({ message: AWS_SAID, ...md }), C.ResourceConflict, /state that does not allow/],
    [new InvalidMarkerException({ message: AWS_SAID, ...md }), C.InternalFailure, /pagination marker; retry/],
    // CloudHSM v2 (base class, only a name)
    [hsmErr('CloudHsmAccessDeniedException'), C.AccessDenied, /allow cloudhsm:DescribeClusters/],
    [hsmErr('CloudHsmInternalFailureException', 'server'), C.ServiceInternalError, /retry the operation/],
    [hsmErr('CloudHsmInvalidRequestException'), C.InvalidRequest, /check CloudHsmClusterId/],
    [hsmErr('CloudHsmResourceNotFoundException'), C.InvalidRequest, /check CloudHsmClusterId/],
    [hsmErr('CloudHsmServiceException'), C.GeneralServiceException, /retry the operation/],
    // SSM (real SDK exception classes; the deserializer sets message from the body's Message, so both are set)
    [new InvalidInstanceId({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.InvalidRequest, /run the SSM agent, be online/],
    [new InvalidDocument({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.InvalidRequest, /AWS-RunShellScript/],
    [new UnsupportedPlatformType({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.InvalidRequest, /must be a Linux instance/],
    [new InvalidCommandId({ message: AWS_SAID, ...md }), C.InternalFailure, /retry the operation/],
    [new InternalServerError({ message: AWS_SAID, Message: AWS_SAID, $metadata: { httpStatusCode: 500 } }), C.ServiceInternalError, /retry the operation/],
    [new ValidationException({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.InvalidRequest, /rejected a parameter value/],
    // Secrets Manager (real SDK exception classes)
    [new ResourceNotFoundException({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.InvalidRequest, /check the secret name or ARN/],
    [new ResourceExistsException({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.AlreadyExists, /already exists/],
    [new DecryptionFailure({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.AccessDenied, /allow kms:Decrypt/],
    [new InternalServiceError({ message: AWS_SAID, Message: AWS_SAID, $metadata: { httpStatusCode: 500 } }), C.ServiceInternalError, /retry the operation/],
    [new InvalidParameterException({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.InvalidRequest, /rejected a parameter value/],
    [new InvalidRequestException({ message: AWS_SAID, Message: AWS_SAID, ...md }), C.InvalidRequest, /scheduled for deletion/],
    // Shared names that no client models (base class with the name)
    [kmsBase('ValidationException'), C.InvalidRequest, /rejected a parameter value/],
    [kmsBase('UnrecognizedClientException'), C.InvalidCredentials, /credentials are not valid/],
    [new SSMServiceException({ name: 'InvalidClientTokenId', $fault: 'client', message: AWS_SAID, ...md }), C.InvalidCredentials, /credentials are not valid/],
    [
        new SecretsManagerServiceException({ name: 'ExpiredTokenException', $fault: 'client', message: AWS_SAID, ...md }),
        C.InvalidCredentials,
        /credentials have expired/,
    ],
];

describe('mapAwsError: the table', () => {
    it.each(TABLE_CASES.map(([err, code, advice]) => [err.name, code, err, advice] as const))(
        '%s -> %s with the name, the advice and what AWS said',
        (name, code, err, advice) => {
            const mapped = mapAwsError(err, 'CreateCustomKeyStore');
            expect(mapped.code).toBe(code);
            expect(mapped.retryable).toBe(false);
            expect(mapped.message).toContain(`CreateCustomKeyStore failed with ${name}. `);
            expect(mapped.message).toMatch(advice);
            expect(mapped.message).toContain(`AWS said: "${AWS_SAID}".`);
        },
    );

    it('covers every HandlerErrorCode the table can yield', () => {
        const yielded = new Set(TABLE_CASES.map(([, code]) => code));
        expect([...yielded].sort()).toStrictEqual(
            [
                C.AlreadyExists,
                C.InvalidRequest,
                C.ResourceConflict,
                C.NotFound,
                C.ServiceLimitExceeded,
                C.ServiceInternalError,
                C.InternalFailure,
                C.AccessDenied,
                C.GeneralServiceException,
                C.InvalidCredentials,
            ].sort(),
        );
    });

    it('uses the real SDK classes whose name is the AWS error name', () => {
        const err = new CustomKeyStoreNameInUseException({ message: 'name taken', $metadata: {} });
        expect(err.name).toBe('CustomKeyStoreNameInUseException');
        expect(mapAwsError(err)).toStrictEqual({
            code: C.AlreadyExists,
            message:
                'The AWS call failed with CustomKeyStoreNameInUseException. Another custom key store in this account and Region already has this name; choose another KeyStoreName. AWS said: "name taken".',
            retryable: false,
        });
    });

    it('maps by name, not by class: a base-class error named like a table entry gets that entry', () => {
        expect(mapAwsError(kmsBase('CustomKeyStoreInvalidStateException')).code).toBe(C.ResourceConflict);
        expect(mapAwsError(new SSMServiceException({ name: 'InvalidInstanceId', $fault: 'client', ...md })).code).toBe(C.InvalidRequest);
    });

    it('prefers the table over the HTTP status (a named 5xx keeps its entry)', () => {
        expect(mapAwsError(kmsBase('CustomKeyStoreInvalidStateException', 500)).code).toBe(C.ResourceConflict);
    });
});

describe('mapAwsError: throttling', () => {
    it.each(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'Throttling'])('%s -> Throttling, retryable', (name) => {
        const mapped = mapAwsError(kmsBase(name), 'DescribeCustomKeyStores');
        expect(mapped).toMatchObject({ code: C.Throttling, retryable: true });
        expect(mapped.message).toContain(name);
        expect(mapped.message).toContain('throttled');
    });

    it('LimitExceededException is a quota (ServiceLimitExceeded), not retryable throttling', () => {
        const mapped = mapAwsError(new LimitExceededException({ message: 'quota', ...md }));
        expect(mapped).toMatchObject({ code: C.ServiceLimitExceeded, retryable: false });
    });
});

describe('mapAwsError: AccessDenied* prefix', () => {
    it.each([
        kmsBase('AccessDeniedException'),
        new SSMServiceException({ name: 'AccessDenied', $fault: 'client', message: AWS_SAID, ...md }),
        Object.assign(new Error(AWS_SAID), { name: 'AccessDeniedForSomething' }),
    ])('%s -> AccessDenied with the name and a permission hint', (err) => {
        const mapped = mapAwsError(err, 'DescribeClusters');
        expect(mapped.code).toBe(C.AccessDenied);
        expect(mapped.retryable).toBe(false);
        expect(mapped.message).toContain(`DescribeClusters was denied (${err.name})`);
        expect(mapped.message).toContain('Grant the permissions');
        expect(mapped.message).toContain(AWS_SAID);
    });
});

describe('mapAwsError: HTTP 5xx with an unknown name', () => {
    it.each([500, 502, 503, 504])('HTTP %i -> ServiceInternalError, with the name and status', (status) => {
        const mapped = mapAwsError(kmsBase('SomethingNewException', status), 'ConnectCustomKeyStore');
        expect(mapped.code).toBe(C.ServiceInternalError);
        expect(mapped.retryable).toBe(false);
        expect(mapped.message).toContain('SomethingNewException');
        expect(mapped.message).toContain(`HTTP ${status}`);
        expect(mapped.message).toMatch(/retry/i);
    });

    it('an empty 5xx body (SDK name "Unknown") -> ServiceInternalError', () => {
        expect(mapAwsError(kmsBase('Unknown', 503)).code).toBe(C.ServiceInternalError);
    });

    it('a 4xx with an unknown name is not a service error', () => {
        expect(mapAwsError(kmsBase('SomethingNewException', 400)).code).toBe(C.InternalFailure);
    });
});

describe('mapAwsError: network errors', () => {
    it('name TimeoutError -> NetworkFailure', () => {
        const err = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
        const mapped = mapAwsError(err, 'SendCommand');
        expect(mapped).toMatchObject({ code: C.NetworkFailure, retryable: false });
        expect(mapped.message).toContain('SendCommand could not reach AWS (TimeoutError)');
        expect(mapped.message).toContain('Connection timed out after 1000 ms');
    });

    it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])('code %s (a plain Node Error) -> NetworkFailure with the code', (code) => {
        const err = Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code, $metadata: { attempts: 3 } });
        const mapped = mapAwsError(err);
        expect(mapped.code).toBe(C.NetworkFailure);
        expect(mapped.message).toContain(`(${code})`);
        expect(mapped.message).toContain('127.0.0.1:4566');
    });

    it('name RequestTimeout -> NetworkFailure', () => {
        expect(mapAwsError(Object.assign(new Error('t'), { name: 'RequestTimeout' })).code).toBe(C.NetworkFailure);
    });
});

describe('mapAwsError: unknown errors', () => {
    it('an unknown AWS name -> InternalFailure with the name in the message', () => {
        const mapped = mapAwsError(kmsBase('XksProxyUriInUseException'), 'UpdateCustomKeyStore');
        expect(mapped).toStrictEqual({
            code: C.InternalFailure,
            message: `UpdateCustomKeyStore failed with unexpected error XksProxyUriInUseException. AWS said: "${AWS_SAID}". Retry the operation; if it fails again, report this message.`,
            retryable: false,
        });
    });

    it('a plain Error -> InternalFailure naming "Error"', () => {
        const mapped = mapAwsError(new TypeError('Expected real number, got implicit NaN'));
        expect(mapped.code).toBe(C.InternalFailure);
        expect(mapped.message).toContain('TypeError');
        expect(mapped.message).toContain('Expected real number');
    });

    it.each([
        ['a string', 'boom'],
        ['undefined', undefined],
        ['null', null],
        ['a number', 42],
    ])('%s thrown -> InternalFailure', (_label, thrown) => {
        const mapped = mapAwsError(thrown);
        expect(mapped.code).toBe(C.InternalFailure);
        expect(mapped.retryable).toBe(false);
        expect(mapped.message).toContain('UnknownError');
        expect(mapped.message).toContain(String(thrown));
    });
});

describe('mapAwsError: HandlerFailure', () => {
    it('passes code and message through unchanged', () => {
        const failure = new HandlerFailure(C.NotStabilized, 'Key store cks-1 did not connect within 20 minutes.');
        expect(failure).toBeInstanceOf(Error);
        expect(failure.name).toBe('HandlerFailure');
        expect(mapAwsError(failure, 'anything')).toStrictEqual({
            code: C.NotStabilized,
            message: 'Key store cks-1 did not connect within 20 minutes.',
            retryable: false,
        });
    });
});

describe('describeConnectionError', () => {
    const STORE = 'cks-1234567890abcdef0';
    // Every CloudHSM ConnectionErrorCode of the KMS API reference (CustomKeyStoresListEntry), with a fragment of the remedy.
    const CASES: Array<[string, RegExp]> = [
        ['INVALID_CREDENTIALS', /resets kmsuser's password.*UpdateCustomKeyStore with KeyStorePassword/],
        ['CLUSTER_NOT_FOUND', /CloudHsmClusterId/],
        ['NETWORK_ERRORS', /TCP 2223-2225/],
        ['INTERNAL_ERROR', /retry/],
        ['INSUFFICIENT_CLOUDHSM_HSMS', /add an HSM/],
        ['USER_LOCKED_OUT', /locked out.*resets kmsuser's password/],
        ['USER_NOT_FOUND', /creates kmsuser/],
        ['USER_LOGGED_IN', /log kmsuser out everywhere/],
        ['SUBNET_NOT_FOUND', /restore the subnet/],
        ['INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET', /free at least one/],
    ];

    it.each(CASES)('%s gives a remedy with the code and the store id', (code, remedy) => {
        const text = describeConnectionError(STORE, code);
        expect(text).toContain(STORE);
        expect(text).toContain(`ConnectionErrorCode ${code}`);
        expect(text).toMatch(remedy);
        expect(text).not.toContain('Troubleshooting a custom key store');
    });

    it.each(['XKS_PROXY_TIMED_OUT', 'SOME_NEW_CODE'])('unknown code %s still gives a message with the code, store id and a pointer', (code) => {
        const text = describeConnectionError(STORE, code);
        expect(text).toBe(
            `Key store ${STORE} failed to connect (ConnectionErrorCode ${code}). See "Troubleshooting a custom key store" in the KMS Developer Guide.`,
        );
    });

    it('no code at all says so', () => {
        const text = describeConnectionError(STORE, undefined);
        expect(text).toContain(STORE);
        expect(text).toContain('not given');
        expect(text).toContain('Troubleshooting a custom key store');
    });

    it('REPAIRABLE_CONNECTION_ERRORS are exactly the kmsuser errors the handler can fix', () => {
        expect([...REPAIRABLE_CONNECTION_ERRORS].sort()).toStrictEqual(['INVALID_CREDENTIALS', 'USER_LOCKED_OUT', 'USER_NOT_FOUND']);
    });
});
