/**
 * Secrets Manager: secrets with ARNs, versions and staging labels, ClientRequestToken
 * idempotency, and deletion (scheduled with a recovery window, or forced).
 */
import { randomUUID } from 'node:crypto';
import type { Sim } from '../sim';
import { ALNUM, randomFrom, Secret, SecretVersion } from '../state';
import { AwsError, Json, Validator } from '../wire';

type Handler = (sim: Sim, body: Json) => Json;

const NAME_RE = /^[A-Za-z0-9/_+=.@-]+$/;
const notFound = () => new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedForDeletion = () => new AwsError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");

/** Resolve a SecretId: name, full ARN, or ARN without the random suffix. Deleted (scheduled) secrets are found too. */
export function findSecret(sim: Sim, id: string): Secret | undefined {
    const list = sim.world.secrets;
    if (id.startsWith('arn:')) return list.find((s) => s.arn === id) ?? list.find((s) => s.arn.slice(0, -7) === id);
    return list.find((s) => s.name === id);
}

function mustFind(sim: Sim, id: string): Secret {
    const s = findSecret(sim, id);
    if (!s) throw notFound();
    return s;
}

const sameValue = (v: SecretVersion, str?: string, bin?: string) => v.secretString === str && v.secretBinary === bin;

/** Add a version and move the given staging labels to it (AWSCURRENT's previous holder becomes AWSPREVIOUS). */
function addVersion(sim: Sim, s: Secret, versionId: string, str: string | undefined, bin: string | undefined, stages = ['AWSCURRENT']): SecretVersion {
    const prevCurrent = s.versions.find((v) => v.stages.includes('AWSCURRENT'));
    for (const v of s.versions) v.stages = v.stages.filter((l) => !stages.includes(l));
    if (stages.includes('AWSCURRENT') && prevCurrent) {
        for (const v of s.versions) v.stages = v.stages.filter((l) => l !== 'AWSPREVIOUS');
        prevCurrent.stages.push('AWSPREVIOUS');
    }
    const v: SecretVersion = {
        versionId,
        stages: [...stages],
        createdAt: sim.now(),
        ...(str !== undefined ? { secretString: str } : {}),
        ...(bin !== undefined ? { secretBinary: bin } : {}),
    };
    s.versions.push(v);
    s.lastChangedAt = sim.now();
    return v;
}

function readValue(v: Validator): { str?: string; bin?: string } {
    const str = v.str('SecretString', { max: 65536, sensitive: true });
    const bin = v.str('SecretBinary', { max: 87384, sensitive: true });
    if (str !== undefined && bin !== undefined)
        throw new AwsError('InvalidParameterException', "You can't specify both a binary secret value and a string secret value in the same secret.");
    return { str, bin };
}

/** Create a secret (CreateSecret, and the control API). */
export function createSecret(
    sim: Sim,
    opts: {
        name: string;
        secretString?: string;
        secretBinary?: string;
        description?: string;
        kmsKeyId?: string;
        tags?: { Key: string; Value: string }[];
        token?: string;
    },
): { secret: Secret; version?: SecretVersion } {
    const { region, accountId } = sim.config;
    const now = sim.now();
    const secret: Secret = {
        name: opts.name,
        arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${opts.name}-${randomFrom(ALNUM, 6)}`,
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.kmsKeyId !== undefined ? { kmsKeyId: opts.kmsKeyId } : {}),
        tags: opts.tags ?? [],
        versions: [],
        createdAt: now,
        lastChangedAt: now,
    };
    sim.world.secrets.push(secret);
    const hasValue = opts.secretString !== undefined || opts.secretBinary !== undefined;
    const version = hasValue ? addVersion(sim, secret, opts.token ?? randomUUID(), opts.secretString, opts.secretBinary) : undefined;
    return { secret, version };
}

const CreateSecret: Handler = (sim, body) => {
    const v = new Validator(body);
    const name = v.str('Name', { required: true, min: 1, max: 512 });
    const token = v.str('ClientRequestToken', { min: 32, max: 64 });
    const description = v.str('Description', { max: 2048 });
    const kmsKeyId = v.str('KmsKeyId', { max: 2048 });
    const tags = v.list<{ Key?: unknown; Value?: unknown }>('Tags', { max: 50 });
    const { str, bin } = readValue(v);
    v.done();
    if (!NAME_RE.test(name!))
        throw new AwsError(
            'InvalidParameterException',
            'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
    for (const t of tags ?? []) {
        if (typeof t?.Key !== 'string' || typeof t.Value !== 'string' || t.Key.length < 1 || t.Key.length > 128 || t.Value.length > 256)
            throw new AwsError('InvalidParameterException', 'Invalid tag: each tag needs a Key (1-128 characters) and a Value (0-256 characters).');
    }
    const existing = sim.world.secrets.find((s) => s.name === name);
    if (existing?.deletedAt !== undefined)
        throw new AwsError('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
    if (existing) {
        const same = token !== undefined ? existing.versions.find((x) => x.versionId === token) : undefined;
        if (same && sameValue(same, str, bin)) return { ARN: existing.arn, Name: existing.name, VersionId: same.versionId };
        if (same)
            throw new AwsError(
                'ResourceExistsException',
                `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${existing.arn}.`,
            );
        throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    const { secret, version } = createSecret(sim, {
        name: name!,
        secretString: str,
        secretBinary: bin,
        description,
        kmsKeyId,
        token,
        tags: tags?.map((t) => ({ Key: t.Key as string, Value: t.Value as string })),
    });
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.versionId } : {}) };
};

const GetSecretValue: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('SecretId', { required: true, min: 1, max: 2048 });
    const versionId = v.str('VersionId', { min: 32, max: 64 });
    const stage = v.str('VersionStage', { min: 1, max: 256 });
    v.done();
    const s = mustFind(sim, id!);
    if (s.deletedAt !== undefined) throw markedForDeletion();
    const label = versionId === undefined && stage === undefined ? 'AWSCURRENT' : stage;
    const ver = s.versions.find((x) => (versionId === undefined || x.versionId === versionId) && (label === undefined || x.stages.includes(label)));
    if (!ver)
        throw new AwsError(
            'ResourceNotFoundException',
            versionId !== undefined
                ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
                : `Secrets Manager can't find the specified secret value for staging label: ${label}`,
        );
    s.lastAccessedAt = sim.now();
    return {
        ARN: s.arn,
        Name: s.name,
        VersionId: ver.versionId,
        ...(ver.secretString !== undefined ? { SecretString: ver.secretString } : {}),
        ...(ver.secretBinary !== undefined ? { SecretBinary: ver.secretBinary } : {}),
        VersionStages: [...ver.stages],
        CreatedDate: sim.epoch(ver.createdAt),
    };
};

const PutSecretValue: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('SecretId', { required: true, min: 1, max: 2048 });
    const token = v.str('ClientRequestToken', { min: 32, max: 64 });
    const stages = v.list<string>('VersionStages', { min: 1, max: 20 });
    const { str, bin } = readValue(v);
    v.done();
    if (stages?.some((x) => typeof x !== 'string')) throw new AwsError('SerializationException', 'VersionStages must be a list of strings');
    if (str === undefined && bin === undefined) throw new AwsError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
    const s = mustFind(sim, id!);
    if (s.deletedAt !== undefined) throw markedForDeletion();
    const versionId = token ?? randomUUID();
    const same = s.versions.find((x) => x.versionId === versionId);
    if (same && !sameValue(same, str, bin))
        throw new AwsError(
            'ResourceExistsException',
            `You can't use ClientRequestToken ${versionId} because that value is already in use for a version of secret ${s.arn}.`,
        );
    const ver = same ?? addVersion(sim, s, versionId, str, bin, stages ?? ['AWSCURRENT']);
    return { ARN: s.arn, Name: s.name, VersionId: ver.versionId, VersionStages: [...ver.stages] };
};

function describe(sim: Sim, s: Secret): Json {
    return {
        ARN: s.arn,
        Name: s.name,
        ...(s.description !== undefined ? { Description: s.description } : {}),
        ...(s.kmsKeyId !== undefined ? { KmsKeyId: s.kmsKeyId } : {}),
        RotationEnabled: false,
        LastChangedDate: sim.epoch(s.lastChangedAt),
        ...(s.lastAccessedAt !== undefined ? { LastAccessedDate: sim.epoch(Math.floor(s.lastAccessedAt / 86_400_000) * 86_400_000) } : {}),
        ...(s.deletedAt !== undefined ? { DeletedDate: sim.epoch(s.deletedAt) } : {}),
        ...(s.tags.length ? { Tags: s.tags.map((t) => ({ ...t })) } : {}),
        VersionIdsToStages: Object.fromEntries(s.versions.filter((x) => x.stages.length).map((x) => [x.versionId, [...x.stages]])),
        CreatedDate: sim.epoch(s.createdAt),
    };
}

const DescribeSecret: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('SecretId', { required: true, min: 1, max: 2048 });
    v.done();
    return describe(sim, mustFind(sim, id!));
};

/**
 * ForceDeleteWithoutRecovery: deletion is "an asynchronous background process, so there might be a short delay"
 * (API reference, DeleteSecret). For `secretPurgeSeconds` the secret looks like one scheduled for deletion
 * (DescribeSecret shows DeletedDate, its value cannot be read, CreateSecret of the name fails with
 * InvalidRequestException "...already scheduled for deletion."); then it is gone. How DescribeSecret answers during
 * the delay is not documented (assumed).
 */
function forceDelete(sim: Sim, s: Secret): void {
    const now = sim.now();
    if (s.purgeAt !== undefined) return;
    s.deletedAt ??= now;
    s.deletionDate = now;
    s.purgeAt = now + sim.config.secretPurgeSeconds * 1000;
    const purge = () => {
        if (s.purgeAt !== undefined) sim.world.secrets = sim.world.secrets.filter((x) => x !== s);
    };
    if (sim.config.secretPurgeSeconds > 0) sim.clock.after(sim.config.secretPurgeSeconds, purge);
    else purge();
}

const DeleteSecret: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('SecretId', { required: true, min: 1, max: 2048 });
    const windowDays = v.int('RecoveryWindowInDays');
    const force = v.bool('ForceDeleteWithoutRecovery');
    v.done();
    if (windowDays !== undefined && force)
        throw new AwsError('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    if (windowDays !== undefined && (windowDays < 7 || windowDays > 30))
        throw new AwsError('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    const s = findSecret(sim, id!);
    const now = sim.now();
    if (force) {
        if (s) forceDelete(sim, s);
        // Force-deleting a missing secret succeeds, as in AWS.
        return {
            ARN: s?.arn ?? (id!.startsWith('arn:') ? id : undefined),
            Name: s?.name ?? (id!.startsWith('arn:') ? undefined : id),
            DeletionDate: sim.epoch(now),
        };
    }
    if (!s) throw notFound();
    if (s.deletedAt !== undefined)
        throw new AwsError('InvalidRequestException', "You can't perform this operation on the secret because it was already scheduled for deletion.");
    s.deletedAt = now;
    s.deletionDate = now + (windowDays ?? 30) * 86_400_000;
    return { ARN: s.arn, Name: s.name, DeletionDate: sim.epoch(s.deletionDate) };
};

const RestoreSecret: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('SecretId', { required: true, min: 1, max: 2048 });
    v.done();
    const s = mustFind(sim, id!);
    // A force-deleted secret cannot be recovered, also while its deletion is still running (wording assumed).
    if (s.purgeAt !== undefined)
        throw new AwsError('InvalidRequestException', "You can't restore this secret because it was deleted without a recovery window.");
    delete s.deletedAt;
    delete s.deletionDate;
    return { ARN: s.arn, Name: s.name };
};

export const secretsOperations: Record<string, Handler> = {
    CreateSecret,
    GetSecretValue,
    PutSecretValue,
    DescribeSecret,
    DeleteSecret,
    RestoreSecret,
};
