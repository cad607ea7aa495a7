import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { checkEveryDrive } from '../fakes/checks';
import { createOp, deleteOp, existingStore, stackModel } from '../fakes/ops';
import { OTHER_CLUSTER, standardWorld } from '../fakes/world';

checkEveryDrive();

describe('throttling after the store exists: IN_PROGRESS, retried in a later invocation', () => {
    test.each([
        ['ssm.sendShellScript', 'sendKmsUser'],
        ['ssm.getInvocation', 'awaitKmsUser'],
        ['kms.connect', 'connect'],
        ['kms.describeStore', 'awaitConnected'],
        ['secrets.forceDelete', 'deleteBootstrapSecret'],
    ])('%s in %s', async (op, phase) => {
        const aws = standardWorld();
        // the first call of op in that phase: for describeStore, the first one after the connect; for SSM, the
        // first one after the preflight check (one SendCommand, three polls)
        const nth: Record<string, number> = { 'kms.describeStore': 3, 'ssm.sendShellScript': 2, 'ssm.getInvocation': 4 };
        aws.inject(op, 'ThrottlingException', { nth: nth[op] ?? 1 });
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        expect(aws.pendingFaults()).toBe(0);
        const throttled = r.inProgress.filter((s) => /AWS throttled/.test(s.event?.message ?? ''));
        expect(throttled).toHaveLength(1);
        const e = throttled[0].event!;
        expect(e.message).toBe(`AWS throttled ${phase}; retrying.`);
        expect(e.callbackDelaySeconds).toBe(5);
        expect(e.callbackContext).toMatchObject({ phase, retries: 1 });
        expect(e.resourceModel?.customKeyStoreId).toBe(aws.kms.all()[0].id);
        expect(aws.kms.all()).toHaveLength(1);
        expect(aws.ssm.actionsSent()).toEqual(['create']);
        expect(aws.ssm.checksSent()).toBe(1);
        expect(aws.log.count('secrets.create')).toBe(1);
    });

    test('throttled on every try: after the retries, FAILED Throttling and rolled back', async () => {
        const aws = standardWorld();
        aws.inject('ssm.sendShellScript', 'ThrottlingException', { nth: 2, times: 100 });
        const r = await createOp(aws);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.Throttling);
        expect(r.final.message).toContain('ThrottlingException');
        expect(r.inProgress.map((s) => s.event?.callbackDelaySeconds).filter((d) => d !== 1)).toEqual([5, 10, 20, 40, 60, 60]);
        expect(aws.kms.all()).toEqual([]);
        expect(aws.secrets.leftover()).toEqual([]);
    });
});

describe('throttling before the store exists: retried inside the invocation (never an IN_PROGRESS without the id)', () => {
    test('the 2nd DescribeCustomKeyStores page of the validation', async () => {
        const aws = standardWorld();
        aws.kms.storePageSize = 2;
        aws.kms.addStore({ name: 'a', clusterId: OTHER_CLUSTER });
        aws.kms.addStore({ name: 'b', clusterId: 'cluster-elsewhere2345' });
        aws.kms.addStore({ name: 'c', clusterId: 'cluster-elsewhere3456' });
        aws.inject('kms.listStores', 'ThrottlingException', { nth: 2 });
        const started = aws.clock.now();
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        expect(aws.pendingFaults()).toBe(0);
        const first = r.steps[0];
        expect(first.event?.status).toBe('IN_PROGRESS');
        expect(first.event?.resourceModel?.customKeyStoreId).toBeTruthy();
        // page 1, page 2 (throttled), then the whole validation again: page 1, page 2
        expect(first.calls.filter((c) => c.op === 'kms.listStores').map((c) => [c.args[0] ?? null, c.threw ?? null])).toEqual([
            [null, null],
            ['stores:2', 'ThrottlingException'],
            [null, null],
            ['stores:2', null],
        ]);
        expect(first.logs).toContain('create/validate: wait');
        expect(first.startedAt - started).toBe(0);
        expect(aws.log.calls.find((c) => c.op === 'kms.createStore')!.at - started).toBeGreaterThanOrEqual(5000);
        expect(aws.kms.all().filter((s) => s.name === 'payments-keystore')).toHaveLength(1);
    });

    test.each(['hsm.describeCluster', 'secrets.describe', 'ssm.pingStatus', 'secrets.create', 'secrets.getString', 'kms.createStore'])('%s', async (op) => {
        const aws = standardWorld();
        aws.inject(op, 'ThrottlingException');
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        expect(aws.pendingFaults()).toBe(0);
        expect(r.steps[0].event?.status).toBe('IN_PROGRESS');
        expect(r.steps[0].event?.resourceModel?.customKeyStoreId).toBeTruthy();
        expect(aws.kms.all()).toHaveLength(1);
        expect(aws.log.count('secrets.create') - aws.log.of('secrets.create').filter((c) => c.threw).length).toBe(1);
    });

    test('throttled until the invocation runs out of time, with the bootstrap secret made: FAILED and the secret removed', async () => {
        const aws = standardWorld();
        aws.inject('kms.createStore', 'ThrottlingException', { times: 100 });
        const r = await createOp(aws);
        expect(r.status).toBe('FAILED');
        expect(r.steps.every((s) => s.event?.status !== 'IN_PROGRESS')).toBe(true);
        expect(aws.kms.all()).toEqual([]);
        // a failed create leaves nothing behind (DESIGN.md section 5)
        expect(aws.secrets.madeByHandler()).toHaveLength(1);
        expect(aws.secrets.leftover()).toEqual([]);
    });
});

describe('throttling of the final read', () => {
    test('create: the DescribeCustomKeyStores that builds the SUCCESS model is throttled -> retried later, SUCCESS', async () => {
        const aws = standardWorld();
        // the describe right after the bootstrap secret's deletion is the one finish() makes
        aws.after('secrets.forceDelete', () => aws.inject('kms.describeStore', 'ThrottlingException'));
        const r = await createOp(aws);
        expect(aws.pendingFaults()).toBe(0);
        expect(r.status).toBe('SUCCESS');
        expect(r.model?.connectionState).toBe('CONNECTED');
        expect(aws.kms.all()).toHaveLength(1);
        expect(aws.log.count('kms.createStore')).toBe(1);
        expect(aws.ssm.actionsSent()).toEqual(['create']);
    });
});

describe('throttling in other workflows', () => {
    test('delete: a throttled ListKeys page is retried in a later invocation and the scan goes on', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        aws.kms.keyPageSize = 10;
        aws.kms.addKeys(undefined, 35);
        aws.inject('kms.listKeys', 'ThrottlingException', { nth: 3 });
        const r = await deleteOp(aws, stackModel(store));
        expect(r.status).toBe('SUCCESS');
        expect(r.inProgress.some((s) => s.event?.message === 'AWS throttled scanKeys; retrying.')).toBe(true);
        const pages = aws.log.of('kms.listKeys').map((c) => [c.args[0] ?? null, c.threw ?? null]);
        expect(pages).toContainEqual(['keys:20', 'ThrottlingException']);
        expect(pages[pages.length - 1]).toEqual(['keys:30', null]);
        expect(aws.kms.all()).toEqual([]);
    });
});
