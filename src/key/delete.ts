import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { done, fail, next } from '../engine/outcomes';
import { keyKind } from './props';
import { isManagedKey } from './read';
import { KeyPhase, KeyWorkflow } from './types';
import { keyIdOf } from './update';

/** As AWS::KMS::Key: PendingWindowInDays, 30 when the request does not carry it (Cloud Control and cfn test never do). */
const DEFAULT_WINDOW_DAYS = 30;

const locate: KeyPhase = async (env) => {
    const id = keyIdOf(env);
    const key = await env.aws.kms.describeKey(id);
    // A key pending deletion is gone as far as CloudFormation is concerned, so a second delete is NotFound.
    if (!isManagedKey(key))
        return fail(env.ctx, HandlerErrorCode.NotFound, `KMS key ${id} does not exist in an AWS CloudHSM key store, or is already pending deletion.`);
    return next({ ...env.ctx, keyId: id });
};

/** KMS cannot delete a key at once: it schedules the deletion, which can be cancelled until the date. */
const schedule: KeyPhase = async (env) => {
    const id = keyIdOf(env);
    const days = env.desired.pendingWindowInDays ?? DEFAULT_WINDOW_DAYS;
    const key = await env.aws.kms.describeKey(id);
    const until = await env.aws.kms.scheduleKeyDeletion(id, days);
    const when = until ? until.toISOString() : `in ${days} days`;
    return done(
        env.ctx,
        `KMS key ${id} is scheduled for deletion on ${when} (PendingWindowInDays ${days}). Until then it is PendingDeletion and still counts as a key of key store ${key?.storeId ?? env.desired.customKeyStoreId}, which cannot be deleted before that date. To keep the key: aws kms cancel-key-deletion --key-id ${id}.`,
    );
};

export const deleteKeyWorkflow: KeyWorkflow = {
    name: 'delete key',
    kind: keyKind,
    phases: [
        ['locate', locate],
        ['schedule', schedule],
    ],
    finish: async () => undefined,
    progressModel: (desired, ctx) => ({ ...desired, keyId: ctx.keyId ?? desired.keyId }),
};
