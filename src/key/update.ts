import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { HandlerFailure } from '../errors';
import { fail, next } from '../engine/outcomes';
import { inputProblems } from './checks';
import { desiredPolicy } from './create';
import { samePolicy } from './policy';
import { keyKind } from './props';
import { allTags, isManagedKey, readKey } from './read';
import { modelTags, wantedTags } from './tags';
import { KeyEnv, KeyPhase, KeyWorkflow } from './types';

/** The key a request names: the model's KeyId, else the previous model's (Cloud Control and cfn test send it). */
export function keyIdOf(env: KeyEnv): string {
    const id = env.ctx.keyId ?? env.desired.keyId ?? env.previous.keyId;
    if (!id) throw new HandlerFailure(HandlerErrorCode.NotFound, 'The request carries no KeyId, so there is no KMS key to act on; name the key by its KeyId.');
    return id;
}

/** Every change is made in place; each phase reads the key first, so a repeated invocation changes nothing twice. */
const locate: KeyPhase = async (env) => {
    const id = keyIdOf(env);
    const key = await env.aws.kms.describeKey(id);
    if (!isManagedKey(key))
        return fail(env.ctx, HandlerErrorCode.NotFound, `KMS key ${id} does not exist in an AWS CloudHSM key store, or is pending deletion.`);
    const store = env.desired.customKeyStoreId;
    if (store && store !== key.storeId) {
        return fail(
            env.ctx,
            HandlerErrorCode.NotUpdatable,
            `CustomKeyStoreId is create-only: key ${id} is in key store ${key.storeId}, not ${store}. A new key store needs a new key (a replacement).`,
        );
    }
    const problems = inputProblems(env.desired);
    if (problems.length) return fail(env.ctx, HandlerErrorCode.InvalidRequest, problems.join(' '));
    return next({ ...env.ctx, keyId: id });
};

const description: KeyPhase = async (env) => {
    const id = keyIdOf(env);
    const want = env.desired.description ?? '';
    const key = await env.aws.kms.describeKey(id);
    if (key && key.description !== want) await env.aws.kms.updateKeyDescription(id, want);
    return next(env.ctx);
};

const policy: KeyPhase = async (env) => {
    const id = keyIdOf(env);
    const want = desiredPolicy(env);
    if (!samePolicy(await env.aws.kms.getKeyPolicy(id), want)) await env.aws.kms.putKeyPolicy(id, want, env.desired.bypassPolicyLockoutSafetyCheck);
    return next(env.ctx);
};

/**
 * While the key store is disconnected KMS reports the key Unavailable, and its Enabled flag tells nothing of
 * what the key will be once the store reconnects; EnableKey and DisableKey still apply then (KMS key-state
 * table), so the wanted state is set without looking.
 */
const enabled: KeyPhase = async (env) => {
    const id = keyIdOf(env);
    const want = env.desired.enabled ?? true;
    const key = await env.aws.kms.describeKey(id);
    const unknown = key?.state === 'Unavailable';
    if (want && (unknown || !key?.enabled)) await env.aws.kms.enableKey(id);
    if (!want && (unknown || key?.enabled)) await env.aws.kms.disableKey(id);
    return next(env.ctx);
};

/** The key's tags become the template's and the stack's (a stack tag added, changed or removed with a stack update included). */
const tags: KeyPhase = async (env) => {
    const id = keyIdOf(env);
    const want = wantedTags(env.desired.tags, env.request);
    const have = await allTags(env.aws.kms, id);
    const gone = have.filter((t) => !want.some((w) => w.key === t.key)).map((t) => t.key);
    const changed = want.filter((w) => !have.some((t) => t.key === w.key && t.value === w.value));
    if (gone.length) await env.aws.kms.untagResource(id, gone);
    if (changed.length) await env.aws.kms.tagResource(id, changed);
    return next(env.ctx);
};

export const updateKeyWorkflow: KeyWorkflow = {
    name: 'update key',
    kind: keyKind,
    phases: [
        ['locate', locate],
        ['description', description],
        ['policy', policy],
        ['enabled', enabled],
        ['tags', tags],
    ],
    async finish(env, ctx) {
        const model = await readKey(env.aws.kms, ctx.keyId);
        if (!model) throw new HandlerFailure(HandlerErrorCode.NotFound, `KMS key ${ctx.keyId} disappeared during the update.`);
        return { ...model, tags: modelTags(model.tags ?? [], env.desired.tags, env.request) };
    },
    progressModel: (desired, ctx) => ({ ...desired, keyId: ctx.keyId ?? desired.keyId }),
};
