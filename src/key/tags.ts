import { KeyTag } from '../aws/kms';
import { RequestInfo } from '../engine/types';

/**
 * The tags a key carries: the stack's tags, which CloudFormation passes to the handlers of a stack's resources for a
 * taggable type to apply (HandlerRequest stackTags; the schema declares tagging with tagOnCreate and tagUpdatable),
 * and the template's Tags, which win where both name a key. Without a stack (Cloud Control, `cfn test`), the
 * template's alone.
 */
export function wantedTags(own: readonly KeyTag[] | undefined, request: RequestInfo): KeyTag[] {
    const mine = own ?? [];
    const fromStack = Object.entries(request.stackTags ?? {})
        .filter(([key]) => !mine.some((t) => t.key === key))
        .map(([key, value]) => ({ key, value }));
    return [...fromStack, ...mine];
}

/**
 * The Tags a key's model shows: its tags without those that are only the stack's, the template's first and in the
 * template's order. A create or update must return the template's Tags as they were given (the handler contract:
 * every property that is neither read-only nor write-only equals the input), and the stack's own tags belong to
 * the stack. A request without stack tags (Cloud Control, `cfn test`) shows every tag the key has.
 */
export function modelTags(tags: readonly KeyTag[], own: readonly KeyTag[] | undefined, request: RequestInfo): KeyTag[] {
    const stack = request.stackTags ?? {};
    const named = new Set((own ?? []).map((t) => t.key));
    const shown = tags.filter((t) => named.has(t.key) || !(t.key in stack));
    const order = (t: KeyTag) => {
        const i = (own ?? []).findIndex((o) => o.key === t.key);
        return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    return shown
        .map((t, i) => ({ t, i }))
        .sort((a, b) => order(a.t) - order(b.t) || a.i - b.i)
        .map(({ t }) => t);
}
