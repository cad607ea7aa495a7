import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { HandlerFailure } from '../errors';
import { deleteBootstrapSecret, ensureBootstrapSecret, readBootstrapPassword } from './bootstrap';
import { requestDigest } from '../engine/hash';
import { awaitKmsUserCommand, kmsUserLeftBehind, sendKmsUserCommand } from './kmsuser-phases';
import { fail, next, wait, withNote } from '../engine/outcomes';
import { readStore } from './read';
import { createDigest, forgetRecord, saveRecord, writeRecord } from './record-phases';
import { awaitConnected, awaitDisconnected, calledKms, connectStore, disconnectStore } from './store-phases';
import { skipUnless } from '../engine/outcomes';
import { keyStoreKind } from './kind';
import { Phase, PhaseEnv, Workflow } from './types';
import { checkInstanceOnline, checkSecretExists, checkShapes, Problem, readTrustAnchor, summarize } from './validate';
import { preflightCluster } from '../cluster/network';
import { desiredStateOf } from './record';
import { errorName } from '../aws/error-name';
import { KeyStore } from '../aws/kms';
import { Leftover, leftoverProblem, ownLeftover, recordOf, withKeyCounts } from './leftover';

/** The name used when the template gives none: stable for the request, unique across stacks. */
export function keyStoreNameOf(env: PhaseEnv): string {
    if (env.desired.keyStoreName) return env.desired.keyStoreName;
    const logical = env.request.logicalResourceId.slice(0, 200) || 'KeyStore';
    return `${logical}-${requestDigest(env.request.clientRequestToken, env.request.logicalResourceId).slice(0, 12)}`;
}

/**
 * Everything that can be checked before anything is made. A DISCONNECTED store on our cluster is resumed
 * when this type's record proves an earlier attempt of this same resource made it (a lost response), and
 * reported with the ways out otherwise (./leftover.ts). This very request's own store (its record names the
 * request, or it has our name and no record yet: made just before a crash) is left to CreateCustomKeyStore's
 * idempotency, which returns its id only for the same name, cluster, trust anchor and password.
 */
const validate: Phase = async (env) => {
    const d = env.desired;
    const malformed = summarize(checkShapes(d));
    if (malformed) return fail(env.ctx, malformed.code, malformed.message);
    const name = keyStoreNameOf(env);
    const clusterId = d.cloudHsmClusterId ?? '';
    const problems: Problem[] = [];
    const sameName = await env.aws.kms.describeStoreByName(name);
    const stores = new Map<string, KeyStore>((sameName ? [sameName] : []).map((s) => [s.id, s]));
    for (const s of await storesOnCluster(env, clusterId)) stores.set(s.id, s);
    const candidates: Leftover[] = [];
    for (const s of stores.values()) {
        if (s.clusterId === clusterId && s.state === 'DISCONNECTED') {
            const record = await recordOf(env, s.id);
            // this very request's store (a replayed invocation), or one with our name made just before its record
            const ours = record ? record.createdBy === createDigest(env) : s.name === name;
            if (!ours) candidates.push({ store: s, record });
        } else if (s.name === name) {
            problems.push({
                code: HandlerErrorCode.AlreadyExists,
                message: `KeyStoreName ${name}: custom key store ${s.id} already has this name; choose another name.`,
            });
        } else {
            problems.push({
                code: HandlerErrorCode.AlreadyExists,
                message: `CloudHsmClusterId ${clusterId}: the cluster is already associated with custom key store ${s.id} (${s.state}); a cluster serves one key store, so use another cluster.`,
            });
        }
    }
    const leftovers = await withKeyCounts(env, candidates);
    const own = ownLeftover(env, leftovers);
    if (!own) problems.push(...leftovers.map((l) => leftoverProblem(env, l)));
    const caMissing = await checkSecretExists(env.aws, 'CloudHsmCustCaCertSecretName', d.cloudHsmCustCaCertSecretName);
    const anchor = caMissing.length ? undefined : await readTrustAnchor(env.aws, d.cloudHsmCustCaCertSecretName ?? '');
    // the cluster and its network, all of it, in seconds: nothing is made for a cluster KMS cannot connect to
    problems.push(
        ...(await preflightCluster(env.aws, clusterId, {
            trustAnchor: anchor?.pem,
            trustAnchorSource: `the CA in CloudHsmCustCaCertSecretName ${d.cloudHsmCustCaCertSecretName}`,
        })),
    );
    problems.push(...(await checkSecretExists(env.aws, 'CloudHsmAdminPasswordSecretName', d.cloudHsmAdminPasswordSecretName)));
    problems.push(...caMissing);
    if (anchor) problems.push(...anchor.problems);
    problems.push(...(await checkInstanceOnline(env.aws, d.clientInstanceId)));
    const problem = summarize(problems);
    if (problem) return fail(env.ctx, problem.code, problem.message);
    if (!own) return next(env.ctx);
    const ctx = withNote(
        env.ctx,
        `Resumed key store ${own.store.id}, which an earlier attempt of this resource made (its record names this stack and logical id).`,
    );
    return next({
        ...ctx,
        storeId: own.store.id,
        resumed: true,
        kmsUser: own.record?.kmsUser === 'CREATED' ? 'CREATED' : undefined,
        staleSecretArn: own.record?.bootstrapSecretArn,
    });
};

async function storesOnCluster(env: PhaseEnv, clusterId: string): Promise<KeyStore[]> {
    const found: KeyStore[] = [];
    let marker: string | undefined;
    do {
        const page = await env.aws.kms.listStores(marker);
        found.push(...page.stores.filter((s) => s.clusterId === clusterId));
        marker = page.next;
    } while (marker);
    return found;
}

/** The store is made before kmsuser so that every IN_PROGRESS event can carry its id. */
const createStore: Phase = async (env) => {
    if (env.ctx.storeId) return next(env.ctx);
    const trustAnchor = (await readTrustAnchor(env.aws, env.desired.cloudHsmCustCaCertSecretName ?? '')).pem;
    if (!trustAnchor) throw new HandlerFailure(HandlerErrorCode.InvalidRequest, 'The trust anchor secret changed during the create; retry.');
    const name = keyStoreNameOf(env);
    let id: string;
    try {
        id = await env.aws.kms.createStore({ name, clusterId: env.desired.cloudHsmClusterId ?? '', trustAnchor, password: await readBootstrapPassword(env) });
    } catch (err) {
        // the DISCONNECTED store with our name was not this request's after all
        const store = errorName(err) === 'CustomKeyStoreNameInUseException' ? await env.aws.kms.describeStoreByName(name) : undefined;
        if (!store) throw err;
        const [leftover] = await withKeyCounts(env, [{ store, record: await recordOf(env, store.id) }]);
        const problem = leftoverProblem(env, leftover);
        return fail(env.ctx, problem.code, problem.message);
    }
    // Recorded before the id is returned: from here on a delete by identifier alone can clean up.
    await saveRecord(env, id);
    return wait({ ...env.ctx, storeId: id }, 1, `Created key store ${id}; next: kmsuser on the cluster.`);
};

/** The earlier attempt's bootstrap secret, if it is still there: its password is no use to anyone now. */
const deleteStaleSecret: Phase = async (env) => {
    const arn = env.ctx.staleSecretArn;
    if (arn && arn !== env.ctx.bootstrapSecretArn) await env.aws.secrets.forceDelete(arn);
    return next({ ...env.ctx, staleSecretArn: undefined });
};

/** A resumed store holds the password of the attempt that made it: KMS is told this attempt's (it is DISCONNECTED). */
const resumePassword: Phase = async (env) => {
    await env.aws.kms.update(env.ctx.storeId ?? '', { password: await readBootstrapPassword(env) });
    return next(calledKms(env, 'update'));
};

const deleteCreatedStore: Phase = async (env) => {
    const id = env.ctx.storeId;
    if (!id) return next(env.ctx);
    const store = await env.aws.kms.describeStore(id);
    if (store) await env.aws.kms.deleteStore(id);
    return next(withNote(env.ctx, `Rolled back: key store ${id} was deleted.`));
};

/** DesiredConnectionState CONNECTED (the default): the create connects the store. */
const wantsConnected = (_: unknown, env: PhaseEnv) => desiredStateOf(env.desired.desiredConnectionState) === 'CONNECTED';

/**
 * DesiredConnectionState DISCONNECTED: the store is made, kmsuser with it, and left DISCONNECTED, as KMS leaves a new
 * store; KMS holds kmsuser's password, so a later update to CONNECTED connects it.
 */
const leftDisconnected: Phase = async (env) =>
    next(
        withNote(
            env.ctx,
            `Key store ${env.ctx.storeId} was created and left DISCONNECTED, as DesiredConnectionState asks; set DesiredConnectionState to CONNECTED to connect it.`,
        ),
    );

/** In a create, only createStore sets the id: an id in the context is a store this create made. */
const madeStore = (ctx: { storeId?: string }) => Boolean(ctx.storeId);

export const createWorkflow: Workflow = {
    name: 'create',
    kind: keyStoreKind,
    phases: [
        ['validate', validate],
        // Read-only preflight on the instance before anything is made: cloudhsm-cli there and configured, the
        // admin secret in a usable form, kmsuser free (or to be adopted). The create's kmsuser step checks again.
        ['sendCheck', sendKmsUserCommand('check')],
        ['awaitCheck', awaitKmsUserCommand({ fatal: true, withinInvocation: true })],
        ['bootstrapSecret', ensureBootstrapSecret('create')],
        ['createStore', createStore],
        ['resumePassword', skipUnless((ctx) => ctx.resumed === true, resumePassword)],
        ['sendKmsUser', sendKmsUserCommand('create')],
        ['awaitKmsUser', awaitKmsUserCommand({ fatal: true })],
        ['recordKmsUser', writeRecord],
        ['connect', skipUnless(wantsConnected, connectStore)],
        ['awaitConnected', skipUnless(wantsConnected, awaitConnected())],
        ['leftDisconnected', skipUnless((_, env) => !wantsConnected(_, env), leftDisconnected)],
        ['deleteBootstrapSecret', deleteBootstrapSecret],
        ['deleteStaleSecret', deleteStaleSecret],
    ],
    rollback: [
        ['rollbackDisconnect', skipUnless(madeStore, disconnectStore)],
        ['rollbackAwaitDisconnected', skipUnless(madeStore, awaitDisconnected)],
        ['rollbackDeleteStore', skipUnless(madeStore, deleteCreatedStore)],
        ['rollbackSendKmsUser', skipUnless((ctx) => ctx.kmsUser === 'CREATED', sendKmsUserCommand('rollback'))],
        ['rollbackAwaitKmsUser', skipUnless((ctx) => ctx.command?.purpose === 'rollback', awaitKmsUserCommand({ fatal: false }))],
        ['rollbackBootstrapSecret', deleteBootstrapSecret],
        ['rollbackStaleSecret', deleteStaleSecret],
        ['rollbackRecord', skipUnless(madeStore, forgetRecord)],
    ],
    leftAfterRollback(env, ctx) {
        const parts = [];
        if (ctx.storeId)
            parts.push(
                `Key store ${ctx.storeId} may be left: once it is DISCONNECTED, delete it with aws kms delete-custom-key-store --custom-key-store-id ${ctx.storeId} --region ${env.request.region}.`,
            );
        if (ctx.kmsUser === 'CREATED') parts.push(kmsUserLeftBehind(env, 'The rollback did not get to it.'));
        return parts.join(' ') || undefined;
    },
    async finish(env, ctx) {
        const model = await readStore(env.aws.kms, ctx.storeId, env.desired.desiredConnectionState);
        if (!model) throw new HandlerFailure(HandlerErrorCode.NotFound, `Key store ${ctx.storeId} disappeared before the create finished.`);
        return model;
    },
    progressModel: (desired, ctx) => ({ ...desired, customKeyStoreId: ctx.storeId ?? desired.customKeyStoreId }),
};
