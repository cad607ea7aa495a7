/**
 * Every example template parses (CloudFormation's short tags included), refers only to what it defines, and uses
 * the registered type only with properties its schema has; the IAM examples grant exactly what the handlers
 * need, with the secrets scoped as the README's security section says.
 */
import Ajv from 'ajv';
import { readdirSync } from 'fs';
import { join } from 'path';
import { planRename } from '../../scripts/rename';
import { RECORD_PREFIX } from '../../src/keystore/record';
import { bootstrapSecretName } from '../../src/keystore/bootstrap';
import type { PhaseEnv } from '../../src/keystore/types';
import { actions, HANDLER_PERMISSIONS, loadTemplate, READ_ONLY, references, Resource, ROOT, SCHEMA, Statement, subNames, Template } from './support';

const EXAMPLES = readdirSync(join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
const [, SERVICE, RESOURCE] = SCHEMA.typeName.split('::');
/** The registered type under any namespace but the reserved Custom (which CloudFormation reads as a custom resource). */
const isRegisteredType = (type: string) => new RegExp(`^(?!Custom::)[A-Za-z0-9]{2,64}::${SERVICE}::${RESOURCE}$`).test(type);
/** The real name prefix of the bootstrap secrets, from the code that names them. */
const BOOTSTRAP_PREFIX = bootstrapSecretName({ request: { clientRequestToken: 't', logicalResourceId: 'L' } } as unknown as PhaseEnv, 'create').replace(
    /[^/]+$/,
    '',
);
const SECRET_ARN = (name: string) => `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${name}`;
const BOOTSTRAP_ARN = SECRET_ARN(`${BOOTSTRAP_PREFIX}*`);
const RECORD_ARN = `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${RECORD_PREFIX}*`;
const sub = (v: unknown) => (v && typeof v === 'object' && 'Fn::Sub' in v ? (v as { 'Fn::Sub': unknown })['Fn::Sub'] : v);
const resources = (s: Statement) => ([] as unknown[]).concat(s.Resource).map(sub);

const byType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const statementsOf = (r: Resource) =>
    ((r.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement);

test('the examples folder holds the templates the README names', () => {
    expect(EXAMPLES).toEqual(
        expect.arrayContaining(['key-store.yaml', 'resource-role.yaml', 'client-instance-role.yaml', 'stackset.yaml', 'stackset-account.yaml']),
    );
});

describe.each(EXAMPLES)('examples/%s', (file) => {
    const t = loadTemplate(join('examples', file));

    test('parses, and every Ref, GetAtt and ${} names a parameter, resource or pseudo parameter it has', () => {
        expect(Object.keys(t.Resources).length).toBeGreaterThan(0);
        const known = new Set([...Object.keys(t.Parameters ?? {}), ...Object.keys(t.Resources)]);
        const { refs, getAtts } = references(t);
        const unknown = [...refs, ...getAtts.map(([r]) => r), ...subNames(t).map((n) => n.split('.')[0])].filter(
            (n) => !known.has(n) && !n.startsWith('AWS::'),
        );
        expect(unknown).toEqual([]);
    });

    const stores = Object.entries(t.Resources).filter(([, r]) => isRegisteredType(r.Type));
    if (stores.length === 0) return;

    test('the registered type: only schema properties, none read-only, every required one, literals valid', () => {
        const ajv = new Ajv({ strict: false });
        for (const [, r] of stores) {
            const props = r.Properties ?? {};
            expect(Object.keys(props).filter((n) => !(n in SCHEMA.properties) || READ_ONLY.includes(n))).toEqual([]);
            expect(SCHEMA.required.filter((n) => !(n in props))).toEqual([]);
            for (const [name, value] of Object.entries(props)) {
                if (typeof value === 'object') continue; // an intrinsic function
                expect({ name, valid: ajv.validate(SCHEMA.properties[name], value) }).toEqual({ name, valid: true });
            }
        }
    });

    test('the registered type: kept on stack deletion and replacement, and GetAtt reads only read-only properties', () => {
        for (const [, r] of stores) expect([r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
        const names = new Set(stores.map(([n]) => n));
        for (const [res, att] of references(t).getAtts) if (names.has(res)) expect(READ_ONLY).toContain(att);
    });
});

/** The checks every execution role of the registered type must pass. */
function checkExecutionRole(role: Resource, caParameter: string) {
    const trust = (role.Properties?.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ Effect: 'Allow', Principal: { Service: 'resources.cloudformation.amazonaws.com' }, Action: 'sts:AssumeRole' });
    const condition = trust[0].Condition as { StringEquals: Record<string, unknown>; StringLike: Record<string, unknown> };
    expect(condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(sub(condition.StringLike['aws:SourceArn'])).toMatch(new RegExp(`:type/resource/[A-Za-z0-9]+-${SERVICE}-${RESOURCE}/\\*$`));
    expect(role.Properties?.ManagedPolicyArns).toBeUndefined();

    const statements = statementsOf(role);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    // Exactly the union of the schema's handler permissions: nothing missing, nothing extra.
    expect([...new Set(statements.flatMap(actions))].sort()).toEqual(HANDLER_PERMISSIONS);

    const on = (action: string) => statements.filter((s) => actions(s).includes(action)).flatMap(resources);
    // The admin password is out of reach: values only of the bootstrap secrets and the CA secret.
    expect(on('secretsmanager:GetSecretValue').sort()).toEqual([BOOTSTRAP_ARN, SECRET_ARN(`\${${caParameter}}-??????`)].sort());
    for (const a of ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource']) expect(on(a)).toEqual([BOOTSTRAP_ARN]);
    for (const a of ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter']) expect(on(a)).toEqual([RECORD_ARN]);
}

test('resource-role.yaml: the trust policy cfn generate writes, exactly the handler permissions, secrets scoped', () => {
    const t = loadTemplate('examples/resource-role.yaml');
    const [[, role]] = byType(t, 'AWS::IAM::Role');
    expect(role.Properties?.MaxSessionDuration).toBe(8400);
    checkExecutionRole(role, 'CustomerCaSecretName');
    expect(t.Outputs?.ExecutionRoleArn.Value).toEqual({ 'Fn::GetAtt': 'ExecutionRole.Arn' });
});

test('client-instance-role.yaml: SSM management plus reading the admin secret and the bootstrap secrets, nothing else', () => {
    const t = loadTemplate('examples/client-instance-role.yaml');
    const [[policyName, policy]] = byType(t, 'AWS::IAM::ManagedPolicy');
    const statements = (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements.every((s) => s.Effect === 'Allow' && actions(s).join() === 'secretsmanager:GetSecretValue')).toBe(true);
    expect(statements.flatMap(resources).sort()).toEqual([BOOTSTRAP_ARN, SECRET_ARN('${AdminPasswordSecretName}-??????')].sort());
    const [[, role]] = byType(t, 'AWS::IAM::Role');
    expect((role.Properties?.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement[0].Principal).toEqual({ Service: 'ec2.amazonaws.com' });
    expect(role.Properties?.ManagedPolicyArns).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore' },
        { Ref: policyName },
    ]);
    expect(role.Properties?.Policies).toBeUndefined();
    expect(byType(t, 'AWS::IAM::InstanceProfile')).toHaveLength(1);
});

describe('the StackSets roll-out', () => {
    const admin = loadTemplate('examples/stackset.yaml');
    const account = loadTemplate('examples/stackset-account.yaml');

    test('each account registers the type from the S3 package, makes it the default, then creates the key store', () => {
        const [[versionName, version]] = byType(account, 'AWS::CloudFormation::ResourceVersion');
        const [[defaultName, defaultVersion]] = byType(account, 'AWS::CloudFormation::ResourceDefaultVersion');
        const [[, store]] = Object.entries(account.Resources).filter(([, r]) => isRegisteredType(r.Type));
        expect(version.Properties?.TypeName).toBe(store.Type);
        expect(version.Properties?.SchemaHandlerPackage).toEqual({ Ref: 'SchemaHandlerPackage' });
        expect(defaultVersion.Properties).toEqual({ TypeVersionArn: { Ref: versionName } });
        expect(store.DependsOn).toBe(defaultName);
        const roleName = (version.Properties?.ExecutionRoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
        const role = account.Resources[roleName];
        expect(role.Type).toBe('AWS::IAM::Role');
        checkExecutionRole(role, 'CustomerCaSecretName');
    });

    test('the stack set deploys that template, sets every parameter an instance overrides, and may make IAM roles', () => {
        const [[, stackSet]] = byType(admin, 'AWS::CloudFormation::StackSet');
        const p = stackSet.Properties as {
            TemplateURL: unknown;
            Capabilities: string[];
            Parameters: Array<{ ParameterKey: string }>;
            StackInstancesGroup: Array<{ DeploymentTargets: { Accounts: unknown[] }; Regions: unknown[]; ParameterOverrides: Array<{ ParameterKey: string }> }>;
        };
        expect(p.TemplateURL).toEqual({ Ref: 'AccountTemplateUrl' });
        expect(p.Capabilities).toContain('CAPABILITY_IAM');
        const accountParameters = Object.keys(account.Parameters ?? {});
        const setKeys = p.Parameters.map((x) => x.ParameterKey);
        expect(setKeys.filter((k) => !accountParameters.includes(k))).toEqual([]);
        // Parameters without a default must be set by the stack set.
        expect(accountParameters.filter((k) => account.Parameters?.[k].Default === undefined && !setKeys.includes(k))).toEqual([]);
        expect(p.StackInstancesGroup.length).toBeGreaterThanOrEqual(2);
        for (const g of p.StackInstancesGroup) {
            expect(g.DeploymentTargets.Accounts.length).toBeGreaterThan(0);
            expect(g.Regions.length).toBeGreaterThan(0);
            // An instance may override only what the stack set sets.
            expect(g.ParameterOverrides.map((o) => o.ParameterKey).filter((k) => !setKeys.includes(k))).toEqual([]);
        }
    });
});

test('npm run rename leaves the examples and the design notes alone, and keeps run-time names where it rewrites', () => {
    for (const name of ['Acme::KMS::CloudHsmKeyStore', 'Contoso::KMS::CloudHsmKeyStore']) {
        const plan = planRename(name);
        const files = plan.edits.map((e) => e.file);
        expect(files.filter((f) => f.startsWith('examples/') || f === 'docs/design.md')).toEqual([]);
        const count = (s: string) => s.split('custom-kms-cloudhsmkeystore/').length - 1;
        for (const e of plan.edits) expect({ file: e.file, prefixes: count(e.after) }).toEqual({ file: e.file, prefixes: count(e.before) });
        // The generated reference follows the rename.
        expect(plan.edits.find((e) => e.file === 'docs/README.md')?.after).toContain(`Type: ${name}`);
    }
});
