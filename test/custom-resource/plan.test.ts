import { HandlerErrorCode, OperationStatus, ProgressEvent } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { SecretInfo, SecretsAdapter } from '../../src/aws/secrets';
import { claimRequest, releaseClaim } from '../../src/custom-resource/claim';
import { CfnRequest } from '../../src/custom-resource/event';
import { deadlinesOf, planOf } from '../../src/custom-resource/operation';
import { toOutcome } from '../../src/custom-resource/outcome';
import { ResourceModel } from '../../src/models';
import { createWorkflow } from '../../src/keystore/create';
import { deleteWorkflow } from '../../src/keystore/delete';
import { abandon } from '../../src/engine/runner';

const props = {
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:p',
    CloudHsmClusterId: 'cluster-234567abcdefg',
    CloudHsmCustCaCertSecretName: 'ca',
    CloudHsmAdminPasswordSecretName: 'admin',
    ClientInstanceId: 'i-0123456789abcdef0',
};
const ID = 'cks-0123456789abcdef0';

function req(type: CfnRequest['RequestType'], extra: Partial<CfnRequest> = {}): CfnRequest {
    return {
        RequestType: type,
        ResponseURL: 'https://x/y?Signature=z',
        StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/s/1',
        RequestId: 'r-1',
        LogicalResourceId: 'KeyStore',
        ResourceProperties: props,
        ...extra,
    };
}

describe('planOf', () => {
    test('a Delete whose physical id is not a store id (a failed Create) succeeds at once', () => {
        expect(planOf(req('Delete', { PhysicalResourceId: 'KeyStore-CreateFailed-0123' }))).toEqual({
            kind: 'respond',
            outcome: expect.objectContaining({ status: 'SUCCESS', physicalResourceId: 'KeyStore-CreateFailed-0123' }),
        });
        expect(planOf(req('Delete', { PhysicalResourceId: ID }))).toEqual({ kind: 'run', workflow: 'delete' });
    });
    test('an Update runs the update workflow, or the create workflow when a create-only property changed', () => {
        expect(planOf(req('Update', { PhysicalResourceId: ID, OldResourceProperties: props }))).toEqual({ kind: 'run', workflow: 'update' });
        const replaced = planOf(req('Update', { PhysicalResourceId: ID, OldResourceProperties: { ...props, CloudHsmCustCaCertSecretName: 'old-ca' } }));
        expect(replaced).toEqual({ kind: 'run', workflow: 'create', note: expect.stringContaining('CloudHsmCustCaCertSecretName changed') });
    });
    test('invalid properties are answered FAILED before anything runs, keeping the physical id on an Update', () => {
        const bad = { ...props, ClientInstanceId: 'nope' };
        expect(planOf(req('Create', { ResourceProperties: bad }))).toEqual({
            kind: 'respond',
            outcome: expect.objectContaining({ status: 'FAILED', physicalResourceId: expect.stringMatching(/^KeyStore-CreateFailed-/) }),
        });
        expect(planOf(req('Update', { PhysicalResourceId: ID, ResourceProperties: bad }))).toEqual({
            kind: 'respond',
            outcome: expect.objectContaining({ status: 'FAILED', physicalResourceId: ID }),
        });
    });
});

describe('toOutcome', () => {
    const success = (model?: Partial<ResourceModel>) =>
        ProgressEvent.builder<ProgressEvent<ResourceModel>>()
            .status(OperationStatus.Success)
            .resourceModel(model ? new ResourceModel(model) : (undefined as unknown as ResourceModel))
            .build();
    const failed = (code: HandlerErrorCode) => ProgressEvent.failed<ProgressEvent<ResourceModel>>(code, 'it broke');
    test('success carries the store id and the read-only properties as Data', () => {
        const o = toOutcome(success({ customKeyStoreId: ID, connectionState: 'CONNECTED', trustAnchorCertificate: 'PEM' }), {
            request: req('Create'),
            workflow: 'create',
        });
        expect(o).toEqual({
            status: 'SUCCESS',
            physicalResourceId: ID,
            data: { CustomKeyStoreId: ID, ConnectionState: 'CONNECTED', TrustAnchorCertificate: 'PEM' },
        });
    });
    test("a failed create names a store it could not remove, so CloudFormation's Delete looks at it", () => {
        expect(toOutcome(failed(HandlerErrorCode.NotStabilized), { request: req('Create'), workflow: 'create', leftId: ID }).physicalResourceId).toBe(ID);
        expect(toOutcome(failed(HandlerErrorCode.NotStabilized), { request: req('Create'), workflow: 'create' }).physicalResourceId).toMatch(/CreateFailed/);
    });
    test('NotFound on a Delete is a success; a failed replacement keeps the old id', () => {
        expect(toOutcome(failed(HandlerErrorCode.NotFound), { request: req('Delete', { PhysicalResourceId: ID }), workflow: 'delete' })).toMatchObject({
            status: 'SUCCESS',
            physicalResourceId: ID,
        });
        expect(
            toOutcome(failed(HandlerErrorCode.AlreadyExists), {
                request: req('Update', { PhysicalResourceId: ID }),
                workflow: 'create',
                leftId: 'cks-99999999999999999',
            }),
        ).toMatchObject({ status: 'FAILED', physicalResourceId: ID, reason: expect.stringContaining('cks-99999999999999999') });
    });
});

test('deadlines: answer before the service timeout, start a rollback well before that', () => {
    expect(deadlinesOf(req('Create'), 0)).toEqual({ answer: 3_540_000, rollback: 2_940_000 });
    expect(deadlinesOf(req('Create', { ResourceProperties: { ...props, ServiceTimeout: '600' } }), 0)).toEqual({ answer: 540_000, rollback: 340_000 });
});

describe('claimRequest', () => {
    class Secrets {
        readonly items = new Map<string, SecretInfo>();
        async describe(id: string) {
            return this.items.get(id);
        }
        async create(p: { name: string; description: string }) {
            if (this.items.has(p.name)) throw Object.assign(new Error('exists'), { name: 'ResourceExistsException' });
            this.items.set(p.name, { arn: `arn:${p.name}`, name: p.name, deleted: false, description: p.description });
            return `arn:${p.name}`;
        }
        async scheduleDelete(id: string) {
            const s = this.items.get(id);
            if (s) s.deleted = true;
        }
    }
    test('the first delivery owns the request; another is a replay; a Lambda retry of the owner carries on; after the answer all are replays', async () => {
        const secrets = new Secrets() as unknown as SecretsAdapter;
        expect(await claimRequest(secrets, req('Create'), 'lambda-1')).toBe('owner');
        expect(await claimRequest(secrets, req('Create'), 'lambda-2')).toBe('replay');
        expect(await claimRequest(secrets, req('Create'), 'lambda-1')).toBe('owner');
        expect(await claimRequest(secrets, req('Create', { RequestId: 'r-2' }), 'lambda-2')).toBe('owner');
        await releaseClaim(secrets, req('Create'));
        expect(await claimRequest(secrets, req('Create'), 'lambda-1')).toBe('replay');
    });
});

describe('abandon (the runner hook for a caller whose deadline is near)', () => {
    test('starts the rollback with the failure to report, once', () => {
        const ctx = abandon(createWorkflow, { phase: 'awaitConnected', storeId: ID, attempt: 4 }, HandlerErrorCode.NotStabilized, 'late');
        expect(ctx).toMatchObject({
            phase: 'rollbackDisconnect',
            storeId: ID,
            attempt: undefined,
            failure: { code: HandlerErrorCode.NotStabilized, message: 'late' },
        });
        expect(abandon(createWorkflow, ctx, HandlerErrorCode.InternalFailure, 'again')).toEqual(ctx);
        expect(abandon(deleteWorkflow, { phase: 'scanKeys' }, HandlerErrorCode.NotStabilized, 'late')).toEqual({ phase: 'scanKeys' });
    });
});
