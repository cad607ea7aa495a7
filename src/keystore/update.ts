import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { HandlerFailure, REPAIRABLE_CONNECTION_ERRORS } from '../errors';
import { errorName } from '../aws/error-name';
import { deleteBootstrapSecretOf, ensureBootstrapSecret, readBootstrapPassword } from './bootstrap';
import { awaitKmsUserCommand, sendKmsUserCommand } from './kmsuser-phases';
import { fail, next, wait, withNote } from '../engine/outcomes';
import { readStore } from './read';
import { deleteRecordedBootstrapSecret, recall, writeRecord } from './record-phases';
import { awaitConnected, awaitDisconnected, calledKms, connectStore, disconnectStore, mayBeStale, storeIdOf } from './store-phases';
import { skipUnless } from '../engine/outcomes';
import { keyStoreKind } from './kind';
import { Ctx, Phase, UpdatePlan, Workflow } from './types';
import { checkCluster, checkInstanceOnline, checkSecretExists, Problem, summarize } from './validate';
import { preflightCluster } from '../cluster/network';
import { compose } from '../engine/message';
import { desiredStateOf } from './record';

/** Connection errors that a broken cluster network causes (KMS API reference, ConnectionErrorCode). */
const NETWORK_CONNECTION_ERRORS = new Set(['NETWORK_ERRORS', 'SUBNET_NOT_FOUND', 'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET']);

/** What a person does about a missing subnet when the key store already exists: move it to a restored cluster. */
const MOVE_REMEDY =
    "A cluster's subnets are fixed: restore a backup of it into existing subnets, and set CloudHsmClusterId to the new cluster (a related one: the update moves the key store to it).";

const plan: Phase = async (env) => {
    const id = storeIdOf(env);
    const ca = [env.previous.cloudHsmCustCaCertSecretName, env.desired.cloudHsmCustCaCertSecretName];
    if (ca[0] && ca[1] && ca[0] !== ca[1]) {
        return fail(
            env.ctx,
            HandlerErrorCode.NotUpdatable,
            `CloudHsmCustCaCertSecretName is create-only (${ca[0]} -> ${ca[1]}): a key store keeps the trust anchor it was created with. Keep the old value, or replace the resource (a new logical id) to use another CA.`,
        );
    }
    const store = await env.aws.kms.describeStore(id);
    if (!store || store.type !== 'AWS_CLOUDHSM') return fail(env.ctx, HandlerErrorCode.NotFound, `Key store ${id} does not exist.`);
    const d = env.desired;
    const connect = desiredStateOf(d.desiredConnectionState) === 'CONNECTED';
    const rename = d.keyStoreName && d.keyStoreName !== store.name ? d.keyStoreName : undefined;
    const moveTo = d.cloudHsmClusterId && d.cloudHsmClusterId !== store.clusterId ? d.cloudHsmClusterId : undefined;
    const repair = connect && store.state === 'FAILED' && REPAIRABLE_CONNECTION_ERRORS.has(store.connectionErrorCode ?? '');
    const problems: Problem[] = [];
    // KMS holds the trust anchor the store was created with: the cluster it connects to must have been signed by it
    const anchor = { trustAnchor: store.trustAnchor, trustAnchorSource: `the trust anchor of key store ${id}`, subnetRemedy: MOVE_REMEDY };
    if (moveTo) {
        // Related clusters (one restored from a backup of the other) share the customer CA that signed them.
        const unsignedMessage = `CloudHsmClusterId ${moveTo}: the cluster is not related to cluster ${store.clusterId} of key store ${id} (the key store's trust anchor did not sign its certificate), so KMS would refuse the move (CloudHsmClusterNotRelatedException). Move a key store only to a cluster made from a backup of its own cluster.`;
        problems.push(...(await preflightCluster(env.aws, moveTo, { ...anchor, unsignedMessage })));
    }
    if (moveTo || repair) {
        problems.push(...(await checkInstanceOnline(env.aws, d.clientInstanceId)));
        problems.push(...(await checkSecretExists(env.aws, 'CloudHsmAdminPasswordSecretName', d.cloudHsmAdminPasswordSecretName)));
    }
    const problem = summarize(problems);
    if (problem) return fail(env.ctx, problem.code, problem.message);
    // Before a reconnect, the same checks on the store's own cluster: a store FAILED with a network error is
    // diagnosed instead of reconnected into the same failure, and a DISCONNECTED one fails in seconds, not minutes.
    if (!moveTo && connect && store.state !== 'CONNECTED' && store.state !== 'CONNECTING') {
        const found = await preflightCluster(env.aws, store.clusterId, { ...anchor, connect: true });
        const code = store.connectionErrorCode;
        if (found.length) {
            const why =
                store.state === 'FAILED'
                    ? `Key store ${id} is FAILED (ConnectionErrorCode ${code ?? 'not given'}), and reconnecting it would fail again:`
                    : `Key store ${id} is ${store.state}, and connecting it would fail:`;
            return fail(
                env.ctx,
                HandlerErrorCode.InvalidRequest,
                compose(why, ...found.map((f) => f.message), 'Fix this, then update the stack again; the key store was left as it is.'),
            );
        }
        if (store.state === 'FAILED' && NETWORK_CONNECTION_ERRORS.has(code ?? ''))
            env.log(`update: key store ${id} is FAILED with ${code}, but the cluster's network checks found nothing wrong; reconnecting.`);
    }
    const p: UpdatePlan = {
        rename,
        moveTo,
        repair,
        connect,
        disconnect: Boolean(moveTo) || repair || store.state === 'FAILED' || (!connect && store.state !== 'DISCONNECTED'),
    };
    return next({ ...env.ctx, storeId: id, plan: p });
};

/**
 * In place, connected or not: the current KMS API reference lets a CloudHSM key store's name change while it is
 * "connected or disconnected". Older SDK documentation (.NET, CLI v1) says DISCONNECTED only; where KMS answers
 * CustomKeyStoreInvalidStateException to a CONNECTED store's rename, the update disconnects, renames and reconnects.
 */
const rename: Phase = async (env) => {
    const id = storeIdOf(env);
    const target = env.ctx.plan?.rename;
    const store = await env.aws.kms.describeStore(id);
    if (!target || !store || store.name === target) return next(env.ctx);
    try {
        await env.aws.kms.update(id, { name: target });
    } catch (err) {
        const plan = env.ctx.plan as UpdatePlan;
        if (errorName(err) !== 'CustomKeyStoreInvalidStateException' || store.state !== 'CONNECTED' || plan.disconnect) throw err;
        const note = `KMS refused to rename key store ${id} while it was CONNECTED (CustomKeyStoreInvalidStateException), so it was disconnected, renamed and connected again; its KMS keys were unavailable meanwhile.`;
        return next(withNote({ ...env.ctx, plan: { ...plan, disconnect: true } }, note), 'disconnect');
    }
    return next(calledKms(env, 'update'));
};

/** KMS logged in with the old password: after kmsuser's reset it must be told the new one. */
const updatePassword: Phase = async (env) => {
    const tried: UpdatePlan = { ...(env.ctx.plan as UpdatePlan), repairTried: true };
    try {
        await env.aws.kms.update(storeIdOf(env), { password: await readBootstrapPassword(env) });
    } catch (err) {
        // KMS takes a password only while the store is DISCONNECTED; no longer so, an earlier run of this invocation
        // (its answer lost) told KMS the password and connected the store: go on to wait for that connect.
        if (errorName(err) === 'CustomKeyStoreInvalidStateException') return next({ ...env.ctx, plan: tried });
        throw err;
    }
    return next({ ...calledKms(env, 'update'), plan: tried });
};

/**
 * UpdateCustomKeyStore needs the cluster to have "at least two active HSMs, each in a different Availability Zone" for
 * any change, a new password too (KMS API reference, CloudHsmClusterInvalidConfigurationException). A repair resets
 * kmsuser's password in the cluster and then tells KMS the new one, so the cluster is checked right before kmsuser is
 * touched: a refused second step would leave the cluster with a password KMS does not know.
 */
const repairCheckCluster: Phase = async (env) => {
    const id = storeIdOf(env);
    const store = await env.aws.kms.describeStore(id);
    const clusterId = env.ctx.plan?.moveTo ?? store?.clusterId ?? env.desired.cloudHsmClusterId ?? '';
    const problem = summarize(await checkCluster(env.aws, clusterId));
    if (!problem) return next(env.ctx);
    return fail(
        env.ctx,
        problem.code,
        compose(
            `Key store ${id} needs kmsuser's password reset (its connection failed on kmsuser's credentials), but KMS would refuse the new password:`,
            problem.message,
            `kmsuser was not touched, so its password still matches the one KMS holds; the key store is ${store?.state ?? 'as it was'}. Once the cluster has its HSMs, update the stack again.`,
        ),
    );
};

/**
 * SUCCESS carries the model read back from KMS, which may still show the name or cluster from before the update for a
 * while (eventual consistency, ./store-phases.ts): wait, inside that window, until it shows this update's.
 */
const awaitUpdated: Phase = async (env) => {
    const p = env.ctx.plan;
    if (!p?.rename && !p?.moveTo) return next(env.ctx);
    const id = storeIdOf(env);
    const store = await env.aws.kms.describeStore(id);
    const shows = !store || ((!p.rename || store.name === p.rename) && (!p.moveTo || store.clusterId === p.moveTo));
    if (shows || !mayBeStale(env, 'update')) return next(env.ctx);
    return wait(env.ctx, 2, `Waiting for KMS to show the ${p.rename ? 'new name' : 'new cluster'} of key store ${id}.`, true);
};

const move: Phase = async (env) => {
    const id = storeIdOf(env);
    const target = env.ctx.plan?.moveTo;
    const store = await env.aws.kms.describeStore(id);
    if (!target || !store || store.clusterId === target) return next(env.ctx);
    await env.aws.kms.update(id, { clusterId: target });
    return next(calledKms(env, 'update'));
};

/** A connect that fails on kmsuser's credentials gets one repair: disconnect, reset kmsuser, reconnect. */
const repairOnce = awaitConnected((env) => {
    const p = env.ctx.plan;
    if (!p || p.repairTried) return undefined;
    return next({ ...env.ctx, plan: { ...p, repair: true, disconnect: true } }, 'disconnect');
});

/**
 * DesiredConnectionState DISCONNECTED: the store stays (or was made) DISCONNECTED. That is what maintenance needs, and
 * it is allowed whatever the store holds, so the message says what it means for the store's KMS keys.
 */
const leftDisconnected: Phase = async (env) =>
    next(
        withNote(
            env.ctx,
            `Key store ${storeIdOf(env)} is DISCONNECTED, as DesiredConnectionState asks: the KMS keys in it are unusable (key state Unavailable) until it is connected again; set DesiredConnectionState to CONNECTED to connect it.`,
        ),
    );

const when = (pick: (p: UpdatePlan) => boolean) => (ctx: Readonly<Ctx>) => Boolean(ctx.plan && pick(ctx.plan));

/**
 * The update's own deadline, in minutes from its first invocation. A kmsuser repair that runs twice may wait, in its
 * phases' own budgets, twice a disconnect (10 minutes), a kmsuser command (13) and a connect (25): 96 minutes, plus
 * the time between invocations. The schema's update timeoutInMinutes (120) leaves 10 minutes past this deadline for
 * the invocation that answers, so the handler's message, saying what it waited for, always comes before
 * CloudFormation's timeout (which says nothing of it).
 */
export const UPDATE_DEADLINE_MINUTES = 110;

export const updateWorkflow: Workflow = {
    name: 'update',
    kind: keyStoreKind,
    deadlineMinutes: UPDATE_DEADLINE_MINUTES,
    phases: [
        ['recall', recall],
        ['plan', plan],
        [
            'disconnect',
            skipUnless(
                when((p) => p.disconnect),
                disconnectStore,
            ),
        ],
        [
            'awaitDisconnected',
            skipUnless(
                when((p) => p.disconnect),
                awaitDisconnected,
            ),
        ],
        // after the disconnect: KMS renames only a CONNECTED or DISCONNECTED store (not a FAILED one)
        [
            'rename',
            skipUnless(
                when((p) => Boolean(p.rename)),
                rename,
            ),
        ],
        [
            'move',
            skipUnless(
                when((p) => Boolean(p.moveTo)),
                move,
            ),
        ],
        [
            'repairCheckCluster',
            skipUnless(
                when((p) => p.repair),
                repairCheckCluster,
            ),
        ],
        [
            'repairBootstrapSecret',
            skipUnless(
                when((p) => p.repair),
                ensureBootstrapSecret('repair'),
            ),
        ],
        [
            'repairSendKmsUser',
            skipUnless(
                when((p) => p.repair),
                sendKmsUserCommand('reset'),
            ),
        ],
        [
            'repairAwaitKmsUser',
            skipUnless(
                when((p) => p.repair),
                awaitKmsUserCommand({ fatal: true }),
            ),
        ],
        [
            'repairPassword',
            skipUnless(
                when((p) => p.repair),
                updatePassword,
            ),
        ],
        [
            'connect',
            skipUnless(
                when((p) => p.connect !== false),
                connectStore,
            ),
        ],
        [
            'awaitConnected',
            skipUnless(
                when((p) => p.connect !== false),
                repairOnce,
            ),
        ],
        [
            'leftDisconnected',
            skipUnless(
                when((p) => p.connect === false),
                leftDisconnected,
            ),
        ],
        ['awaitUpdated', awaitUpdated],
        ['deleteBootstrapSecret', deleteBootstrapSecretOf('repair')],
        ['deleteRecordedBootstrapSecret', deleteRecordedBootstrapSecret],
        ['writeRecord', writeRecord],
    ],
    rollback: [['cleanupBootstrapSecret', deleteBootstrapSecretOf('repair')]],
    async finish(env) {
        const model = await readStore(env.aws.kms, storeIdOf(env), env.desired.desiredConnectionState);
        if (!model) throw new HandlerFailure(HandlerErrorCode.NotFound, `Key store ${env.desired.customKeyStoreId} disappeared during the update.`);
        return model;
    },
    progressModel: (desired, ctx) => ({ ...desired, customKeyStoreId: desired.customKeyStoreId ?? ctx.storeId }),
};
