import {
    CreateSecretCommand,
    DeleteSecretCommand,
    DescribeSecretCommand,
    GetSecretValueCommand,
    InvalidRequestException,
    ResourceExistsException,
    ResourceNotFoundException,
    SecretsManagerClient,
    SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsAdapter } from '../../src/aws/secrets';

const smMock = mockClient(SecretsManagerClient);
const sm = new SecretsAdapter(new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } }));
const md = { $metadata: {} };
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kmsuser-a1b2c3';

beforeEach(() => smMock.reset());
afterAll(() => smMock.restore());

describe('SecretsAdapter.describe', () => {
    it('sends DescribeSecret with SecretId and returns plain metadata', async () => {
        smMock.on(DescribeSecretCommand).resolves({ ARN, Name: 'kmsuser', CreatedDate: new Date(0), VersionIdsToStages: { v1: ['AWSCURRENT'] } });
        await expect(sm.describe('kmsuser')).resolves.toStrictEqual({ arn: ARN, name: 'kmsuser', deleted: false });
        expect(smMock.commandCalls(DescribeSecretCommand).map((c) => c.args[0].input)).toStrictEqual([{ SecretId: 'kmsuser' }]);
        expect(smMock.calls()).toHaveLength(1);
    });

    it('reports a secret scheduled for deletion (DeletedDate present)', async () => {
        smMock.on(DescribeSecretCommand).resolves({ ARN, Name: 'kmsuser', DeletedDate: new Date(1700000000000) });
        await expect(sm.describe(ARN)).resolves.toStrictEqual({ arn: ARN, name: 'kmsuser', deleted: true });
    });

    it('returns the Description when there is one (the custom resource keeps its request claim there)', async () => {
        smMock.on(DescribeSecretCommand).resolves({ ARN, Name: 'claim', Description: 'handled by Lambda request abc.' });
        await expect(sm.describe('claim')).resolves.toStrictEqual({ arn: ARN, name: 'claim', deleted: false, description: 'handled by Lambda request abc.' });
    });

    it('defaults missing ARN/Name to empty strings', async () => {
        smMock.on(DescribeSecretCommand).resolves({});
        await expect(sm.describe('x')).resolves.toStrictEqual({ arn: '', name: '', deleted: false });
    });

    it('maps ResourceNotFoundException (real SDK class, and base class by name) to undefined', async () => {
        smMock
            .on(DescribeSecretCommand)
            .rejectsOnce(
                new ResourceNotFoundException({
                    message: "Secrets Manager can't find the specified secret.",
                    Message: "Secrets Manager can't find the specified secret.",
                    ...md,
                }),
            )
            .rejectsOnce(new SecretsManagerServiceException({ name: 'ResourceNotFoundException', $fault: 'client', ...md }));
        await expect(sm.describe('gone')).resolves.toBeUndefined();
        await expect(sm.describe('gone')).resolves.toBeUndefined();
    });

    it('propagates other errors unchanged', async () => {
        const err = new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', ...md });
        smMock.on(DescribeSecretCommand).rejects(err);
        await expect(sm.describe('x')).rejects.toBe(err);
    });
});

describe('SecretsAdapter.getString', () => {
    it('sends GetSecretValue with only SecretId and returns SecretString', async () => {
        smMock.on(GetSecretValueCommand).resolves({ ARN, Name: 'kmsuser', SecretString: 'pem-or-password', VersionStages: ['AWSCURRENT'] });
        await expect(sm.getString(ARN)).resolves.toBe('pem-or-password');
        expect(smMock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toStrictEqual([{ SecretId: ARN }]);
    });

    it('returns undefined for a binary-only secret', async () => {
        smMock.on(GetSecretValueCommand).resolves({ ARN, SecretBinary: new Uint8Array([1, 2]) });
        await expect(sm.getString(ARN)).resolves.toBeUndefined();
    });

    it('does not swallow ResourceNotFoundException or InvalidRequestException', async () => {
        const notFound = new ResourceNotFoundException({ message: 'gone', Message: 'gone', ...md });
        const deleted = new InvalidRequestException({ message: 'marked for deletion', Message: 'marked for deletion', ...md });
        smMock.on(GetSecretValueCommand).rejectsOnce(notFound).rejectsOnce(deleted);
        await expect(sm.getString('x')).rejects.toBe(notFound);
        await expect(sm.getString('x')).rejects.toBe(deleted);
    });
});

describe('SecretsAdapter.create', () => {
    const p = { name: 'ks/kmsuser', value: '{"password":"pw"}', token: '0123456789abcdef0123456789abcdef', description: 'kmsuser of cks-1' };

    it('sends CreateSecret with Name, SecretString, ClientRequestToken, Description and the managed-by tag; returns the ARN', async () => {
        smMock.on(CreateSecretCommand).resolves({ ARN, Name: 'ks/kmsuser', VersionId: p.token });
        await expect(sm.create(p)).resolves.toBe(ARN);
        expect(smMock.commandCalls(CreateSecretCommand).map((c) => c.args[0].input)).toStrictEqual([
            {
                Name: 'ks/kmsuser',
                SecretString: '{"password":"pw"}',
                ClientRequestToken: '0123456789abcdef0123456789abcdef',
                Description: 'kmsuser of cks-1',
                Tags: [{ Key: 'managed-by', Value: 'Custom::KMS::CloudHsmKeyStore' }],
            },
        ]);
    });

    it('returns an empty string when no ARN comes back', async () => {
        smMock.on(CreateSecretCommand).resolves({});
        await expect(sm.create(p)).resolves.toBe('');
    });

    it('propagates ResourceExistsException unchanged', async () => {
        const err = new ResourceExistsException({ message: 'exists', Message: 'exists', ...md });
        smMock.on(CreateSecretCommand).rejects(err);
        await expect(sm.create(p)).rejects.toBe(err);
    });
});

describe('SecretsAdapter.forceDelete', () => {
    it('sends DeleteSecret with ForceDeleteWithoutRecovery true and no RecoveryWindowInDays', async () => {
        smMock.on(DeleteSecretCommand).resolves({ ARN, Name: 'kmsuser', DeletionDate: new Date() });
        await expect(sm.forceDelete(ARN)).resolves.toBeUndefined();
        expect(smMock.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toStrictEqual([{ SecretId: ARN, ForceDeleteWithoutRecovery: true }]);
    });

    it('treats ResourceNotFoundException (real SDK class, and base class by name) as done', async () => {
        smMock
            .on(DeleteSecretCommand)
            .rejectsOnce(new ResourceNotFoundException({ message: 'gone', Message: 'gone', ...md }))
            .rejectsOnce(new SecretsManagerServiceException({ name: 'ResourceNotFoundException', $fault: 'client', ...md }));
        await expect(sm.forceDelete('gone')).resolves.toBeUndefined();
        await expect(sm.forceDelete('gone')).resolves.toBeUndefined();
    });

    it('propagates other errors unchanged', async () => {
        const err = new InvalidRequestException({ message: 'nope', Message: 'nope', ...md });
        smMock.on(DeleteSecretCommand).rejects(err);
        await expect(sm.forceDelete('x')).rejects.toBe(err);
    });
});

describe('SecretsAdapter.scheduleDelete', () => {
    it('sends DeleteSecret with the recovery window, and treats a missing secret as done', async () => {
        smMock
            .on(DeleteSecretCommand)
            .resolvesOnce({ ARN, Name: 'claim', DeletionDate: new Date() })
            .rejectsOnce(new ResourceNotFoundException({ message: 'gone', Message: 'gone', ...md }));
        await expect(sm.scheduleDelete('claim', 7)).resolves.toBeUndefined();
        await expect(sm.scheduleDelete('claim', 7)).resolves.toBeUndefined();
        expect(smMock.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toStrictEqual([
            { SecretId: 'claim', RecoveryWindowInDays: 7 },
            { SecretId: 'claim', RecoveryWindowInDays: 7 },
        ]);
    });

    it('propagates other errors unchanged', async () => {
        const err = new InvalidRequestException({ message: 'nope', Message: 'nope', ...md });
        smMock.on(DeleteSecretCommand).rejects(err);
        await expect(sm.scheduleDelete('x', 7)).rejects.toBe(err);
    });
});
