/** The example templates parse (CloudFormation's short tags included) and use only what the schema defines. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { PROVIDER_RECURSIVE_LOOP, PROVIDER_TIMEOUT_SECONDS } from '../../local/custom-resource-harness';
import { MAX_INVOCATIONS, RESERVE_MS } from '../../src/custom-resource/operation';
import { parseProperties } from '../../src/custom-resource/props';
import { keyType } from '../../src/custom-resource/types';
import { loadTemplate } from '../docs/support';

const ROOT = join(__dirname, '../..');
type Schema = {
    properties: Record<string, unknown>;
    required: string[];
    readOnlyProperties: string[];
    handlers: Record<string, { permissions: string[] }>;
};
const schemaAt = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Schema;
const SCHEMA = schemaAt('custom-kms-cloudhsmkeystore.json');
const KEY_SCHEMA = schemaAt('key/custom-kms-cloudhsmkey.json');
const readOnly = (schema: Schema) => schema.readOnlyProperties.map((p) => p.replace('/properties/', ''));
const READ_ONLY = readOnly(SCHEMA);

type Template = {
    Parameters?: Record<string, unknown>;
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }>;
    Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
};
// the CloudFormation YAML reader the docs tests use (short-form intrinsic tags included)
const load = (file: string) => loadTemplate(`examples/${file}`) as unknown as Template;

/** Every {Fn::GetAtt: [resource, attribute]} in a template. */
function getAtts(node: unknown, out: Array<[string, string]> = []): Array<[string, string]> {
    if (Array.isArray(node)) node.forEach((n) => getAtts(n, out));
    else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
            if (k === 'Fn::GetAtt' && Array.isArray(v)) out.push([String(v[0]), String(v[1])]);
            else getAtts(v, out);
        }
    }
    return out;
}

describe('examples/custom-resource.yaml', () => {
    const t = load('custom-resource.yaml');
    const stores = Object.entries(t.Resources).filter(([, r]) => r.Type === 'Custom::KMS::CloudHsmKeyStore');

    test("declares the key store with the literal type and the provider's exported service token", () => {
        expect(stores).toHaveLength(1);
        const props = stores[0][1].Properties ?? {};
        expect(props.ServiceToken).toEqual({ 'Fn::ImportValue': { 'Fn::Sub': '${ProviderExportName}' } });
        expect(Number(props.ServiceTimeout)).toBeLessThanOrEqual(3600);
    });

    test('uses only properties the schema defines (no read-only one), and every required one', () => {
        for (const [, r] of stores) {
            const names = Object.keys(r.Properties ?? {}).filter((n) => n !== 'ServiceToken' && n !== 'ServiceTimeout');
            expect(names.filter((n) => !(n in SCHEMA.properties) || READ_ONLY.includes(n))).toEqual([]);
            expect(SCHEMA.required.filter((n) => !names.includes(n))).toEqual([]);
            // Literal values pass the schema as CloudFormation would send them (as strings).
            const literals = Object.fromEntries(
                Object.entries(r.Properties ?? {})
                    .filter(([, v]) => typeof v !== 'object')
                    .map(([k, v]) => [k, String(v)]),
            );
            const withRequired = {
                CloudHsmClusterId: 'cluster-234567abcdefg',
                CloudHsmCustCaCertSecretName: 'a',
                CloudHsmAdminPasswordSecretName: 'b',
                ClientInstanceId: 'i-0123456789abcdef0',
                ...literals,
            };
            expect(parseProperties('KeyStore', withRequired)).toMatchObject({ ok: true });
        }
    });

    test('Fn::GetAtt reads only the read-only properties the response Data carries', () => {
        const names = new Set(stores.map(([n]) => n));
        const atts = getAtts(t).filter(([res]) => names.has(res));
        expect(atts.length).toBeGreaterThan(0);
        for (const [, att] of atts) expect(READ_ONLY).toContain(att);
    });

    test("declares a Custom::KMS::CloudHsmKey in the key store, through the same provider, with the key schema's properties", () => {
        const keys = Object.entries(t.Resources).filter(([, r]) => r.Type === 'Custom::KMS::CloudHsmKey');
        expect(keys).toHaveLength(1);
        const [name, key] = keys[0];
        const props = key.Properties ?? {};
        expect(props.ServiceToken).toEqual(stores[0][1].Properties?.ServiceToken);
        expect(props.CustomKeyStoreId).toEqual({ Ref: stores[0][0] });
        const names = Object.keys(props).filter((n) => n !== 'ServiceToken' && n !== 'ServiceTimeout');
        expect(names.filter((n) => !(n in KEY_SCHEMA.properties) || readOnly(KEY_SCHEMA).includes(n))).toEqual([]);
        // As CloudFormation sends them: scalars as strings, the store's id in place of the Ref.
        const sent = JSON.parse(JSON.stringify({ ...props, CustomKeyStoreId: 'cks-0123456789abcdef0' }), (_k, v) =>
            typeof v === 'number' || typeof v === 'boolean' ? String(v) : v,
        );
        expect(keyType.rules.parse(name, sent)).toMatchObject({ ok: true });
        for (const [, att] of getAtts(t).filter(([res]) => res === name)) expect(readOnly(KEY_SCHEMA)).toContain(att);
    });
});

describe('examples/custom-resource-provider.yaml', () => {
    const t = load('custom-resource-provider.yaml');
    const byType = (type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

    test('deploys the function from the package zip in S3, with its log group, and exports the service token', () => {
        const [[name, fn]] = byType('AWS::Lambda::Function');
        expect(fn.Properties).toMatchObject({
            Runtime: 'nodejs22.x',
            Code: { S3Bucket: { Ref: 'CodeBucket' }, S3Key: { Ref: 'CodeKey' } },
            FunctionName: { Ref: 'FunctionName' },
        });
        expect(t.Parameters).toHaveProperty('CodeBucket');
        expect(t.Parameters).toHaveProperty('CodeKey');
        const [[, logs]] = byType('AWS::Logs::LogGroup');
        expect(logs.Properties?.LogGroupName).toEqual({ 'Fn::Sub': '/aws/lambda/${FunctionName}' });
        const exported = Object.values(t.Outputs ?? {}).find((o) => o.Export);
        expect(exported?.Value).toEqual({ 'Fn::GetAtt': [name, 'Arn'] });
    });

    test("the function's timeout and recursive loop setting are those the custom resource harness runs it with", () => {
        const [[, fn]] = byType('AWS::Lambda::Function');
        // Lambda's longest timeout keeps an hour-long operation at five invocations; the provider's own chains
        // are bounded, so Lambda's recursive loop detection need not stop them.
        expect(fn.Properties?.Timeout).toBe(PROVIDER_TIMEOUT_SECONDS);
        expect(fn.Properties?.RecursiveLoop).toBe(PROVIDER_RECURSIVE_LOOP);
        expect(Math.ceil(3600 / (PROVIDER_TIMEOUT_SECONDS - RESERVE_MS / 1000)) + 1).toBeLessThan(MAX_INVOCATIONS);
    });

    test("the role has both schemas' handler permissions, invoking itself and writing its own logs, nothing more", () => {
        const [[, role]] = byType('AWS::IAM::Role');
        const policies = role.Properties?.Policies as Array<{
            PolicyDocument: { Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown }> };
        }>;
        const statements = policies.flatMap((p) => p.PolicyDocument.Statement);
        expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
        const schemaPermissions = [...new Set([SCHEMA, KEY_SCHEMA].flatMap((schema) => Object.values(schema.handlers).flatMap((h) => h.permissions)))].sort();
        const actions = (s: { Action: string | string[] }) => ([] as string[]).concat(s.Action).sort();
        expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
        expect(statements.map(actions)).toEqual([schemaPermissions, ['lambda:InvokeFunction'], ['logs:CreateLogStream', 'logs:PutLogEvents']]);
        expect(statements[1].Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}' });
        expect(statements[2].Resource).toEqual({ 'Fn::GetAtt': ['LogGroup', 'Arn'] });
    });
});
