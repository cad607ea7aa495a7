import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { errorName } from './error-name';

export interface SecretInfo {
    arn: string;
    name: string;
    deleted: boolean;
    description?: string;
}

export class SecretsAdapter {
    constructor(private readonly client: SecretsManagerClient) {}

    /** Metadata only: never the value. undefined when there is no such secret. */
    async describe(secretId: string): Promise<SecretInfo | undefined> {
        try {
            const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
            return {
                arn: out.ARN ?? '',
                name: out.Name ?? '',
                deleted: out.DeletedDate !== undefined,
                ...(out.Description !== undefined ? { description: out.Description } : {}),
            };
        } catch (err) {
            if (errorName(err) === 'ResourceNotFoundException') return undefined;
            throw err;
        }
    }

    async getString(secretId: string): Promise<string | undefined> {
        const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
        return out.SecretString;
    }

    async create(p: { name: string; value: string; token: string; description: string }): Promise<string> {
        const out = await this.client.send(
            new CreateSecretCommand({
                Name: p.name,
                SecretString: p.value,
                ClientRequestToken: p.token,
                Description: p.description,
                Tags: [{ Key: 'managed-by', Value: 'Custom::KMS::CloudHsmKeyStore' }],
            }),
        );
        return out.ARN ?? '';
    }

    /** Deletes at once, without a recovery window; a secret already gone is not an error. */
    async forceDelete(secretId: string): Promise<void> {
        try {
            await this.client.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
        } catch (err) {
            if (errorName(err) === 'ResourceNotFoundException') return;
            throw err;
        }
    }

    /** Deletes after a recovery window: until then the name stays taken and DescribeSecret still finds it. */
    async scheduleDelete(secretId: string, recoveryWindowInDays: number): Promise<void> {
        try {
            await this.client.send(new DeleteSecretCommand({ SecretId: secretId, RecoveryWindowInDays: recoveryWindowInDays }));
        } catch (err) {
            if (errorName(err) === 'ResourceNotFoundException') return;
            throw err;
        }
    }
}
