import { randomInt } from 'crypto';
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { requestDigest } from '../engine/hash';
import { errorMessage, errorName } from '../aws/error-name';
import { backoff, fail, next, wait } from '../engine/outcomes';
import { Outcome, Phase, PhaseEnv } from './types';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 alphanumeric characters from the crypto RNG: within KMS's 7-32 and cloudhsm-cli's rules. */
export function generatePassword(length = 32): string {
    let out = '';
    for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
    return out;
}

function digest(env: PhaseEnv, purpose: string): string {
    return requestDigest(env.request.clientRequestToken, env.request.logicalResourceId, purpose);
}

export function bootstrapSecretName(env: PhaseEnv, purpose: string): string {
    return `custom-kms-cloudhsmkeystore/kmsuser-bootstrap/${digest(env, purpose).slice(0, 24)}`;
}

/**
 * The short-lived secret that carries kmsuser's first password to the client instance. It is found
 * by its request-derived name before one is made, so a retry never makes a second.
 */
export function ensureBootstrapSecret(purpose: string): Phase {
    return async (env) => {
        if (env.ctx.bootstrapSecretArn) return next(env.ctx);
        const name = bootstrapSecretName(env, purpose);
        const existing = await env.aws.secrets.describe(name);
        if (existing?.deleted) return awaitNameFree(env, name);
        if (existing) return next({ ...env.ctx, bootstrapSecretArn: existing.arn });
        try {
            const arn = await env.aws.secrets.create({
                name,
                value: generatePassword(),
                token: digest(env, `${purpose}:token`).slice(0, 64),
                description: `Bootstrap password of kmsuser for KMS custom key store ${env.request.logicalResourceId}; deleted by the handler once KMS has rotated it.`,
            });
            return next({ ...env.ctx, bootstrapSecretArn: arn });
        } catch (err) {
            if (errorName(err) === 'InvalidRequestException' && /scheduled for deletion/i.test(errorMessage(err))) return awaitNameFree(env, name);
            throw err;
        }
    };
}

/** How long a name this request force-deleted (a rollback) may take to become free again. */
const NAME_FREE_BUDGET_SECONDS = 5 * 60;

/**
 * The handler deletes its bootstrap secrets without recovery, which Secrets Manager finishes in the background
 * ("there might be a short delay", DeleteSecret): until then the name is taken, so a retry of this request waits.
 */
function awaitNameFree(env: PhaseEnv, name: string): Outcome {
    if ((env.ctx.waited ?? 0) >= NAME_FREE_BUDGET_SECONDS) {
        return fail(
            env.ctx,
            HandlerErrorCode.NotStabilized,
            `The bootstrap secret ${name} of this request was still scheduled for deletion after ${NAME_FREE_BUDGET_SECONDS / 60} minutes, so it cannot be made again. Delete it with ForceDeleteWithoutRecovery (or wait for its deletion to finish), then retry the operation.`,
        );
    }
    return wait(
        env.ctx,
        backoff(env.ctx.attempt, [2, 5, 10, 15, 30]),
        `Waiting for Secrets Manager to finish deleting the earlier bootstrap secret ${name} before making it again.`,
        true,
    );
}

/** Read only to hand the password to KMS (CreateCustomKeyStore / UpdateCustomKeyStore). */
export async function readBootstrapPassword(env: PhaseEnv): Promise<string> {
    const arn = env.ctx.bootstrapSecretArn;
    if (!arn) throw new Error('no bootstrap secret in the callbackContext');
    const value = await env.aws.secrets.getString(arn);
    if (!value) throw new Error(`bootstrap secret ${arn} has no SecretString`);
    return value;
}

export const deleteBootstrapSecret: Phase = async (env) => {
    const arn = env.ctx.bootstrapSecretArn;
    if (arn) await env.aws.secrets.forceDelete(arn);
    return next({ ...env.ctx, bootstrapSecretArn: undefined });
};

/** Deletes this request's bootstrap secret: the one in the callbackContext, or else the one with its request-derived name. */
export function deleteBootstrapSecretOf(purpose: string): Phase {
    return async (env) => {
        const arn = env.ctx.bootstrapSecretArn ?? (await env.aws.secrets.describe(bootstrapSecretName(env, purpose)))?.arn;
        if (arn) await env.aws.secrets.forceDelete(arn);
        return next({ ...env.ctx, bootstrapSecretArn: undefined });
    };
}
