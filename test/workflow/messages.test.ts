/**
 * Every failure path the workflows have, run against the fakes, and each final message checked as a person
 * reads it: whole sentences (no two texts run together), nothing said twice, the cause, a remedy, the ids
 * the person needs, and within CloudFormation's length limit (src/workflow/message.ts).
 */
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { KMSUSER_FAILURES, KmsUserFailure } from '../../src/kmsuser/result';
import { compose, MESSAGE_LIMIT, sentencesOf } from '../../src/engine/message';
import { awsError, FakeAws, hsmsIn, respondWith } from '../fakes/aws';
import { checkEveryDrive } from '../fakes/checks';
import { DriveResult } from '../fakes/drive';
import { createOp, deleteOp, existingStore, stackModel, updateOp } from '../fakes/ops';
import { ADMIN_SECRET, CA_SECRET, CLUSTER, desiredProps, INSTANCE, OTHER_CLUSTER, standardWorld } from '../fakes/world';
import { count } from '../reliability/figures';

checkEveryDrive();

/** Words a sentence may start with in lower case: names of things. */
const NAMES = /^(kmsuser|cloudhsm-cli|aws |undo\d|cks-|i-|cluster-|arn:)/;
const REMEDY =
    /\b(retry|check|set|delete|use|add|install|grant|wait|remove|update|import|fix|restore|choose|free|log|disconnect|schedule|report|configure|allow|name|store|reset|request|test|omit|leave)\b/i;

/** What is wrong with a message, as a list of problems (empty: it reads well). */
export function messageProblems(m: string, ids: string[], opts: { remedy?: boolean } = {}): string[] {
    const out: string[] = [];
    if (!m.trim()) return ['empty message'];
    if (m.length > MESSAGE_LIMIT) out.push(`${m.length} characters, over ${MESSAGE_LIMIT}`);
    if (m !== compose(m)) out.push('not in composed form (run-together sentences, a missing full stop, or a repeat)');
    for (const s of sentencesOf(m)) {
        if (!/^[A-Z0-9"'(`]/.test(s) && !NAMES.test(s)) out.push(`sentence starts in lower case: "${s.slice(0, 60)}"`);
        if (!/[.!?]["')\]]?$|\.\.\.$/.test(s)) out.push(`sentence without an end: "${s.slice(-60)}"`);
    }
    if (/[a-z0-9)] (Rolled back|The rollback|Detail:|Remove it by hand|AWS said)/.test(m)) out.push('two texts run together');
    const seen = new Set<string>();
    for (const s of sentencesOf(m)) {
        const k = s
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, ' ')
            .trim();
        if (seen.has(k)) out.push(`said twice: "${s.slice(0, 60)}"`);
        seen.add(k);
    }
    const words = m
        .toLowerCase()
        .replace(/[^a-z0-9 ]+/g, ' ')
        .split(/\s+/)
        .filter(Boolean);
    const grams = new Set<string>();
    for (let i = 0; i + 8 <= words.length; i++) {
        const g = words.slice(i, i + 8).join(' ');
        if (grams.has(g)) {
            out.push(`repeats "${g}"`);
            break;
        }
        grams.add(g);
    }
    if (opts.remedy !== false && !REMEDY.test(m)) out.push('no remedy');
    for (const id of ids) if (!m.includes(id)) out.push(`does not name ${id}`);
    return out;
}

interface Case {
    name: string;
    run(aws: FakeAws): Promise<DriveResult>;
    code?: HandlerErrorCode;
    /** ids the message must name; STORE stands for the id of the store the operation made or acted on */
    ids: string[];
    success?: boolean;
}

const STORE = '<store>';
const storeOf = (aws: FakeAws, r: DriveResult) => r.model?.customKeyStoreId ?? aws.kms.all()[0]?.id ?? (aws.log.of('kms.createStore').length ? 'cks-' : '');
const C = HandlerErrorCode;
const FAILURES = Object.keys(KMSUSER_FAILURES) as KmsUserFailure[];

const cases: Case[] = [
    {
        name: 'create: no such cluster',
        code: C.InvalidRequest,
        ids: ['cluster-nosuchclust2'],
        run: (aws) => createOp(aws, desiredProps({ cloudHsmClusterId: 'cluster-nosuchclust2' })),
    },
    {
        name: 'create: a cluster with one HSM',
        code: C.InvalidRequest,
        ids: ['cluster-onehsmclus23'],
        run: (aws) => {
            aws.hsm.addCluster({ id: 'cluster-onehsmclus23', hsms: hsmsIn(['us-east-1a']) });
            return createOp(aws, desiredProps({ cloudHsmClusterId: 'cluster-onehsmclus23' }));
        },
    },
    {
        name: 'create: an uninitialised cluster',
        code: C.InvalidRequest,
        ids: ['cluster-uninitclus23'],
        run: (aws) => {
            aws.hsm.addCluster({ id: 'cluster-uninitclus23', state: 'UNINITIALIZED' });
            return createOp(aws, desiredProps({ cloudHsmClusterId: 'cluster-uninitclus23' }));
        },
    },
    {
        name: 'create: admin secret missing',
        code: C.InvalidRequest,
        ids: ['prod/nope'],
        run: (aws) => createOp(aws, desiredProps({ cloudHsmAdminPasswordSecretName: 'prod/nope' })),
    },
    {
        name: 'create: CA secret missing',
        code: C.InvalidRequest,
        ids: ['prod/no-ca'],
        run: (aws) => createOp(aws, desiredProps({ cloudHsmCustCaCertSecretName: 'prod/no-ca' })),
    },
    {
        name: 'create: CA secret not a PEM',
        code: C.InvalidRequest,
        ids: [CA_SECRET],
        run: (aws) => {
            aws.secrets.put(CA_SECRET, 'hello', { public: true });
            return createOp(aws);
        },
    },
    {
        name: 'create: unknown instance',
        code: C.InvalidRequest,
        ids: ['i-0aaaaaaaaaaaaaaaa'],
        run: (aws) => createOp(aws, desiredProps({ clientInstanceId: 'i-0aaaaaaaaaaaaaaaa' })),
    },
    {
        name: 'create: offline instance',
        code: C.InvalidRequest,
        ids: [INSTANCE],
        run: (aws) => {
            aws.ssm.addInstance(INSTANCE, 'ConnectionLost');
            return createOp(aws);
        },
    },
    {
        name: 'create: name in use',
        code: C.AlreadyExists,
        ids: ['payments-keystore'],
        run: (aws) => {
            existingStore(aws, { clusterId: OTHER_CLUSTER });
            return createOp(aws);
        },
    },
    {
        name: 'create: cluster in use',
        code: C.AlreadyExists,
        ids: [CLUSTER],
        run: (aws) => {
            existingStore(aws, { name: 'legacy' });
            return createOp(aws);
        },
    },
    {
        name: 'create: a leftover DISCONNECTED store nobody can prove',
        code: C.AlreadyExists,
        ids: [CLUSTER, 'aws kms delete-custom-key-store'],
        run: (aws) => {
            aws.kms.addStore({ name: 'left', clusterId: CLUSTER, state: 'DISCONNECTED', trustAnchor: 'x', password: 'y1234567' });
            return createOp(aws);
        },
    },
    ...FAILURES.map((f): Case => ({
        name: `create: the preflight check fails ${f}`,
        ids: [INSTANCE],
        run: (aws) => {
            aws.ssm.checkResponder = respondWith(f, `cloudhsm-cli said something about ${f.toLowerCase()} without a full stop`);
            return createOp(aws);
        },
    })),
    ...FAILURES.map((f): Case => ({
        name: `create: the kmsuser step fails ${f} after the store was made (rolled back)`,
        ids: [INSTANCE, STORE],
        run: (aws) => {
            aws.ssm.responder = respondWith(f, `a user named kmsuser (role 'crypto-user') already exists in ${CLUSTER} and AdoptExistingKmsUser is false`);
            return createOp(aws);
        },
    })),
    {
        name: 'create: the kmsuser command ends Failed with no output at all (the quoted run-together example)',
        code: C.GeneralServiceException,
        ids: [INSTANCE, STORE],
        run: (aws) => {
            aws.ssm.responder = () => ({ status: 'Failed', stdout: '', stderr: '' });
            return createOp(aws);
        },
    },
    {
        name: 'create: the preflight check never runs',
        code: C.NotStabilized,
        ids: [INSTANCE],
        run: (aws) => {
            aws.ssm.checkStallLimit = Number.POSITIVE_INFINITY;
            aws.ssm.invisiblePolls = Number.POSITIVE_INFINITY;
            return createOp(aws);
        },
    },
    ...[
        'INVALID_CREDENTIALS',
        'USER_LOCKED_OUT',
        'USER_NOT_FOUND',
        'USER_LOGGED_IN',
        'CLUSTER_NOT_FOUND',
        'INSUFFICIENT_CLOUDHSM_HSMS',
        'NETWORK_ERRORS',
        'INTERNAL_ERROR',
        'SUBNET_NOT_FOUND',
        'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET',
        'XKS_PROXY_TIMED_OUT',
    ].map((code): Case => ({
        name: `create: the connect ends FAILED ${code} (rolled back)`,
        code: C.NotStabilized,
        ids: [STORE, code],
        run: (aws) => {
            aws.kms.connectOutcomes = [code];
            return createOp(aws);
        },
    })),
    ...[
        ['kms.createStore', 'LimitExceededException', C.ServiceLimitExceeded],
        ['kms.createStore', 'CloudHsmClusterInUseException', C.AlreadyExists],
        ['kms.createStore', 'IncorrectTrustAnchorException', C.InvalidRequest],
        ['kms.createStore', 'AccessDeniedException', C.AccessDenied],
        ['kms.createStore', 'SomethingNewException', C.InternalFailure],
        ['kms.connect', 'CustomKeyStoreInvalidStateException', C.ResourceConflict],
        ['secrets.create', 'DecryptionFailure', C.AccessDenied],
        ['ssm.putParameter', 'ParameterLimitExceeded', C.ServiceLimitExceeded],
    ].map(([op, error, code]): Case => ({
        name: `create: AWS refuses ${op} with ${error}`,
        code: code as HandlerErrorCode,
        ids: [error as string],
        run: (aws) => {
            aws.inject(op as string, awsError(error as string, `the detail AWS gave about ${error}`));
            return createOp(aws);
        },
    })),
    {
        name: 'create: throttled on every try after the store exists',
        code: C.Throttling,
        ids: ['ThrottlingException'],
        run: (aws) => {
            aws.inject('ssm.sendShellScript', 'ThrottlingException', { nth: 2, times: 100 });
            return createOp(aws);
        },
    },
    {
        name: 'create: the rollback itself fails',
        code: C.NotStabilized,
        ids: [STORE, 'AccessDeniedException', 'aws kms delete-custom-key-store --custom-key-store-id', 'cloudhsm-cli user delete'],
        run: (aws) => {
            aws.kms.connectOutcomes = ['NETWORK_ERRORS'];
            aws.inject('kms.deleteStore', 'AccessDeniedException', { times: 100 });
            return createOp(aws);
        },
    },
    {
        name: 'update: no such store',
        code: C.NotFound,
        ids: ['cks-1234567890abcdef0'],
        run: (aws) => updateOp(aws, desiredProps({ customKeyStoreId: 'cks-1234567890abcdef0' }), desiredProps({ customKeyStoreId: 'cks-1234567890abcdef0' })),
    },
    {
        name: 'update: move to a cluster that does not exist',
        code: C.InvalidRequest,
        ids: ['cluster-nosuchclust2'],
        run: (aws) => {
            const previous = stackModel(existingStore(aws));
            return updateOp(aws, { ...previous, cloudHsmClusterId: 'cluster-nosuchclust2' }, previous);
        },
    },
    {
        name: 'update: move to an unrelated cluster',
        code: C.InvalidRequest,
        ids: ['CloudHsmClusterNotRelatedException'],
        run: (aws) => {
            const previous = stackModel(existingStore(aws));
            return updateOp(aws, { ...previous, cloudHsmClusterId: OTHER_CLUSTER }, previous);
        },
    },
    {
        name: 'update: rename to a name in use',
        code: C.AlreadyExists,
        ids: ['CustomKeyStoreNameInUseException'],
        run: (aws) => {
            aws.kms.addStore({ name: 'taken', clusterId: OTHER_CLUSTER, state: 'CONNECTED', trustAnchor: 'x', password: 'y1234567' });
            const previous = stackModel(existingStore(aws));
            return updateOp(aws, { ...previous, keyStoreName: 'taken' }, previous);
        },
    },
    {
        name: 'update: a FAILED store needs kmsuser repaired, and neither the request nor a record names the instance',
        code: C.InvalidRequest,
        ids: ['ClientInstanceId', 'CloudHsmAdminPasswordSecretName'],
        run: (aws) => {
            const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'USER_NOT_FOUND' } as never);
            const model = { customKeyStoreId: store.id, keyStoreName: store.name, cloudHsmClusterId: store.clusterId };
            return updateOp(aws, model, model);
        },
    },
    {
        name: 'delete: no such store',
        code: C.NotFound,
        ids: ['cks-1234567890abcdef0'],
        run: (aws) => deleteOp(aws, desiredProps({ customKeyStoreId: 'cks-1234567890abcdef0' })),
    },
    {
        name: 'delete succeeds but kmsuser stays (instance offline): the SUCCESS message',
        success: true,
        ids: [STORE, INSTANCE, 'cloudhsm-cli user delete'],
        run: (aws) => {
            const store = existingStore(aws, { state: 'CONNECTED' });
            aws.ssm.addInstance(INSTANCE, 'ConnectionLost');
            return deleteOp(aws, stackModel(store));
        },
    },
    {
        name: 'delete succeeds but kmsuser owns keys: the SUCCESS message',
        success: true,
        ids: [STORE, INSTANCE],
        run: (aws) => {
            const store = existingStore(aws);
            aws.ssm.responder = respondWith('KMSUSER_OWNS_KEYS', 'cloudhsm-cli user delete failed: user owns 2 keys');
            return deleteOp(aws, stackModel(store));
        },
    },
    {
        name: 'delete of a store with keys: the SUCCESS message',
        success: true,
        ids: [STORE],
        run: (aws) => {
            const store = existingStore(aws);
            aws.kms.addKeys(store.id, 2);
            return deleteOp(aws, stackModel(store));
        },
    },
];

describe('every failure path: the message reads as sentences, says it once, and names the cause, the remedy and the ids', () => {
    test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        const aws = standardWorld();
        const r = await c.run(aws);
        expect(r.status).toBe(c.success ? 'SUCCESS' : 'FAILED');
        if (c.code) expect(r.final.errorCode).toBe(c.code);
        const store = storeOf(aws, r);
        const ids = c.ids.map((id) => (id === STORE ? store : id)).filter(Boolean);
        const m = r.final.message ?? '';
        count('faultCases');
        if (process.env.SHOW_MESSAGES) process.stdout.write(`\n[${c.name}] ${r.final.errorCode ?? 'SUCCESS'}: ${m}\n`);
        expect({ message: m, problems: messageProblems(m, ids) }).toEqual({ message: m, problems: [] });
    });

    test('the quoted examples from the issue are fixed', () => {
        const m = compose(
            "Check the instance's SSM agent and its output.",
            'the kmsuser script printed no KMSUSER_RESULT line; no output at all',
            'Rolled back: key store cks-1 was deleted.',
        );
        expect(m).toBe(
            "Check the instance's SSM agent and its output. The kmsuser script printed no KMSUSER_RESULT line; no output at all. Rolled back: key store cks-1 was deleted.",
        );
        expect(compose('Detail: a user named kmsuser already exists and AdoptExistingKmsUser is false', 'Rolled back: x.')).toBe(
            'Detail: a user named kmsuser already exists and AdoptExistingKmsUser is false. Rolled back: x.',
        );
        expect(compose('Same sentence.', 'same sentence', 'Other.')).toBe('Same sentence. Other.');
        const exists = KMSUSER_FAILURES.KMSUSER_EXISTS.remedy;
        expect(exists).not.toMatch(/already exists/);
    });

    test('the checker itself finds run-together texts, repeats, missing ids and over-long messages', () => {
        expect(messageProblems('no output at all Rolled back: key store cks-1 was deleted.', [])).toEqual(expect.arrayContaining(['two texts run together']));
        expect(
            messageProblems('A crypto user named kmsuser already exists in the cluster. A crypto user named kmsuser already exists in the cluster.', []),
        ).not.toEqual([]);
        expect(messageProblems('Retry.', ['cks-123'])).toEqual(['does not name cks-123']);
        expect(compose('x'.repeat(3000)).length).toBeLessThanOrEqual(MESSAGE_LIMIT);
        expect(messageProblems(`Retry. ${'y'.repeat(1100)}`, [])).toEqual(expect.arrayContaining([expect.stringMatching(/over 1024/)]));
        expect(ADMIN_SECRET).toBeDefined();
    });
});
