import { decodeRecord, desiredStateOf, encodeRecord, KmsUserOrigin, recordName } from './record';
import { requestDigest } from '../engine/hash';
import { next } from '../engine/outcomes';
import { storeIdOf } from './store-phases';
import { Ctx, KeyStoreProps, Phase, PhaseEnv } from './types';

/** Names the request that made a store, in its record (a digest: the token itself stays out of the record). */
export const createDigest = (env: Pick<PhaseEnv, 'request'>): string => requestDigest(env.request.clientRequestToken, env.request.logicalResourceId, 'store');

/** kmsuser outcomes of this operation that say who made the user the store logs in as. */
function originOf(ctx: Readonly<Ctx>): KmsUserOrigin | undefined {
    if (ctx.kmsUser === 'CREATED') return 'CREATED';
    if (ctx.kmsUser === 'ADOPTED' || ctx.kmsUser === 'RESET') return 'ADOPTED';
    return undefined;
}

/** Writes (or rewrites) the record of a store from the operation's properties; earlier facts are kept. */
export async function saveRecord(env: PhaseEnv, storeId: string, ctx: Readonly<Ctx> = env.ctx): Promise<void> {
    const name = recordName(storeId);
    const stored = await env.aws.ssm.getParameter(name);
    const earlier = decodeRecord(stored);
    const d = env.desired;
    const value = encodeRecord({
        props: {
            clientInstanceId: d.clientInstanceId,
            cloudHsmAdminPasswordSecretName: d.cloudHsmAdminPasswordSecretName,
            cloudHsmAdminUsername: d.cloudHsmAdminUsername,
            cloudHsmCustCaCertSecretName: d.cloudHsmCustCaCertSecretName ?? earlier?.props.cloudHsmCustCaCertSecretName,
            deleteKeyStoreUponStackDeletion: d.deleteKeyStoreUponStackDeletion,
            adoptExistingKmsUser: d.adoptExistingKmsUser,
        },
        kmsUser: originOf(ctx) ?? earlier?.kmsUser,
        logicalResourceId: earlier?.logicalResourceId ?? env.request.logicalResourceId,
        stackId: earlier ? earlier.stackId : env.request.stackId,
        createdBy: earlier ? earlier.createdBy : createDigest(env),
        bootstrapSecretArn: earlier ? earlier.bootstrapSecretArn : ctx.bootstrapSecretArn,
        desiredConnectionState: desiredStateOf(d.desiredConnectionState),
    });
    if (value === stored) return;
    await env.aws.ssm.putParameter(
        name,
        value,
        `Write-only properties of KMS custom key store ${storeId} (names and ids only), kept by its CloudFormation handler.`,
    );
}

/**
 * Fills what the request lacks from the store's record: Cloud Control and `cfn test` send only the
 * identifier or the read model. A request that carries the required write-only properties is a whole
 * template (a stack operation), so an optional property it leaves out takes its default, not the record's value.
 */
export const recall: Phase = async (env) => {
    const id = storeIdOf(env);
    const d = env.desired;
    if (d.clientInstanceId && d.cloudHsmAdminPasswordSecretName) return next({ ...env.ctx, storeId: id });
    const record = decodeRecord(await env.aws.ssm.getParameter(recordName(id)));
    const recalled: Partial<KeyStoreProps> = { ...record?.props };
    return next({ ...env.ctx, storeId: id, recalled, recordFound: Boolean(record) });
};

/** Create: the record gains what the kmsuser step learnt. Update: it takes the new values. */
export const writeRecord: Phase = async (env) => {
    await saveRecord(env, storeIdOf(env));
    return next(env.ctx);
};

/** delete and rollback: the record goes last, with the store. */
export const forgetRecord: Phase = async (env) => {
    const name = env.ctx.storeId && recordName(env.ctx.storeId);
    if (name && (await env.aws.ssm.getParameter(name)) !== undefined) await env.aws.ssm.deleteParameter(name);
    return next(env.ctx);
};

/**
 * A store whose create never finished (its response lost) may still have that create's bootstrap secret,
 * named in its record: update and delete remove it if it is still there.
 */
export const deleteRecordedBootstrapSecret: Phase = async (env) => {
    const id = env.ctx.storeId ?? env.desired.customKeyStoreId;
    const arn = id ? decodeRecord(await env.aws.ssm.getParameter(recordName(id)))?.bootstrapSecretArn : undefined;
    if (arn && arn !== env.ctx.bootstrapSecretArn) {
        const info = await env.aws.secrets.describe(arn);
        if (info && !info.deleted) await env.aws.secrets.forceDelete(arn);
    }
    return next(env.ctx);
};
