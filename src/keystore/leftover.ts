/**
 * A DISCONNECTED store on the cluster a create wants: the leftover of an earlier create whose response was
 * lost (CloudFormation then creates again with a new request token), another stack's store being made right
 * now, or anyone's. Only this type's own record can prove it is this resource's: then the create resumes it.
 * Otherwise the create fails with what the store is and the two ways out.
 */
import { mapLimit } from '../engine/concurrency';
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { isHiddenKey, KeyStore } from '../aws/kms';
import { decodeRecord, KeyStoreRecord, madeByThisResource, recordName } from './record';
import { compose } from '../engine/message';
import { PhaseEnv } from './types';
import { Problem } from './validate';

export interface Leftover {
    store: KeyStore;
    record?: KeyStoreRecord;
    /** KMS keys in the store; undefined when the scan could not finish in this invocation, or met keys it could not describe. */
    keys?: number;
    /** Keys in the account DescribeKey refused (their key policies keep them from this handler): any may be in the store. */
    hidden?: string[];
}

/** Leave this much of the invocation when counting keys during validation. */
const SCAN_RESERVE_MS = 15_000;

export async function recordOf(env: PhaseEnv, storeId: string): Promise<KeyStoreRecord | undefined> {
    return decodeRecord(await env.aws.ssm.getParameter(recordName(storeId)));
}

/**
 * KMS keys per store (ListKeys has no key-store filter: every key is described), while the invocation's
 * time allows; stores missing from `counts` could not be checked (out of time, or a key DescribeKey refused, which
 * `hidden` names, may be in them).
 */
export async function keysIn(env: PhaseEnv, storeIds: string[]): Promise<{ counts: Map<string, number>; hidden: string[] }> {
    const counts = new Map<string, number>();
    const hidden: string[] = [];
    let marker: string | undefined;
    do {
        if (env.timeLeftMs() < SCAN_RESERVE_MS) return { counts: new Map(), hidden };
        const page = await env.aws.kms.listKeys(marker, 1000);
        const members = await mapLimit(page.keyIds, 16, (keyId) => env.aws.kms.keyStoreOfKey(keyId));
        for (const m of members) {
            if (isHiddenKey(m)) hidden.push(m.keyId);
            else if (m && storeIds.includes(m.storeId)) counts.set(m.storeId, (counts.get(m.storeId) ?? 0) + 1);
        }
        marker = page.next;
    } while (marker);
    // a store in which no key was found holds none, unless a key the handler could not describe is in it
    if (!hidden.length) for (const id of storeIds) if (!counts.has(id)) counts.set(id, 0);
    return { counts, hidden };
}

/** Fills each leftover's key count (and the keys that could not be checked). */
export async function withKeyCounts(env: PhaseEnv, leftovers: Leftover[]): Promise<Leftover[]> {
    if (!leftovers.length) return leftovers;
    const { counts, hidden } = await keysIn(
        env,
        leftovers.map((l) => l.store.id),
    );
    return leftovers.map((l) => ({ ...l, keys: counts.get(l.store.id), ...(hidden.length ? { hidden } : {}) }));
}

/** The one leftover this create may resume: empty, and its record names this stack and this logical id. */
export function ownLeftover(env: PhaseEnv, leftovers: Leftover[]): Leftover | undefined {
    const own = leftovers.filter((l) => l.keys === 0 && madeByThisResource(l.record, env.request));
    return own.length === 1 && leftovers.length === 1 ? own[0] : undefined;
}

function whose(l: Leftover): string {
    const r = l.record;
    if (r?.stackId) {
        return `The key store's record says stack ${r.stackId} made it for its resource ${r.logicalResourceId ?? '(unknown)'}; if that stack is creating it right now, wait for it and use another cluster for this key store.`;
    }
    if (r) return "This type's record of the key store names no stack, so it cannot be proven to be this resource's own and is not adopted.";
    return "This type has no record of the key store, so it cannot be proven to be this resource's own (another stack may be creating it right now) and is not adopted.";
}

/** AlreadyExists naming the store, its state, whether it holds keys, and the two ways out when it is an empty leftover. */
export function leftoverProblem(env: PhaseEnv, l: Leftover): Problem {
    const s = l.store;
    const cluster = env.desired.cloudHsmClusterId ?? s.clusterId;
    const hidden = l.keys === undefined && l.hidden?.length ? l.hidden : undefined;
    const holds =
        l.keys === 0
            ? 'holds no KMS keys'
            : hidden
              ? `may hold KMS keys: KMS refused DescribeKey (AccessDeniedException) for ${hidden.length} key(s) in the account (${hidden.slice(0, 3).join(', ')}${hidden.length > 3 ? ', ...' : ''})`
              : l.keys === undefined
                ? 'could not be checked for KMS keys in time'
                : `holds ${l.keys} KMS key(s)`;
    const deleteIt = `aws kms delete-custom-key-store --custom-key-store-id ${s.id} --region ${env.request.region}`;
    const leftoverWays = `either delete it with ${deleteIt} and retry, or import it into the stack as this resource by its CustomKeyStoreId ${s.id} (the next stack update connects it and repairs kmsuser as needed).`;
    const ways =
        s.state !== 'DISCONNECTED'
            ? 'Use another cluster, or remove that key store first.'
            : l.keys === 0
              ? `If it is a leftover of an earlier attempt that did not finish, ${leftoverWays}`
              : hidden
                ? `Those keys' policies do not give this handler kms:DescribeKey: add it for its execution role and retry, or check the keys with aws kms describe-key; if none is in ${s.id}, delete it with ${deleteIt} and retry, or import it by its CustomKeyStoreId.`
                : 'Use another cluster, or remove that key store first.';
    return {
        code: HandlerErrorCode.AlreadyExists,
        message: compose(
            `CloudHsmClusterId ${cluster}: the cluster is already associated with custom key store ${s.id} (named ${s.name}), which is ${s.state} and ${holds}; a cluster serves one key store.`,
            whose(l),
            ways,
        ),
    };
}
