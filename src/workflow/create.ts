import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { HandlerFailure } from '../errors';
import { deleteBootstrapSecret, ensureBootstrapSecret, readBootstrapPassword } from './bootstrap';
import { requestDigest } from './hash';
import { awaitKmsUserCommand, sendKmsUserCommand } from './kmsuser-phases';
import { fail, next, wait, withNote } from './outcomes';
import { readStore } from './read';
import { forgetRecord, saveRecord, writeRecord } from './record-phases';
import { awaitConnected, awaitDisconnected, connectStore, disconnectStore, skipUnless } from './store-phases';
import { Phase, PhaseEnv, Workflow } from './types';
import { checkCluster, checkInstanceOnline, checkSecretExists, Problem, readTrustAnchor, summarize } from './validate';

/** The name used when the template gives none: stable for the request, unique across stacks. */
export function keyStoreNameOf(env: PhaseEnv): string {
    if (env.desired.keyStoreName) return env.desired.keyStoreName;
    const logical = env.request.logicalResourceId.slice(0, 200) || 'KeyStore';
    return `${logical}-${requestDigest(env.request.clientRequestToken, env.request.logicalResourceId).slice(0, 12)}`;
}

/**
 * Everything that can be checked before anything is made. A store with our name that is DISCONNECTED on
 * our cluster may be this request's own (a retry after a crash): CreateCustomKeyStore then returns its id.
 */
const validate: Phase = async (env) => {
    const d = env.desired;
    const name = keyStoreNameOf(env);
    const clusterId = d.cloudHsmClusterId ?? '';
    const problems: Problem[] = [];
    const sameName = await env.aws.kms.describeStoreByName(name);
    if (sameName && (sameName.clusterId !== clusterId || sameName.state !== 'DISCONNECTED')) {
        problems.push({ code: HandlerErrorCode.AlreadyExists, message: `KeyStoreName ${name}: custom key store ${sameName.id} already has this name; choose another name.` });
    }
    const users = await storesUsingCluster(env, clusterId, name);
    if (users.length) {
        problems.push({ code: HandlerErrorCode.AlreadyExists, message: `CloudHsmClusterId ${clusterId}: the cluster is already associated with custom key store ${users.join(', ')}; a cluster serves one key store.` });
    }
    problems.push(...(await checkCluster(env.aws, clusterId)));
    problems.push(...(await checkSecretExists(env.aws, 'CloudHsmAdminPasswordSecretName', d.cloudHsmAdminPasswordSecretName)));
    const caMissing = await checkSecretExists(env.aws, 'CloudHsmCustCaCertSecretName', d.cloudHsmCustCaCertSecretName);
    problems.push(...caMissing);
    if (!caMissing.length) problems.push(...(await readTrustAnchor(env.aws, d.cloudHsmCustCaCertSecretName ?? '')).problems);
    problems.push(...(await checkInstanceOnline(env.aws, d.clientInstanceId)));
    const problem = summarize(problems);
    return problem ? fail(env.ctx, problem.code, problem.message) : next(env.ctx);
};

async function storesUsingCluster(env: PhaseEnv, clusterId: string, ownName: string): Promise<string[]> {
    const ids: string[] = [];
    let marker: string | undefined;
    do {
        const page = await env.aws.kms.listStores(marker);
        ids.push(...page.stores.filter((s) => s.clusterId === clusterId && s.name !== ownName).map((s) => s.id));
        marker = page.next;
    } while (marker);
    return ids;
}

/** The store is made before kmsuser so that every IN_PROGRESS event can carry its id. */
const createStore: Phase = async (env) => {
    if (env.ctx.storeId) return next(env.ctx);
    const trustAnchor = (await readTrustAnchor(env.aws, env.desired.cloudHsmCustCaCertSecretName ?? '')).pem;
    if (!trustAnchor) throw new HandlerFailure(HandlerErrorCode.InvalidRequest, 'The trust anchor secret changed during the create; retry.');
    const id = await env.aws.kms.createStore({
        name: keyStoreNameOf(env),
        clusterId: env.desired.cloudHsmClusterId ?? '',
        trustAnchor,
        password: await readBootstrapPassword(env),
    });
    // Recorded before the id is returned: from here on a delete by identifier alone can clean up.
    await saveRecord(env, id);
    return wait({ ...env.ctx, storeId: id }, 1, `Created key store ${id}; next: kmsuser on the cluster.`);
};

const deleteCreatedStore: Phase = async (env) => {
    const id = env.ctx.storeId;
    if (!id) return next(env.ctx);
    const store = await env.aws.kms.describeStore(id);
    if (store) await env.aws.kms.deleteStore(id);
    return next(withNote(env.ctx, `Rolled back: key store ${id} was deleted.`));
};

/** In a create, only createStore sets the id: an id in the context is a store this create made. */
const madeStore = (ctx: { storeId?: string }) => Boolean(ctx.storeId);

export const createWorkflow: Workflow = {
    name: 'create',
    phases: [
        ['validate', validate],
        // Read-only preflight on the instance before anything is made: cloudhsm-cli there and configured, the
        // admin secret in a usable form, kmsuser free (or to be adopted). The create's kmsuser step checks again.
        ['sendCheck', sendKmsUserCommand('check')],
        ['awaitCheck', awaitKmsUserCommand({ fatal: true, budgetSeconds: 30 })],
        ['bootstrapSecret', ensureBootstrapSecret('create')],
        ['createStore', createStore],
        ['sendKmsUser', sendKmsUserCommand('create')],
        ['awaitKmsUser', awaitKmsUserCommand({ fatal: true })],
        ['recordKmsUser', writeRecord],
        ['connect', connectStore],
        ['awaitConnected', awaitConnected()],
        ['deleteBootstrapSecret', deleteBootstrapSecret],
    ],
    rollback: [
        ['rollbackDisconnect', skipUnless(madeStore, disconnectStore)],
        ['rollbackAwaitDisconnected', skipUnless(madeStore, awaitDisconnected)],
        ['rollbackDeleteStore', skipUnless(madeStore, deleteCreatedStore)],
        ['rollbackSendKmsUser', skipUnless((ctx) => ctx.kmsUser === 'CREATED', sendKmsUserCommand('rollback'))],
        ['rollbackAwaitKmsUser', skipUnless((ctx) => ctx.command?.purpose === 'rollback', awaitKmsUserCommand({ fatal: false }))],
        ['rollbackBootstrapSecret', deleteBootstrapSecret],
        ['rollbackRecord', skipUnless(madeStore, forgetRecord)],
    ],
    async finish(env, ctx) {
        const model = await readStore(env.aws.kms, ctx.storeId);
        if (!model) throw new HandlerFailure(HandlerErrorCode.NotFound, `Key store ${ctx.storeId} disappeared before the create finished.`);
        return model;
    },
    progressModel: (desired, ctx) => ({ ...desired, customKeyStoreId: ctx.storeId ?? desired.customKeyStoreId }),
};
