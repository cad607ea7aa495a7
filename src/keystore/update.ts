import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { HandlerFailure, REPAIRABLE_CONNECTION_ERRORS } from '../errors';
import { deleteBootstrapSecretOf, ensureBootstrapSecret, readBootstrapPassword } from './bootstrap';
import { awaitKmsUserCommand, sendKmsUserCommand } from './kmsuser-phases';
import { fail, next } from '../engine/outcomes';
import { readStore } from './read';
import { deleteRecordedBootstrapSecret, recall, writeRecord } from './record-phases';
import { awaitConnected, awaitDisconnected, connectStore, disconnectStore, storeIdOf } from './store-phases';
import { skipUnless } from '../engine/outcomes';
import { keyStoreKind } from './kind';
import { Ctx, Phase, UpdatePlan, Workflow } from './types';
import { checkCluster, checkInstanceOnline, checkSecretExists, Problem, summarize } from './validate';

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
    const rename = d.keyStoreName && d.keyStoreName !== store.name ? d.keyStoreName : undefined;
    const moveTo = d.cloudHsmClusterId && d.cloudHsmClusterId !== store.clusterId ? d.cloudHsmClusterId : undefined;
    const repair = store.state === 'FAILED' && REPAIRABLE_CONNECTION_ERRORS.has(store.connectionErrorCode ?? '');
    const problems: Problem[] = [];
    if (moveTo) problems.push(...(await checkCluster(env.aws, moveTo)));
    if (moveTo || repair) {
        problems.push(...(await checkInstanceOnline(env.aws, d.clientInstanceId)));
        problems.push(...(await checkSecretExists(env.aws, 'CloudHsmAdminPasswordSecretName', d.cloudHsmAdminPasswordSecretName)));
    }
    const problem = summarize(problems);
    if (problem) return fail(env.ctx, problem.code, problem.message);
    const p: UpdatePlan = { rename, moveTo, repair, disconnect: Boolean(moveTo) || repair || store.state === 'FAILED' };
    return next({ ...env.ctx, storeId: id, plan: p });
};

const rename: Phase = async (env) => {
    const id = storeIdOf(env);
    const target = env.ctx.plan?.rename;
    const store = await env.aws.kms.describeStore(id);
    if (target && store && store.name !== target) await env.aws.kms.update(id, { name: target });
    return next(env.ctx);
};

/** KMS logged in with the old password: after kmsuser's reset it must be told the new one. */
const updatePassword: Phase = async (env) => {
    await env.aws.kms.update(storeIdOf(env), { password: await readBootstrapPassword(env) });
    return next({ ...env.ctx, plan: { ...(env.ctx.plan as UpdatePlan), repairTried: true } });
};

const move: Phase = async (env) => {
    const id = storeIdOf(env);
    const target = env.ctx.plan?.moveTo;
    const store = await env.aws.kms.describeStore(id);
    if (target && store && store.clusterId !== target) await env.aws.kms.update(id, { clusterId: target });
    return next(env.ctx);
};

/** A connect that fails on kmsuser's credentials gets one repair: disconnect, reset kmsuser, reconnect. */
const repairOnce = awaitConnected((env) => {
    const p = env.ctx.plan;
    if (!p || p.repairTried) return undefined;
    return next({ ...env.ctx, plan: { ...p, repair: true, disconnect: true } }, 'disconnect');
});

const when = (pick: (p: UpdatePlan) => boolean) => (ctx: Readonly<Ctx>) => Boolean(ctx.plan && pick(ctx.plan));

export const updateWorkflow: Workflow = {
    name: 'update',
    kind: keyStoreKind,
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
        ['connect', connectStore],
        ['awaitConnected', repairOnce],
        ['deleteBootstrapSecret', deleteBootstrapSecretOf('repair')],
        ['deleteRecordedBootstrapSecret', deleteRecordedBootstrapSecret],
        ['writeRecord', writeRecord],
    ],
    rollback: [['cleanupBootstrapSecret', deleteBootstrapSecretOf('repair')]],
    async finish(env) {
        const model = await readStore(env.aws.kms, storeIdOf(env));
        if (!model) throw new HandlerFailure(HandlerErrorCode.NotFound, `Key store ${env.desired.customKeyStoreId} disappeared during the update.`);
        return model;
    },
    progressModel: (desired, ctx) => ({ ...desired, customKeyStoreId: desired.customKeyStoreId ?? ctx.storeId }),
};
