/** ensureBootstrapSecret when the request's bootstrap name is still being purged by Secrets Manager (issue 12). */
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { ensureBootstrapSecret } from '../../src/keystore/bootstrap';
import { Ctx, PhaseEnv } from '../../src/keystore/types';

const scheduled = Object.assign(new Error("You can't create this secret because a secret with this name is already scheduled for deletion."), {
    name: 'InvalidRequestException',
});

function env(secrets: { describe?: () => Promise<unknown>; create?: () => Promise<string> }, ctx: Ctx = {}): PhaseEnv {
    return {
        aws: { secrets: { describe: secrets.describe ?? (async () => undefined), create: secrets.create ?? (async () => 'arn:new') } },
        request: { clientRequestToken: 'token-1', logicalResourceId: 'KeyStore', region: 'us-east-1', awsAccountId: '111122223333' },
        desired: {},
        previous: {},
        ctx,
        log: () => undefined,
        timeLeftMs: () => 60_000,
    } as unknown as PhaseEnv;
}

const phase = ensureBootstrapSecret('create');

test('DescribeSecret shows the name scheduled for deletion: wait inline, then try again', async () => {
    const out = await phase(env({ describe: async () => ({ arn: 'arn:old', name: 'n', deleted: true }) }));
    expect(out).toMatchObject({ kind: 'wait', inline: true, seconds: 2 });
    expect(out.kind === 'wait' && out.message).toMatch(/finish deleting the earlier bootstrap secret custom-kms-cloudhsmkeystore\/kmsuser-bootstrap\//);
});

test('DescribeSecret no longer finds it but CreateSecret says the name is scheduled for deletion: wait, with backoff', async () => {
    const out = await phase(env({ create: async () => Promise.reject(scheduled) }, { attempt: 2, waited: 7 }));
    expect(out).toMatchObject({ kind: 'wait', inline: true, seconds: 10, ctx: { attempt: 3, waited: 17 } });
});

test('after five minutes of waiting: NotStabilized naming the secret and the remedy', async () => {
    const out = await phase(env({ create: async () => Promise.reject(scheduled) }, { waited: 300 }));
    expect(out).toMatchObject({ kind: 'fail', code: HandlerErrorCode.NotStabilized });
    expect(out.kind === 'fail' && out.message).toMatch(
        /kmsuser-bootstrap\/[0-9a-f]+ of this request was still scheduled for deletion.*ForceDeleteWithoutRecovery/,
    );
});

test('any other CreateSecret error is not taken for the purge', async () => {
    const other = Object.assign(new Error('You must provide either SecretString or SecretBinary.'), { name: 'InvalidRequestException' });
    await expect(phase(env({ create: async () => Promise.reject(other) }))).rejects.toBe(other);
});

test('the name free: the secret is made and its ARN kept', async () => {
    const out = await phase(env({}));
    expect(out).toMatchObject({ kind: 'next', ctx: { bootstrapSecretArn: 'arn:new' } });
});
