import * as path from 'path';
import { checkSchemaShape, DEFAULT_SCHEMA_PATH, loadSchema, schemaFromDocument, ResourceSchemaDocument } from '../../local/schema';

const repo = loadSchema();
const validProps = {
    CloudHsmClusterId: 'cluster-234abcdefgh',
    CloudHsmCustCaCertSecretName: 'kms/customerCA',
    CloudHsmAdminPasswordSecretName: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:admin-pw-AbCdEf',
    ClientInstanceId: 'i-0123456789abcdef0',
};

describe('loadSchema: the repo schema', () => {
    test('defaults to the repo file and exposes names, not pointers', () => {
        expect(repo.path).toBe(DEFAULT_SCHEMA_PATH);
        expect(path.basename(repo.path)).toBe('custom-kms-cloudhsmkeystore.json');
        expect(repo.typeName).toBe('Custom::KMS::CloudHsmKeyStore');
        expect(repo.primaryIdentifier).toEqual(['CustomKeyStoreId']);
        expect(repo.readOnly).toEqual(['CustomKeyStoreId', 'ConnectionState', 'TrustAnchorCertificate']);
        expect(repo.writeOnly).toContain('CloudHsmAdminPasswordSecretName');
        expect(repo.createOnly).toEqual(['CloudHsmCustCaCertSecretName']);
        expect(repo.required).toEqual(['CloudHsmClusterId', 'CloudHsmCustCaCertSecretName', 'CloudHsmAdminPasswordSecretName', 'ClientInstanceId']);
        expect(repo.properties).toContain('KeyStoreName');
    });

    test('handler timeouts, with the CloudFormation default (120) where none is given', () => {
        expect(repo.timeoutInMinutes('create')).toBe(60);
        // the update's own deadline (110 minutes, src/keystore/update.ts) fires before it
        expect(repo.timeoutInMinutes('UPDATE')).toBe(120);
        expect(repo.timeoutInMinutes('delete')).toBe(60);
        expect(repo.timeoutInMinutes('read')).toBe(120);
        // Read and List report DesiredConnectionState from the key store's record in Parameter Store
        expect(repo.handlers.list?.permissions).toEqual(['kms:DescribeCustomKeyStores', 'ssm:GetParameter']);
    });

    test('passes checkSchemaShape (what cfn validate enforces)', () => {
        expect(repo.checkSchemaShape()).toEqual([]);
    });

    test('primaryIdentifierOf', () => {
        expect(repo.primaryIdentifierOf({ CustomKeyStoreId: 'cks-0123456789abcdef0', X: 1 })).toEqual({ CustomKeyStoreId: 'cks-0123456789abcdef0' });
        expect(repo.primaryIdentifierOf({ KeyStoreName: 'x' })).toBeUndefined();
        expect(repo.primaryIdentifierOf(undefined)).toBeUndefined();
    });
});

describe('validateDesired', () => {
    test('valid input', () => {
        expect(repo.validateDesired(validProps)).toEqual([]);
        expect(repo.validateDesired({ ...validProps, KeyStoreName: 'ks', DeleteKeyStoreUponStackDeletion: false })).toEqual([]);
    });

    test('pattern violations name the property and the pattern', () => {
        const errs = repo.validateDesired({ ...validProps, CloudHsmClusterId: 'cluster-1' });
        expect(errs).toContain('#/CloudHsmClusterId: must match pattern "^cluster-[2-7a-zA-Z]{11,16}$"');
        expect(errs).toContain('#/CloudHsmClusterId: must NOT have fewer than 19 characters');
    });

    test('read-only properties must not be supplied', () => {
        const errs = repo.validateDesired({ ...validProps, CustomKeyStoreId: 'cks-0123456789abcdef0', ConnectionState: 'CONNECTED' });
        expect(errs).toEqual(['#/CustomKeyStoreId: is read-only and must not be supplied', '#/ConnectionState: is read-only and must not be supplied']);
    });

    test('required, unknown properties, types: all errors at once', () => {
        const { ClientInstanceId: _omit, ...rest } = validProps;
        const errs = repo.validateDesired({ ...rest, Bogus: 1, AdoptExistingKmsUser: 'yes', CloudHsmAdminUsername: 'bad name!' });
        expect(errs).toEqual(
            expect.arrayContaining([
                '#/ClientInstanceId: is required',
                '#/Bogus: is not a property of Custom::KMS::CloudHsmKeyStore (additionalProperties is false)',
                '#/AdoptExistingKmsUser: must be boolean',
                '#/CloudHsmAdminUsername: must match pattern "^[A-Za-z0-9_]{1,31}$"',
            ]),
        );
        expect(repo.validateDesired('nope')).toEqual(['#: must be an object of resource properties']);
    });

    test("defaults are never written into the caller's object; withDefaults returns a new one", () => {
        const input = { ...validProps };
        const snapshot = JSON.stringify(input);
        expect(repo.validateDesired(input)).toEqual([]);
        expect(JSON.stringify(input)).toBe(snapshot);
        const filled = repo.withDefaults(input);
        expect(filled).toEqual({
            ...validProps,
            CloudHsmAdminUsername: 'admin',
            DeleteKeyStoreUponStackDeletion: true,
            AdoptExistingKmsUser: false,
            DesiredConnectionState: 'CONNECTED',
        });
        expect(JSON.stringify(input)).toBe(snapshot);
    });

    test('validateModel: outputs may carry read-only properties, need not carry required ones', () => {
        expect(
            repo.validateModel({ CustomKeyStoreId: 'cks-0123456789abcdef0', CloudHsmClusterId: 'cluster-234abcdefgh', ConnectionState: 'CONNECTED' }),
        ).toEqual([]);
        expect(repo.validateModel({ CustomKeyStoreId: 'cks-1' })).toEqual(['#/CustomKeyStoreId: must match pattern "^cks-[0-9a-f]{17}$"']);
    });
});

describe('checkSchemaShape: broken variants fail', () => {
    const base = (): ResourceSchemaDocument => JSON.parse(JSON.stringify(repo.document));
    const cases: Array<[string, (d: ResourceSchemaDocument) => void, string]> = [
        [
            'additionalProperties true',
            (d) => {
                d.additionalProperties = true;
            },
            'additionalProperties: must be false at the top level',
        ],
        [
            'additionalProperties missing',
            (d) => {
                delete d.additionalProperties;
            },
            'additionalProperties: is required',
        ],
        [
            'readOnly names no property',
            (d) => {
                d.readOnlyProperties!.push('/properties/Nope');
            },
            'readOnlyProperties[3]: /properties/Nope names no defined property',
        ],
        [
            'writeOnly is not a pointer',
            (d) => {
                d.writeOnlyProperties!.push('ClientInstanceId');
            },
            'writeOnlyProperties[6]: "ClientInstanceId" must be a pointer of the form /properties/<Name>',
        ],
        [
            'createOnly names no property',
            (d) => {
                d.createOnlyProperties = ['/properties/Missing'];
            },
            'createOnlyProperties[0]: /properties/Missing names no defined property',
        ],
        [
            'primaryIdentifier names no property',
            (d) => {
                d.primaryIdentifier = ['/properties/Arn'];
            },
            'primaryIdentifier[0]: /properties/Arn names no defined property',
        ],
        [
            'primaryIdentifier neither readOnly nor createOnly',
            (d) => {
                d.primaryIdentifier = ['/properties/KeyStoreName'];
            },
            'primaryIdentifier: /properties/KeyStoreName must be readOnly or createOnly',
        ],
        [
            'primaryIdentifier missing',
            (d) => {
                delete d.primaryIdentifier;
            },
            'primaryIdentifier: is required',
        ],
        [
            'required names no property',
            (d) => {
                d.required!.push('Ghost');
            },
            'required[4]: "Ghost" names no defined property',
        ],
        [
            'required property is readOnly',
            (d) => {
                d.required!.push('ConnectionState');
            },
            'required: ConnectionState is readOnly, so no template could supply it',
        ],
        [
            'list handler missing',
            (d) => {
                delete d.handlers!.list;
            },
            'handlers.list: is required',
        ],
        [
            'handlers missing',
            (d) => {
                delete d.handlers;
            },
            'handlers: is required (create, read, update, delete, list)',
        ],
        [
            'empty permissions',
            (d) => {
                d.handlers!.read!.permissions = [];
            },
            'handlers.read.permissions: must be a non-empty array',
        ],
        [
            'no permissions',
            (d) => {
                delete d.handlers!.delete!.permissions;
            },
            'handlers.delete.permissions: must be a non-empty array',
        ],
        [
            'timeout too small',
            (d) => {
                d.handlers!.create!.timeoutInMinutes = 1;
            },
            'handlers.create.timeoutInMinutes: 1 must be an integer between 2 and 2160',
        ],
        [
            'timeout too large',
            (d) => {
                d.handlers!.update!.timeoutInMinutes = 2161;
            },
            'handlers.update.timeoutInMinutes: 2161 must be an integer between 2 and 2160',
        ],
        [
            'timeout not an integer',
            (d) => {
                d.handlers!.update!.timeoutInMinutes = 2.5;
            },
            'handlers.update.timeoutInMinutes: 2.5 must be an integer between 2 and 2160',
        ],
        [
            'tagging missing',
            (d) => {
                delete d.tagging;
            },
            'tagging.taggable: is required (boolean)',
        ],
        [
            'tagging.taggable missing',
            (d) => {
                d.tagging = {};
            },
            'tagging.taggable: is required (boolean)',
        ],
        [
            'typeName with two segments',
            (d) => {
                d.typeName = 'Custom::CloudHsmKeyStore';
            },
            'typeName: "Custom::CloudHsmKeyStore" must match',
        ],
        [
            'typeName segment too short',
            (d) => {
                d.typeName = 'A::KMS::Store';
            },
            'typeName: "A::KMS::Store" must match',
        ],
        [
            'typeName with a dash',
            (d) => {
                d.typeName = 'Acme::KMS::Key-Store';
            },
            'typeName: "Acme::KMS::Key-Store" must match',
        ],
        [
            'property definition is not JSON schema',
            (d) => {
                d.properties.KeyStoreName = { type: 'strin' };
            },
            'properties: not a valid JSON schema',
        ],
    ];
    test.each(cases)('%s', (_name, mutate, expected) => {
        const doc = base();
        mutate(doc);
        const errs = checkSchemaShape(doc);
        expect(errs.some((e) => e.startsWith(expected))).toBe(true);
    });

    test('not an object', () => {
        expect(checkSchemaShape(null)).toEqual(['schema: must be a JSON object']);
    });

    test('a re-namespaced copy still passes', () => {
        const doc = base();
        doc.typeName = 'Acme::KMS::CloudHsmKeyStore';
        expect(schemaFromDocument(doc).checkSchemaShape()).toEqual([]);
    });

    test('the toy schema used by the driver tests passes too', () => {
        expect(loadSchema(path.join(__dirname, 'fixtures', 'toy-schema.json')).checkSchemaShape()).toEqual([]);
    });

    test('loadSchema on a missing file says which file', () => {
        expect(() => loadSchema('/nonexistent/schema.json')).toThrow(/cannot read resource schema \/nonexistent\/schema.json/);
    });
});
