/**
 * KMS (TrentService): what a Custom::KMS::CloudHsmKey does to a key beyond kms.ts's CreateKey/DescribeKey/
 * ScheduleKeyDeletion: key policies, description, enable/disable, tags, and the Policy/Tags members of CreateKey.
 * Key states as the KMS key-state table documents them: a PendingDeletion key can be described, its policy and
 * tags read, nothing changed (KMSInvalidStateException); an Unavailable key (its store not CONNECTED) can be
 * managed but not used.
 */
import type { Sim } from '../sim';
import type { KmsKey } from '../state';
import { AwsError, decodeToken, encodeToken, Json, page, Validator } from '../wire';
import { findKey, kmsOperations } from './kms';

type Handler = (sim: Sim, body: Json) => Json;
type Tag = { key: string; value: string };

const KEY_ID = { required: true, min: 1, max: 2048 };
const MARKER = { min: 1, max: 1024, pattern: /^[\u0020-\u00FF]*$/, patternText: '[\\u0020-\\u00FF]*' };
const POLICY = { min: 1, max: 32768 };
const MAX_TAGS = 50;

/** KMS's default key policy: the account's root user may do everything, so IAM policies decide. */
export function defaultKeyPolicy(sim: Sim): string {
    return JSON.stringify({
        Version: '2012-10-17',
        Id: 'key-default-1',
        Statement: [
            {
                Sid: 'Enable IAM User Permissions',
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${sim.config.accountId}:root` },
                Action: 'kms:*',
                Resource: '*',
            },
        ],
    });
}

function notPendingDeletion(k: KmsKey): KmsKey {
    if (k.deletionDate !== undefined) throw new AwsError('KMSInvalidStateException', `${k.arn} is pending deletion.`);
    return k;
}

/**
 * MalformedPolicyDocumentException for what is not a policy document. The lockout safety check is modelled
 * (an assumption: the simulator does not know the caller) as "some statement allows kms:* or kms:PutKeyPolicy";
 * BypassPolicyLockoutSafetyCheck skips it, as in KMS.
 */
function checkPolicy(text: string, bypass: boolean | undefined): void {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch {
        throw new AwsError('MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
    }
    const statements = (doc as { Statement?: unknown })?.Statement;
    const list = Array.isArray(statements) ? statements : statements && typeof statements === 'object' ? [statements] : [];
    if (!list.length) throw new AwsError('MalformedPolicyDocumentException', 'The key policy must contain at least one statement.');
    if (bypass) return;
    const allows = list.some((s: { Effect?: unknown; Action?: unknown }) => {
        const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
        return s.Effect === 'Allow' && actions.some((a) => a === 'kms:*' || a === '*' || a === 'kms:PutKeyPolicy');
    });
    if (!allows) throw new AwsError('MalformedPolicyDocumentException', 'The new key policy will not allow you to update the key policy in the future.');
}

/** Tags as CreateKey and TagResource take them: TagKey 1-128, TagValue 0-256, no aws: prefix, one value per key. */
function readTags(v: Validator, member: string, required: boolean): Tag[] | undefined {
    const raw = v.list<Json>(member, { required });
    if (!raw) return undefined;
    const tags: Tag[] = raw.map((t, i) => ({
        key: v.str(`${member}.${i + 1}.member.tagKey`, { required: true, min: 1, max: 128 }, t?.TagKey) ?? '',
        value: v.str(`${member}.${i + 1}.member.tagValue`, { required: true, min: 0, max: 256 }, t?.TagValue) ?? '',
    }));
    v.done();
    for (const t of tags) if (t.key.toLowerCase().startsWith('aws:')) throw new AwsError('TagException', `Tag key ${t.key} uses the reserved prefix aws:.`);
    const keys = tags.map((t) => t.key);
    // Assumed (undocumented): one request naming a tag key twice is refused rather than merged.
    if (new Set(keys).size !== keys.length) throw new AwsError('TagException', 'Duplicate tag keys in the request.');
    return tags;
}

function mergeTags(k: KmsKey, tags: Tag[]): void {
    const merged = [...(k.tags ?? []).filter((t) => !tags.some((n) => n.key === t.key)), ...tags];
    if (merged.length > MAX_TAGS) throw new AwsError('LimitExceededException', `A KMS key can have at most ${MAX_TAGS} tags.`);
    k.tags = merged;
}

/** kms.ts's CreateKey, plus the Policy, BypassPolicyLockoutSafetyCheck and Tags members, checked before anything is made. */
const CreateKey: Handler = (sim, body) => {
    const v = new Validator(body);
    const policy = v.str('Policy', POLICY);
    const bypass = v.bool('BypassPolicyLockoutSafetyCheck');
    v.done();
    const tags = readTags(v, 'Tags', false);
    if (policy !== undefined) checkPolicy(policy, bypass);
    if (tags && tags.length > MAX_TAGS) throw new AwsError('TagException', `A KMS key can have at most ${MAX_TAGS} tags.`);
    const out = kmsOperations.CreateKey(sim, body);
    const k = sim.world.keys.get(String((out.KeyMetadata as Json).KeyId));
    if (k) {
        k.policy = policy;
        k.tags = tags ?? [];
    }
    return out;
};

const GetKeyPolicy: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', KEY_ID);
    const name = v.str('PolicyName', { min: 1, max: 128, pattern: /^[\w]+$/, patternText: '[\\w]+' }) ?? 'default';
    v.done();
    const k = findKey(sim, keyId!);
    if (name !== 'default') throw new AwsError('NotFoundException', `No such policy exists: ${name}`);
    return { Policy: k.policy ?? defaultKeyPolicy(sim), PolicyName: 'default' };
};

const PutKeyPolicy: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', KEY_ID);
    const policy = v.str('Policy', { required: true, ...POLICY });
    const name = v.str('PolicyName', { min: 1, max: 128, pattern: /^[\w]+$/, patternText: '[\\w]+' }) ?? 'default';
    const bypass = v.bool('BypassPolicyLockoutSafetyCheck');
    v.done();
    const k = notPendingDeletion(findKey(sim, keyId!));
    if (name !== 'default') throw new AwsError('NotFoundException', `No such policy exists: ${name}`);
    checkPolicy(policy!, bypass);
    k.policy = policy;
    return {};
};

const UpdateKeyDescription: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', KEY_ID);
    const description = v.str('Description', { required: true, min: 0, max: 8192 });
    v.done();
    notPendingDeletion(findKey(sim, keyId!)).description = description!;
    return {};
};

const setEnabled =
    (enabled: boolean): Handler =>
    (sim, body) => {
        const v = new Validator(body);
        const keyId = v.str('KeyId', KEY_ID);
        v.done();
        // An Unavailable key takes the change; it shows once its key store is connected again.
        notPendingDeletion(findKey(sim, keyId!)).enabled = enabled;
        return {};
    };

const TagResource: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', KEY_ID);
    const tags = readTags(v, 'Tags', true) ?? [];
    mergeTags(notPendingDeletion(findKey(sim, keyId!)), tags);
    return {};
};

const UntagResource: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', KEY_ID);
    const keys = v.list<string>('TagKeys', { required: true });
    v.done();
    const k = notPendingDeletion(findKey(sim, keyId!));
    k.tags = (k.tags ?? []).filter((t) => !(keys ?? []).includes(t.key));
    return {};
};

const ListResourceTags: Handler = (sim, body) => {
    const v = new Validator(body);
    const keyId = v.str('KeyId', KEY_ID);
    const limit = v.int('Limit', { min: 1, max: 50 }) ?? 50;
    const marker = v.str('Marker', MARKER);
    v.done();
    const k = findKey(sim, keyId!);
    const start = decodeToken(
        marker,
        'InvalidMarkerException',
        'The request was rejected because the marker that specifies where pagination should next begin is not valid.',
    );
    const p = page(k.tags ?? [], start, limit);
    return {
        Tags: p.items.map((t) => ({ TagKey: t.key, TagValue: t.value })),
        ...(p.next !== undefined ? { NextMarker: encodeToken(p.next) } : {}),
        Truncated: p.next !== undefined,
    };
};

export const kmsKeyOperations: Record<string, Handler> = {
    CreateKey,
    GetKeyPolicy,
    PutKeyPolicy,
    UpdateKeyDescription,
    EnableKey: setEnabled(true),
    DisableKey: setEnabled(false),
    TagResource,
    UntagResource,
    ListResourceTags,
};
