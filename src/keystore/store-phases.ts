import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { errorName } from '../aws/error-name';
import { describeConnectionError, HandlerFailure, mapAwsError, REPAIRABLE_CONNECTION_ERRORS } from '../errors';
import { connected, disconnected } from './checks';
import { backoff, fail, next, wait } from '../engine/outcomes';
import { Ctx, Outcome, Phase, PhaseEnv } from './types';

/** How long a connect or disconnect may take before the operation ends NotStabilized. */
export const CONNECT_BUDGET_SECONDS = 25 * 60;
export const DISCONNECT_BUDGET_SECONDS = 10 * 60;
/** DescribeCustomKeyStores every 5 s while connecting: well inside KMS's request quota, and a short wait after CONNECTED. */
export const CONNECT_POLL_SECONDS = 5;
/**
 * KMS is eventually consistent: "The AWS KMS API follows an eventual consistency model ... typically less than a few
 * seconds ... in some cases it can take several minutes. You might get unexpected errors, such as ... invalid state"
 * (KMS developer guide, eventual consistency). For this long after this operation's own ConnectCustomKeyStore,
 * DisconnectCustomKeyStore or UpdateCustomKeyStore (the time of the call is in the callbackContext),
 * DescribeCustomKeyStores showing the store as it was before is read as "not yet", not as the answer. The figure is
 * the handler's choice: AWS gives none; a connect KMS really dropped is reported about a minute later.
 */
export const STALE_READ_SECONDS = 60;
/** After an UpdateCustomKeyStore, ConnectCustomKeyStore waits this long, so that KMS connects with what was updated. */
export const UPDATE_SETTLE_SECONDS = 10;

type KmsCall = keyof NonNullable<Ctx['kmsCalledAt']>;

/** The context after this operation called `call` now: the time goes into the callbackContext. */
export function calledKms(env: PhaseEnv, call: KmsCall, ctx: Ctx = env.ctx): Ctx {
    return { ...ctx, kmsCalledAt: { ...ctx.kmsCalledAt, [call]: env.now() } };
}

/** Seconds since this operation last called `call`; undefined when it did not. */
function secondsSince(env: PhaseEnv, call: KmsCall): number | undefined {
    const at = env.ctx.kmsCalledAt?.[call];
    return at === undefined ? undefined : (env.now() - at) / 1000;
}

/** Inside the window after this operation's `call`: a read may still show the store as it was before it. */
export function mayBeStale(env: PhaseEnv, call: KmsCall): boolean {
    const since = secondsSince(env, call);
    return since !== undefined && since < STALE_READ_SECONDS;
}

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

/**
 * Asks KMS to connect unless the store already is (or is getting) connected; a few seconds after an update of the
 * store, so that the connect uses the updated password or cluster.
 */
export const connectStore: Phase = async (env) => {
    const id = storeIdOf(env);
    const sinceUpdate = secondsSince(env, 'update');
    if (sinceUpdate !== undefined && sinceUpdate >= 0 && sinceUpdate < UPDATE_SETTLE_SECONDS) {
        const left = Math.ceil(UPDATE_SETTLE_SECONDS - sinceUpdate);
        return wait(env.ctx, left, `Giving KMS ${left} s to take in the update of key store ${id} before connecting it.`, true);
    }
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
    return next(calledKms(env, 'connect'));
};

/**
 * Waits for CONNECTED. A FAILED connection whose kmsuser can be repaired goes to `onRepairable`
 * when the workflow has one; otherwise the operation fails with the error code's meaning and remedy.
 */
export function awaitConnected(onRepairable?: (env: PhaseEnv, code: string) => Outcome | undefined): Phase {
    return async (env) => {
        const id = storeIdOf(env);
        const store = await env.aws.kms.describeStore(id);
        const check = connected(store);
        if (check.kind === 'ready') return next(env.ctx);
        // Right after this operation's Connect, KMS may still show the store DISCONNECTED, as it was: not the answer yet.
        const stale = check.kind === 'failed' && store?.state === 'DISCONNECTED' && mayBeStale(env, 'connect');
        if (check.kind === 'pending' || stale) {
            const detail = check.kind === 'pending' ? check.detail : 'DISCONNECTED: KMS does not show the connect yet';
            if ((env.ctx.waited ?? 0) >= CONNECT_BUDGET_SECONDS) {
                return fail(
                    env.ctx,
                    HandlerErrorCode.NotStabilized,
                    `Key store ${id} was still ${detail} after ${CONNECT_BUDGET_SECONDS / 60} minutes; check the cluster's HSMs and network, then retry.`,
                );
            }
            const minutes = Math.round((env.ctx.waited ?? 0) / 60);
            // Polled inside the invocation while it has time, so SUCCESS follows CONNECTED within one poll; the
            // runner hands back IN_PROGRESS with this short delay only when the invocation's budget is spent.
            return wait(env.ctx, CONNECT_POLL_SECONDS, `Waiting for key store ${id} to connect (${detail}, ${minutes} min so far).`, true);
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

/**
 * Disconnects unless already DISCONNECTED (or on the way); a missing store counts as disconnected. Right after this
 * operation's Connect a DISCONNECTED may be the state from before it, so the disconnect is asked for anyway.
 */
export const disconnectStore: Phase = async (env) => {
    const store = await env.aws.kms.describeStore(storeIdOf(env));
    if (!store) return next(env.ctx);
    const looksDisconnected = store.state === 'DISCONNECTED' || store.state === 'DISCONNECTING';
    if (looksDisconnected && !mayBeStale(env, 'connect')) return next(env.ctx);
    try {
        await env.aws.kms.disconnect(store.id);
    } catch (err) {
        // KMS refuses a disconnect only while the store is DISCONNECTING or DISCONNECTED (KMS API reference,
        // CustomKeyStoreInvalidStateException), which is where this phase wants it, whatever an older read showed.
        if (errorName(err) !== 'CustomKeyStoreInvalidStateException') throw err;
    }
    return next(calledKms(env, 'disconnect'));
};

export const awaitDisconnected: Phase = async (env) => {
    const id = storeIdOf(env);
    const check = disconnected(await env.aws.kms.describeStore(id));
    if (check.kind === 'ready') return next(env.ctx);
    // Right after this operation's Disconnect, KMS may still show the store as it was (CONNECTED, FAILED): not the answer yet.
    if (check.kind === 'failed' && !mayBeStale(env, 'disconnect'))
        return fail(env.ctx, HandlerErrorCode.NotStabilized, `Key store ${id} did not disconnect: ${check.reason}.`);
    if ((env.ctx.waited ?? 0) >= DISCONNECT_BUDGET_SECONDS) {
        return fail(
            env.ctx,
            HandlerErrorCode.NotStabilized,
            `Key store ${id} was still DISCONNECTING after ${DISCONNECT_BUDGET_SECONDS / 60} minutes; retry later.`,
        );
    }
    return wait(env.ctx, backoff(env.ctx.attempt, [2, 5]), `Waiting for key store ${id} to disconnect.`, true);
};
