import { KeyTag } from '../aws/kms';
import { ResourceKind } from '../engine/types';
import { ResourceModel, Tag } from './models';
import { KeyProps } from './types';

const SCALARS: ReadonlyArray<keyof KeyProps> = [
    'keyId',
    'arn',
    'keyState',
    'customKeyStoreId',
    'description',
    'enabled',
    'keyPolicy',
    'bypassPolicyLockoutSafetyCheck',
    'keySpec',
    'keyUsage',
    'enableKeyRotation',
    'multiRegion',
];

/** The library hands Tags over as a Set of plain {Key, Value} objects (or Tag instances); both are read. */
function tagsOf(value: unknown): KeyTag[] | undefined {
    if (value == null) return undefined;
    const items = value instanceof Set || Array.isArray(value) ? [...value] : [];
    return items.map((t: { key?: string; Key?: string; value_?: string; Value?: string }) => ({
        key: String(t.key ?? t.Key ?? ''),
        value: String(t.value_ ?? t.Value ?? ''),
    }));
}

/** A plain, unfrozen copy of the model's set properties. */
export function keyPropsOf(model: ResourceModel | undefined | null): KeyProps {
    const out: Record<string, unknown> = {};
    for (const key of SCALARS) if (model?.[key] != null) out[key] = model[key];
    // integer properties arrive as BigInt
    if (model?.pendingWindowInDays != null) out.pendingWindowInDays = Number(model.pendingWindowInDays);
    const tags = tagsOf(model?.tags);
    if (tags) out.tags = tags;
    return out as KeyProps;
}

export const keyKind: ResourceKind<KeyProps, ResourceModel> = {
    toModel: ({ tags, ...rest }) =>
        new ResourceModel({ ...rest, ...(tags ? { tags: tags.map((t) => new Tag({ key: t.key, value_: t.value })) } : {}) } as Partial<ResourceModel>),
    identifier: (props) => props.keyId,
};
