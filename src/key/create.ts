import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { HandlerFailure } from '../errors';
import { next, skipUnless, wait, withNote } from '../engine/outcomes';
import { awaitStore, checkInput } from './checks';
import { defaultKeyPolicy, policyText } from './policy';
import { keyKind } from './props';
import { readKey } from './read';
import { modelTags, wantedTags } from './tags';
import { KeyEnv, KeyPhase, KeyWorkflow } from './types';

/** KMS is eventually consistent: AWS::KMS::Key waits 15 s after CreateKey before it reads the key back. */
const PROPAGATION_SECONDS = 15;
/** The shortest waiting period KMS allows, for a key a failed create made. */
const ROLLBACK_WINDOW_DAYS = 7;

export function desiredPolicy(env: KeyEnv): string {
    return policyText(env.desired.keyPolicy ?? defaultKeyPolicy(env.request.region, env.request.awsAccountId));
}

/**
 * CreateKey has no idempotency token. So it is this invocation's last AWS call, and the key's id goes back at
 * once in an IN_PROGRESS event: a retried later invocation finds the id in its callbackContext and creates
 * nothing. A retried FIRST invocation cannot know whether an earlier attempt's CreateKey succeeded (KMS keys have
 * no client token and ListKeys no filter to find one by), so a crash in the moment between CreateKey's answer
 * and that event leaves one key in the store that the stack does not know of; it holds no data and can be
 * scheduled for deletion by hand. Everything that can be checked is checked before, so a failed check makes nothing.
 */
const createKey: KeyPhase = async (env) => {
    if (env.ctx.keyId) return next(env.ctx);
    const d = env.desired;
    const key = await env.aws.kms.createKey({
        storeId: d.customKeyStoreId ?? '',
        description: d.description,
        policy: desiredPolicy(env),
        bypassPolicyLockoutSafetyCheck: d.bypassPolicyLockoutSafetyCheck,
        tags: wantedTags(d.tags, env.request),
    });
    return wait({ ...env.ctx, keyId: key.id }, PROPAGATION_SECONDS, `Created KMS key ${key.id} in key store ${key.storeId}; waiting for KMS to propagate it.`);
};

const disableKey: KeyPhase = async (env) => {
    const id = env.ctx.keyId ?? '';
    const key = await env.aws.kms.describeKey(id);
    if (key?.enabled) await env.aws.kms.disableKey(id);
    return next(env.ctx);
};

const scheduleCreatedKey: KeyPhase = async (env) => {
    const id = env.ctx.keyId;
    if (!id) return next(env.ctx);
    const key = await env.aws.kms.describeKey(id);
    if (!key || key.state === 'PendingDeletion') return next(env.ctx);
    const until = await env.aws.kms.scheduleKeyDeletion(id, ROLLBACK_WINDOW_DAYS);
    const when = until ? ` on ${until.toISOString()}` : '';
    return next(
        withNote(
            env.ctx,
            `Rolled back: KMS key ${id} was scheduled for deletion${when} (${ROLLBACK_WINDOW_DAYS} days, the shortest waiting period KMS allows).`,
        ),
    );
};

export const createKeyWorkflow: KeyWorkflow = {
    name: 'create key',
    kind: keyKind,
    phases: [
        ['checkInput', checkInput],
        ['awaitStore', awaitStore],
        ['createKey', createKey],
        ['disable', skipUnless((_ctx, env) => env.desired.enabled === false, disableKey)],
    ],
    rollback: [['rollbackKey', scheduleCreatedKey]],
    async finish(env, ctx) {
        const model = await readKey(env.aws.kms, ctx.keyId);
        if (!model) throw new HandlerFailure(HandlerErrorCode.NotFound, `KMS key ${ctx.keyId} disappeared before the create finished.`);
        return { ...model, tags: modelTags(model.tags ?? [], env.desired.tags, env.request) };
    },
    progressModel: (desired, ctx) => ({ ...desired, keyId: ctx.keyId ?? desired.keyId }),
};
