import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { errorName } from '../aws/error-name';
import { mapLimit } from '../engine/concurrency';
import { isHiddenKey, KeyMembership } from '../aws/kms';
import { awaitKmsUserCommand, removeKmsUser } from './kmsuser-phases';
import { deleteRecordedBootstrapSecret, forgetRecord, recall } from './record-phases';
import { done, fail, next, wait, withNote } from '../engine/outcomes';
import { awaitConnected, awaitDisconnected, connectStore, disconnectStore, storeIdOf } from './store-phases';
import { skipUnless } from '../engine/outcomes';
import { keyStoreKind } from './kind';
import { Ctx, Phase, Workflow } from './types';

/** Leave at least this much of the invocation for the response when scanning keys. */
const SCAN_RESERVE_MS = 5_000;
/**
 * Keys described at once, and keys listed per page. KMS's default request quotas are 2,000 DescribeKey and
 * 500 ListKeys per second per account and Region (KMS developer guide, "Request quotas"; older editions gave
 * ListKeys 100), shared with every other caller in the account: 16 in flight at ~20 ms each stays near 800
 * DescribeKey a second, well inside, and a page of 1,000 keys costs one ListKeys.
 */
const DESCRIBE_CONCURRENCY = 16;
const LIST_PAGE_SIZE = 1000;

const locate: Phase = async (env) => {
    const id = storeIdOf(env);
    const store = await env.aws.kms.describeStore(id);
    if (!store || store.type !== 'AWS_CLOUDHSM') return fail(env.ctx, HandlerErrorCode.NotFound, `Key store ${id} does not exist.`);
    // kmsuser lives in the cluster the store uses now, whatever the request says
    return next({ ...env.ctx, storeId: id, recalled: { ...env.ctx.recalled, cloudHsmClusterId: store.clusterId } });
};

/**
 * ListKeys has no key-store filter, so every key is described. The scan resumes from its marker
 * in the next invocation when an account has more keys than one invocation can look at.
 */
const scanKeys: Phase = async (env) => {
    const id = storeIdOf(env);
    let scan = env.ctx.keyScan ?? { checked: 0, found: 0 };
    while (!scan.done) {
        if (env.timeLeftMs() < SCAN_RESERVE_MS) {
            return wait({ ...env.ctx, keyScan: scan }, 1, `Checking whether key store ${id} holds KMS keys (${scan.checked} keys looked at).`);
        }
        const page = await env.aws.kms.listKeys(scan.marker, LIST_PAGE_SIZE);
        const members = await mapLimit(page.keyIds, DESCRIBE_CONCURRENCY, (keyId) => env.aws.kms.keyStoreOfKey(keyId));
        const hidden = members.filter(isHiddenKey).map((k) => k.keyId);
        const keys = members.filter((k): k is KeyMembership => !!k && !isHiddenKey(k) && k.storeId === id);
        const deletions = keys.flatMap((k) => (k.deletionDate ? [k.deletionDate.getTime()] : []));
        const latestDeletion = deletions.length ? Math.max(scan.latestDeletion ?? 0, ...deletions) : scan.latestDeletion;
        scan = {
            checked: scan.checked + page.keyIds.length,
            found: scan.found + keys.length,
            pending: (scan.pending ?? 0) + deletions.length,
            latestDeletion,
            hidden: (scan.hidden ?? 0) + hidden.length,
            hiddenIds: [...(scan.hiddenIds ?? []), ...hidden].slice(0, HIDDEN_IDS_NAMED),
            marker: page.next,
            done: !page.next,
        };
    }
    const ctx = { ...env.ctx, keyScan: scan };
    // A key the handler cannot describe may be in this store: the store is kept, connected, as one with keys is.
    if (scan.found > 0) return done(ctx, [keptMessage(id, scan), hiddenNote(scan)].filter(Boolean).join(' '));
    return scan.hidden ? done(ctx, hiddenMessage(id, scan)) : next(ctx);
};

/** At most this many ids of keys DescribeKey refused are kept in the callbackContext and named in the message. */
const HIDDEN_IDS_NAMED = 5;

type HiddenScan = { hidden?: number; hiddenIds?: string[] };

function hiddenKeys(scan: HiddenScan): string {
    const ids = scan.hiddenIds ?? [];
    const more = (scan.hidden ?? 0) - ids.length;
    return `${ids.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** Which keys could not be checked and why (DescribeKey is authorized by each key's own policy), and the remedy. */
function hiddenWhy(scan: HiddenScan, so = 'any of them may be in it'): string {
    return (
        `KMS refused DescribeKey (AccessDeniedException) for ${scan.hidden} KMS key(s) in this account (${hiddenKeys(scan)}), so ${so}. ` +
        "DescribeKey is authorized by each key's own key policy: add kms:DescribeKey for this handler's execution role to those policies, " +
        'or check the keys with aws kms describe-key --key-id <key-id> as a principal their policies allow.'
    );
}

function hiddenMessage(id: string, scan: HiddenScan): string {
    return (
        `Key store ${id} was left as it is, connected, and removed from the stack only: ${hiddenWhy(scan)} ` +
        `If none shows CustomKeyStoreId ${id}, delete the key store: aws kms disconnect-custom-key-store --custom-key-store-id ${id}, then, once it is DISCONNECTED, ` +
        `aws kms delete-custom-key-store --custom-key-store-id ${id}.`
    );
}

function hiddenNote(scan: HiddenScan): string {
    return scan.hidden ? `Also, ${hiddenWhy(scan, 'it may hold more')}` : '';
}

/** KMS counts keys pending deletion until their waiting period ends, so they keep the store as any key does. */
function keptMessage(id: string, scan: { found: number; pending?: number; latestDeletion?: number }): string {
    const kept = `Key store ${id} holds ${scan.found} KMS key(s), so it was left as it is, connected, and removed from the stack only: disconnecting it would make those keys unusable.`;
    if (!scan.pending || scan.latestDeletion === undefined) return `${kept} Schedule the keys' deletion and delete the key store once they are gone.`;
    const until = new Date(scan.latestDeletion).toISOString();
    const others = scan.found - scan.pending;
    const which = others
        ? `${scan.pending} of them are pending deletion (the last until ${until}); schedule the deletion of the other ${others} too.`
        : `All of them are pending deletion, the last until ${until}.`;
    return (
        `${kept} ${which} Once they are deleted, delete the key store with: ` +
        `aws kms disconnect-custom-key-store --custom-key-store-id ${id}; then, when aws kms describe-custom-key-stores --custom-key-store-id ${id} shows DISCONNECTED, ` +
        `aws kms delete-custom-key-store --custom-key-store-id ${id}. (To keep a key instead, aws kms cancel-key-deletion --key-id <key-id> before that date.)`
    );
}

const deleteStore: Phase = async (env) => {
    const id = storeIdOf(env);
    if (env.desired.deleteKeyStoreUponStackDeletion === false) {
        return done(env.ctx, `Key store ${id} was disconnected and kept (DeleteKeyStoreUponStackDeletion is false); kmsuser was left in the cluster.`);
    }
    try {
        if (await env.aws.kms.describeStore(id)) await env.aws.kms.deleteStore(id);
    } catch (err) {
        if (errorName(err) !== 'CustomKeyStoreHasCMKsException') throw err;
        // A key was created after the scan: the store is handled as one with keys, so it is reconnected.
        return next({ ...env.ctx, keyScan: { checked: 0, found: 1, done: true } }, 'reconnect');
    }
    return next(withNote(env.ctx, `Key store ${id} was disconnected and deleted.`));
};

const finished: Phase = async (env) => done(env.ctx);

const raced = (ctx: Readonly<Ctx>) => (ctx.keyScan?.found ?? 0) > 0;

/** The keys found by the race stay unusable while the store is disconnected: a failed reconnect says so. */
const reconnect: Phase = async (env) => {
    const outcome = await connectStore(env);
    if (outcome.kind !== 'fail') return outcome;
    const id = storeIdOf(env);
    return fail(
        outcome.ctx,
        outcome.code,
        `Key store ${id} gained KMS keys while it was being deleted, so it was kept, but it could not be reconnected and its keys are unusable until it is: ${outcome.message} Once the cluster is fixed, connect the key store (ConnectCustomKeyStore ${id}), then retry the delete.`,
    );
};

const reconnected: Phase = async (env) =>
    done(
        env.ctx,
        `Key store ${storeIdOf(env)} gained KMS keys while it was being deleted, so it was reconnected and left in place; removed from the stack only.`,
    );

export const deleteWorkflow: Workflow = {
    name: 'delete',
    kind: keyStoreKind,
    phases: [
        ['recall', recall],
        ['locate', locate],
        ['scanKeys', scanKeys],
        ['disconnect', disconnectStore],
        ['awaitDisconnected', awaitDisconnected],
        ['deleteStore', deleteStore],
        ['sendKmsUser', removeKmsUser('delete')],
        ['awaitKmsUser', skipUnless((ctx) => ctx.command?.purpose === 'delete', awaitKmsUserCommand({ fatal: false }))],
        ['deleteRecordedBootstrapSecret', deleteRecordedBootstrapSecret],
        ['forgetRecord', forgetRecord],
        ['finished', finished],
        ['reconnect', skipUnless(raced, reconnect)],
        ['awaitReconnected', skipUnless(raced, awaitConnected())],
        ['reconnected', reconnected],
    ],
    finish: async () => undefined,
    progressModel: (desired, ctx) => ({ ...desired, customKeyStoreId: desired.customKeyStoreId ?? ctx.storeId }),
};
