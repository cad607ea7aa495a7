import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { describeConnectionError } from '../errors';
import { backoff, fail, next, wait } from '../engine/outcomes';
import { checkCluster } from '../cluster/checks';
import { policyProblem } from './policy';
import { KeyPhase, KeyProps } from './types';

/** What a create keeps of its invocation while it waits for a CONNECTING key store inside it (it has no key id to hand back yet). */
const INLINE_RESERVE_MS = 5_000;

/** What KMS would refuse in the request, found before any call that changes something. */
export function inputProblems(d: Readonly<KeyProps>): string[] {
    const problems: string[] = [];
    const policy = policyProblem(d.keyPolicy);
    if (policy) problems.push(policy);
    const keys = (d.tags ?? []).map((t) => t.key);
    const repeated = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
    if (repeated.length) problems.push(`Tags: the tag key(s) ${repeated.join(', ')} appear more than once; a KMS key has one value per tag key.`);
    const reserved = keys.filter((k) => k.toLowerCase().startsWith('aws:'));
    if (reserved.length) problems.push(`Tags: ${reserved.join(', ')} start with aws:, which AWS reserves; rename them.`);
    if (d.keySpec && d.keySpec !== 'SYMMETRIC_DEFAULT') problems.push(`KeySpec ${d.keySpec}: keys in an AWS CloudHSM key store must be SYMMETRIC_DEFAULT.`);
    if (d.keyUsage && d.keyUsage !== 'ENCRYPT_DECRYPT') problems.push(`KeyUsage ${d.keyUsage}: keys in an AWS CloudHSM key store must be ENCRYPT_DECRYPT.`);
    if (d.enableKeyRotation)
        problems.push('EnableKeyRotation: KMS cannot rotate keys in a custom key store automatically; rotate by creating a new key and moving the alias.');
    if (d.multiRegion) problems.push('MultiRegion: keys in a custom key store cannot be multi-Region keys.');
    return problems;
}

export const checkInput: KeyPhase = async (env) => {
    const problems = inputProblems(env.desired);
    return problems.length ? fail(env.ctx, HandlerErrorCode.InvalidRequest, problems.join(' ')) : next(env.ctx);
};

/**
 * KMS creates keys only in a CONNECTED store whose cluster has two active HSMs in different Availability Zones.
 * A CONNECTING store is waited for; the wait stays inside this invocation because every IN_PROGRESS event must
 * carry the key's id, which does not exist yet.
 */
export const awaitStore: KeyPhase = async (env) => {
    const id = env.desired.customKeyStoreId;
    if (!id)
        return fail(
            env.ctx,
            HandlerErrorCode.InvalidRequest,
            'CustomKeyStoreId is required: the ID (cks-...) of the AWS CloudHSM key store to make the key in.',
        );
    const store = await env.aws.kms.describeStore(id);
    if (!store || store.type !== 'AWS_CLOUDHSM') {
        return fail(
            env.ctx,
            HandlerErrorCode.InvalidRequest,
            `CustomKeyStoreId ${id}: there is no AWS CloudHSM key store with this ID in this account and Region; check the ID (e.g. !GetAtt KeyStore.CustomKeyStoreId).`,
        );
    }
    switch (store.state) {
        case 'CONNECTED': {
            const problems = await checkCluster(env.aws, store.clusterId);
            if (problems.length)
                return fail(env.ctx, HandlerErrorCode.InvalidRequest, `Key store ${id} cannot hold new keys: ${problems.map((p) => p.message).join(' ')}`);
            return next(env.ctx);
        }
        case 'CONNECTING': {
            const seconds = backoff(env.ctx.attempt, [5, 10, 15]);
            if (seconds * 1000 + INLINE_RESERVE_MS > env.timeLeftMs()) {
                return fail(
                    env.ctx,
                    HandlerErrorCode.NotStabilized,
                    `Key store ${id} is still CONNECTING after ${env.ctx.waited ?? 0} s; KMS creates keys only in a CONNECTED key store. A connect can take up to 20 minutes: retry once aws kms describe-custom-key-stores --custom-key-store-id ${id} shows CONNECTED.`,
                );
            }
            return wait(env.ctx, seconds, `Waiting for key store ${id} to connect (CONNECTING); KMS creates keys only in a CONNECTED key store.`, true);
        }
        case 'FAILED':
            return fail(
                env.ctx,
                HandlerErrorCode.ResourceConflict,
                `${describeConnectionError(id, store.connectionErrorCode)} KMS creates keys only in a CONNECTED key store: repair it, disconnect and connect it, then retry.`,
            );
        default:
            return fail(
                env.ctx,
                HandlerErrorCode.ResourceConflict,
                `Key store ${id} is ${store.state}; KMS creates keys only in a CONNECTED key store. Connect it (aws kms connect-custom-key-store --custom-key-store-id ${id}) and wait until it is CONNECTED, then retry.`,
            );
    }
};
