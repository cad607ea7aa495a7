import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { errorName } from '../aws/error-name';
import { describeConnectionError, HandlerFailure, mapAwsError, REPAIRABLE_CONNECTION_ERRORS } from '../errors';
import { connected, disconnected } from './checks';
import { backoff, fail, next, wait } from '../engine/outcomes';
import { Outcome, Phase, PhaseEnv } from './types';

/** How long a connect or disconnect may take before the operation ends NotStabilized. */
export const CONNECT_BUDGET_SECONDS = 25 * 60;
export const DISCONNECT_BUDGET_SECONDS = 10 * 60;
/** DescribeCustomKeyStores every 5 s while connecting: well inside KMS's request quota, and a short wait after CONNECTED. */
export const CONNECT_POLL_SECONDS = 5;

export function storeIdOf(env: PhaseEnv): string {
    const id = env.ctx.storeId ?? env.desired.customKeyStoreId ?? env.previous.customKeyStoreId;
    if (!id)
        throw new HandlerFailure(
            HandlerErrorCode.NotFound,
            'The request carries no CustomKeyStoreId, so there is no key store to act on; name the key store by its CustomKeyStoreId (cks-...).',
        );
    return id;
}

/** What ConnectCustomKeyStore answers at once, leaving the store DISCONNECTED, about its cluster (KMS API reference). */
const QUICK_CONNECT_ERRORS = new Set(['CloudHsmClusterNotActiveException', 'CloudHsmClusterInvalidConfigurationException']);

/** Asks KMS to connect unless the store already is (or is getting) connected. */
export const connectStore: Phase = async (env) => {
    const id = storeIdOf(env);
    const store = await env.aws.kms.describeStore(id);
    if (!store) return fail(env.ctx, HandlerErrorCode.NotFound, `Key store ${id} no longer exists.`);
    if (store.state === 'DISCONNECTING') return wait(env.ctx, 5, `Key store ${id} is DISCONNECTING; connecting once it has settled.`, true);
    if (store.state !== 'DISCONNECTED') return next(env.ctx);
    try {
        await env.aws.kms.connect(id);
    } catch (err) {
        if (!QUICK_CONNECT_ERRORS.has(errorName(err))) throw err;
        const m = mapAwsError(err, `Connecting key store ${id} to CloudHSM cluster ${store.clusterId}`);
        return fail(env.ctx, m.code, `${m.message} The key store is DISCONNECTED.`);
    }
    return next(env.ctx);
};

/**
 * Waits for CONNECTED. A FAILED connection whose kmsuser can be repaired goes to `onRepairable`
 * when the workflow has one; otherwise the operation fails with the error code's meaning and remedy.
 */
export function awaitConnected(onRepairable?: (env: PhaseEnv, code: string) => Outcome | undefined): Phase {
    return async (env) => {
        const id = storeIdOf(env);
        const check = connected(await env.aws.kms.describeStore(id));
        if (check.kind === 'ready') return next(env.ctx);
        if (check.kind === 'pending') {
            if ((env.ctx.waited ?? 0) >= CONNECT_BUDGET_SECONDS) {
                return fail(
                    env.ctx,
                    HandlerErrorCode.NotStabilized,
                    `Key store ${id} was still ${check.detail} after ${CONNECT_BUDGET_SECONDS / 60} minutes; check the cluster's HSMs and network, then retry.`,
                );
            }
            const minutes = Math.round((env.ctx.waited ?? 0) / 60);
            // Polled inside the invocation while it has time, so SUCCESS follows CONNECTED within one poll; the
            // runner hands back IN_PROGRESS with this short delay only when the invocation's budget is spent.
            return wait(env.ctx, CONNECT_POLL_SECONDS, `Waiting for key store ${id} to connect (${check.detail}, ${minutes} min so far).`, true);
        }
        const code = check.connectionErrorCode;
        if (code && REPAIRABLE_CONNECTION_ERRORS.has(code) && onRepairable) {
            const outcome = onRepairable(env, code);
            if (outcome) return outcome;
        }
        if (check.reason === 'FAILED') return fail(env.ctx, HandlerErrorCode.NotStabilized, describeConnectionError(id, code));
        return fail(env.ctx, HandlerErrorCode.NotStabilized, `Key store ${id} did not connect: ${check.reason}.`);
    };
}

/** Disconnects unless already DISCONNECTED (or on the way); a missing store counts as disconnected. */
export const disconnectStore: Phase = async (env) => {
    const store = await env.aws.kms.describeStore(storeIdOf(env));
    if (store && store.state !== 'DISCONNECTED' && store.state !== 'DISCONNECTING') await env.aws.kms.disconnect(store.id);
    return next(env.ctx);
};

export const awaitDisconnected: Phase = async (env) => {
    const id = storeIdOf(env);
    const check = disconnected(await env.aws.kms.describeStore(id));
    if (check.kind === 'ready') return next(env.ctx);
    if (check.kind === 'failed') return fail(env.ctx, HandlerErrorCode.NotStabilized, `Key store ${id} did not disconnect: ${check.reason}.`);
    if ((env.ctx.waited ?? 0) >= DISCONNECT_BUDGET_SECONDS) {
        return fail(
            env.ctx,
            HandlerErrorCode.NotStabilized,
            `Key store ${id} was still DISCONNECTING after ${DISCONNECT_BUDGET_SECONDS / 60} minutes; retry later.`,
        );
    }
    return wait(env.ctx, backoff(env.ctx.attempt, [2, 5]), `Waiting for key store ${id} to disconnect.`, true);
};
