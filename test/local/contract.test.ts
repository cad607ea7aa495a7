// assertContract on hand-made responses, including shapes the library itself never lets through.
import { assertContract, deepEqual, HANDLER_ERROR_CODES, ProgressEventJson } from '../../local/contract';
import { buildHandlerRequest, CfnAction } from '../../local/handler-request';
import { loadSchema } from '../../local/schema';

const schema = loadSchema(); // the real type: CustomKeyStoreId is the primary identifier
const ID = 'cks-0123456789abcdef0';
const desired = {
    CloudHsmClusterId: 'cluster-234abcdefgh',
    KeyStoreName: 'ks',
    CloudHsmCustCaCertSecretName: 'ca',
    CloudHsmAdminPasswordSecretName: 'pw',
    ClientInstanceId: 'i-0123456789abcdef0',
};
const output = { CustomKeyStoreId: ID, CloudHsmClusterId: 'cluster-234abcdefgh', KeyStoreName: 'ks', ConnectionState: 'CONNECTED' };

const req = (action: CfnAction, resourceProperties: Record<string, unknown> = desired, nextToken?: string) =>
    buildHandlerRequest({ action, resourceType: schema.typeName, bearerToken: 't', resourceProperties, nextToken });
const check = (action: CfnAction, response: unknown, request = req(action), prev?: ProgressEventJson) =>
    assertContract(action, request, response, schema, prev);

describe('compliant responses', () => {
    test.each<[CfnAction, unknown]>([
        [
            'CREATE',
            {
                status: 'IN_PROGRESS',
                message: '',
                callbackContext: { phase: 'x' },
                callbackDelaySeconds: 30,
                resourceModel: { ...desired, CustomKeyStoreId: ID },
            },
        ],
        ['CREATE', { status: 'SUCCESS', message: '', callbackDelaySeconds: 0, resourceModel: output }],
        ['UPDATE', { status: 'SUCCESS', resourceModel: { ...output, TrustAnchorCertificate: 'pem' } }],
        ['DELETE', { status: 'SUCCESS', message: '', callbackDelaySeconds: 0 }],
        ['READ', { status: 'SUCCESS', resourceModel: output }],
        ['LIST', { status: 'SUCCESS', resourceModels: [output, { CustomKeyStoreId: 'cks-0123456789abcdef1' }] }],
        ['LIST', { status: 'SUCCESS', resourceModels: [], nextToken: 'n1' }],
        ['READ', { status: 'FAILED', errorCode: 'NotFound', message: 'gone', callbackDelaySeconds: 0 }],
    ])('%s %j', (action, response) => {
        expect(check(action, response)).toEqual([]);
    });

    test('an input property left out but present in the output is fine', () => {
        const { KeyStoreName: _k, ...withoutName } = desired;
        expect(check('CREATE', { status: 'SUCCESS', resourceModel: output }, req('CREATE', withoutName))).toEqual([]);
    });

    test('15 error codes', () => {
        expect(HANDLER_ERROR_CODES).toHaveLength(15);
        for (const code of HANDLER_ERROR_CODES) {
            expect(check('DELETE', { status: 'FAILED', errorCode: code, message: 'm' })).toEqual([]);
        }
    });
});

describe('violations', () => {
    const inProgress = { status: 'IN_PROGRESS', callbackDelaySeconds: 5, resourceModel: { ...desired, CustomKeyStoreId: ID } };
    test.each<[string, CfnAction, unknown, string]>([
        ['not an object', 'CREATE', 'SUCCESS', 'response must be a ProgressEvent object, got "SUCCESS"'],
        ['undefined', 'CREATE', undefined, 'response must be a ProgressEvent object'],
        ['READ in progress', 'READ', { ...inProgress }, 'READ must never return IN_PROGRESS'],
        ['LIST in progress', 'LIST', { ...inProgress }, 'LIST must never return IN_PROGRESS'],
        ['IN_PROGRESS with resourceModels', 'CREATE', { ...inProgress, resourceModels: [] }, 'IN_PROGRESS must not carry resourceModels'],
        ['IN_PROGRESS without model', 'DELETE', { status: 'IN_PROGRESS' }, 'IN_PROGRESS must carry a resourceModel'],
        [
            'IN_PROGRESS changes a write-only value',
            'CREATE',
            { ...inProgress, resourceModel: { ...inProgress.resourceModel, ClientInstanceId: 'i-0123456789abcdef1' } },
            'IN_PROGRESS resourceModel changed write-only property ClientInstanceId',
        ],
        ['delay is a string', 'CREATE', { ...inProgress, callbackDelaySeconds: '5' }, 'callbackDelaySeconds must be a number, got "5"'],
        ['callbackContext not an object', 'CREATE', { ...inProgress, callbackContext: 'x' }, 'callbackContext must be an object'],
        ['SUCCESS create without model', 'CREATE', { status: 'SUCCESS' }, 'CREATE SUCCESS must carry a resourceModel'],
        [
            'SUCCESS update without id',
            'UPDATE',
            { status: 'SUCCESS', resourceModel: { KeyStoreName: 'ks', CloudHsmClusterId: 'cluster-234abcdefgh' } },
            'UPDATE SUCCESS resourceModel must carry the primary identifier (CustomKeyStoreId)',
        ],
        [
            'SUCCESS update loses a property',
            'UPDATE',
            { status: 'SUCCESS', resourceModel: { CustomKeyStoreId: ID, CloudHsmClusterId: 'cluster-234abcdefgh' } },
            'UPDATE SUCCESS resourceModel.KeyStoreName must equal the input: input "ks", output undefined',
        ],
        [
            'SUCCESS output not matching the schema',
            'READ',
            { status: 'SUCCESS', resourceModel: { CustomKeyStoreId: ID, Unknown: 1 } },
            'READ SUCCESS resourceModel does not match the schema: #/Unknown: is not a property of Custom::KMS::CloudHsmKeyStore',
        ],
        [
            'DELETE SUCCESS with resourceModel: null',
            'DELETE',
            { status: 'SUCCESS', resourceModel: null },
            'DELETE SUCCESS must not have a resourceModel key at all',
        ],
        ['LIST without resourceModels', 'LIST', { status: 'SUCCESS' }, 'LIST SUCCESS must carry a resourceModels array'],
        ['LIST nextToken not a string', 'LIST', { status: 'SUCCESS', resourceModels: [], nextToken: 5 }, 'LIST nextToken must be a string or absent'],
        ['LIST model not an object', 'LIST', { status: 'SUCCESS', resourceModels: ['x'] }, 'LIST resourceModels[0] must be an object'],
        ['resourceModels not an array', 'LIST', { status: 'SUCCESS', resourceModels: {} }, 'resourceModels must be an array'],
        [
            'FAILED with resourceModels',
            'LIST',
            { status: 'FAILED', errorCode: 'Throttling', message: 'slow', resourceModels: [] },
            'FAILED must not carry resourceModels',
        ],
        ['FAILED without message', 'CREATE', { status: 'FAILED', errorCode: 'AccessDenied' }, 'FAILED must carry a non-empty message'],
        [
            'FAILED with an exception class name',
            'CREATE',
            { status: 'FAILED', errorCode: 'ValidationException', message: 'm' },
            'FAILED errorCode must be one of the HandlerErrorCode values, got "ValidationException"',
        ],
        ['status missing', 'CREATE', { message: 'm' }, 'status must be one of SUCCESS, FAILED, IN_PROGRESS; got undefined'],
    ])('%s', (_name, action, response, expected) => {
        expect(check(action, response)).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
    });

    test('the primary identifier must not change between invocations', () => {
        const prev = { status: 'IN_PROGRESS', resourceModel: { ...desired, CustomKeyStoreId: 'cks-0123456789abcdef1' } } as ProgressEventJson;
        expect(check('CREATE', { status: 'SUCCESS', resourceModel: output }, req('CREATE'), prev)).toEqual([
            'primary identifier changed between invocations: {"CustomKeyStoreId":"cks-0123456789abcdef1"} -> {"CustomKeyStoreId":"cks-0123456789abcdef0"}',
        ]);
    });

    test('LIST: the same token twice in a row', () => {
        const prev = { status: 'SUCCESS', resourceModels: [], nextToken: 'n1' } as ProgressEventJson;
        expect(check('LIST', { status: 'SUCCESS', resourceModels: [], nextToken: 'n1' }, req('LIST', {}), prev)).toEqual([
            'LIST returned the same nextToken twice ("n1"): paging would loop forever',
        ]);
        expect(check('LIST', { status: 'SUCCESS', resourceModels: [], nextToken: 'n1' }, req('LIST', {}, 'n1'))[0]).toMatch(
            /^LIST returned the nextToken it was called with \("n1"\)/,
        );
    });

    test('the desired state given in the context wins over the request (re-invocations carry the model)', () => {
        const v = assertContract(
            'CREATE',
            req('CREATE', { ...desired, CustomKeyStoreId: ID }),
            { status: 'SUCCESS', resourceModel: output },
            schema,
            undefined,
            { desired: { ...desired, KeyStoreName: 'other' } },
        );
        expect(v).toEqual(['CREATE SUCCESS resourceModel.KeyStoreName must equal the input: input "other", output "ks"']);
    });

    test('READ must answer for the identifier it was asked about', () => {
        const v = assertContract(
            'READ',
            req('READ', { CustomKeyStoreId: ID }),
            { status: 'SUCCESS', resourceModel: { CustomKeyStoreId: 'cks-0123456789abcdef1' } },
            schema,
            undefined,
            { expectedIdentifier: { CustomKeyStoreId: ID } },
        );
        expect(v[0]).toMatch(/^READ SUCCESS returned a different primary identifier/);
    });
});

test('deepEqual ignores undefined members and key order', () => {
    expect(deepEqual({ a: 1, b: undefined, c: [1, { d: 2 }] }, { c: [1, { d: 2 }], a: 1 })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
});
