import { loadSchema } from '../../local/schema';
import { coerce, createOnlyChanges, parseProperties, serviceTimeoutSeconds, validate, validationMessage } from '../../src/custom-resource/props';

const valid = {
    KeyStoreName: 'Example',
    CloudHsmClusterId: 'cluster-234567abcdefg',
    CloudHsmCustCaCertSecretName: 'cloudhsm/customer-ca',
    CloudHsmAdminPasswordSecretName: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudhsm/admin-AbCdEf',
    ClientInstanceId: 'i-0123456789abcdef0',
};

test("strings from CloudFormation become the schema's booleans; ServiceToken and ServiceTimeout are not properties", () => {
    expect(coerce({ ...valid, DeleteKeyStoreUponStackDeletion: 'false', AdoptExistingKmsUser: 'true', ServiceToken: 'arn:x', ServiceTimeout: '600' })).toEqual({
        ...valid,
        DeleteKeyStoreUponStackDeletion: false,
        AdoptExistingKmsUser: true,
    });
    expect(coerce({ AdoptExistingKmsUser: 'True' }).AdoptExistingKmsUser).toBe('True'); // not a JSON boolean: reported, not guessed
});

test("a valid template becomes the model's camelCase props", () => {
    const p = parseProperties('KeyStore', { ...valid, DeleteKeyStoreUponStackDeletion: 'true', ServiceToken: 'arn:x' });
    expect(p).toEqual({
        ok: true,
        raw: expect.any(Object),
        props: expect.objectContaining({ cloudHsmClusterId: valid.CloudHsmClusterId, deleteKeyStoreUponStackDeletion: true, keyStoreName: 'Example' }),
    });
});

test("messages are CloudFormation's, one per problem", () => {
    expect(validate({ ...valid, KeyStoreName: '', CustomKeyStoreId: 'cks-12345678901234567', Extra: 1, AdoptExistingKmsUser: 'yes' })).toEqual([
        '#/KeyStoreName: expected minLength: 1, actual: 0',
        '#/CustomKeyStoreId: is read-only and cannot be set in a template (CloudFormation sets it)',
        '#: extraneous key [Extra] is not permitted',
        '#/AdoptExistingKmsUser: expected type: Boolean, found: String',
    ]);
    expect(validationMessage('KS', ['#: required key [A] not found'])).toBe(
        'Properties validation failed for resource KS with message: #: required key [A] not found',
    );
    expect(validationMessage('KS', ['a', 'b'])).toBe('Properties validation failed for resource KS with message: [a, b]');
});

test('accepts and rejects exactly what the schema (checked by ajv, as the local CloudFormation driver does) accepts and rejects', () => {
    const schema = loadSchema();
    const cases: Array<Record<string, unknown>> = [
        valid,
        { ...valid, CloudHsmClusterId: 'cluster-1' },
        { ...valid, CloudHsmClusterId: 'cluster-234567abcdefg8' },
        { ...valid, ClientInstanceId: 'mi-0123456789abcdef0' },
        { ...valid, ClientInstanceId: 'i-0123' },
        { ...valid, CloudHsmAdminUsername: 'admin_2' },
        { ...valid, CloudHsmAdminUsername: 'admin-2' },
        { ...valid, CloudHsmAdminUsername: 'a'.repeat(32) },
        { ...valid, KeyStoreName: 'x'.repeat(257) },
        { ...valid, CloudHsmCustCaCertSecretName: 'has space' },
        { ...valid, DeleteKeyStoreUponStackDeletion: true },
        { ...valid, DeleteKeyStoreUponStackDeletion: 'true' },
        { ...valid, Unknown: 'x' },
        { KeyStoreName: 'only' },
        { ...valid, ConnectionState: 'CONNECTED' },
    ];
    for (const c of cases) expect([JSON.stringify(c), validate(c).length > 0]).toEqual([JSON.stringify(c), schema.validateDesired(c).length > 0]);
});

test('create-only changes and the service timeout', () => {
    expect(createOnlyChanges(valid, { ...valid, KeyStoreName: 'x' })).toEqual([]);
    expect(createOnlyChanges(valid, { ...valid, CloudHsmCustCaCertSecretName: 'other' })).toEqual(['CloudHsmCustCaCertSecretName']);
    expect(serviceTimeoutSeconds({ ServiceTimeout: '600' })).toBe(600);
    expect(serviceTimeoutSeconds({})).toBe(3600);
    expect(serviceTimeoutSeconds({ ServiceTimeout: '99999' })).toBe(3600);
});
