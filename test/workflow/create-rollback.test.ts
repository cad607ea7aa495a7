import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { KMSUSER_FAILURES } from '../../src/kmsuser/result';
import { awsError, FakeAws, respondWith, scriptOutput } from '../fakes/aws';
import { checkEveryDrive } from '../fakes/checks';
import { count } from '../reliability/figures';
import { DriveResult } from '../fakes/drive';
import { createOp, sideEffects } from '../fakes/ops';
import { CLUSTER, desiredProps, INSTANCE, standardWorld } from '../fakes/world';

checkEveryDrive();

/** Nothing this create made is left: no store, no bootstrap secret. */
function expectNothingLeft(aws: FakeAws, r: DriveResult): void {
    expect(r.status).toBe('FAILED');
    count('faultCases');
    count('leftoversFound', aws.kms.all().length + aws.secrets.leftover().length + aws.ssm.parameters.size);
    expect(aws.kms.all()).toEqual([]);
    expect(aws.ssm.parameters.size).toBe(0);
    expect(aws.secrets.madeByHandler().length).toBeGreaterThan(0);
    expect(aws.secrets.leftover()).toEqual([]);
}

function storeIdOf(r: DriveResult): string {
    const id = r.steps[0].event?.resourceModel?.customKeyStoreId;
    if (!id) throw new Error('the first invocation carried no CustomKeyStoreId');
    return id;
}

describe('create: the kmsuser script fails -> FAILED and full rollback', () => {
    const cases: Array<{ marker: keyof typeof KMSUSER_FAILURES; detail: string; code: HandlerErrorCode }> = [
        { marker: 'CLI_MISSING', detail: 'cloudhsm-cli (Client SDK 5) not found on PATH', code: HandlerErrorCode.InvalidRequest },
        { marker: 'AWS_CLI_MISSING', detail: 'aws (AWS CLI) not found on PATH', code: HandlerErrorCode.InvalidRequest },
        {
            marker: 'SECRET_UNREADABLE',
            detail: "admin password secret 'prod/cloudhsm/admin-password' could not be read: ResourceNotFoundException",
            code: HandlerErrorCode.InvalidRequest,
        },
        {
            marker: 'SECRET_UNREADABLE',
            detail: 'admin password secret could not be read: An error occurred (AccessDeniedException) when calling GetSecretValue',
            code: HandlerErrorCode.AccessDenied,
        },
        { marker: 'ADMIN_LOGIN_FAILED', detail: 'cloudhsm-cli user create failed (exit 1, error_code 1): Login failed', code: HandlerErrorCode.InvalidRequest },
        { marker: 'KMSUSER_LOGGED_IN', detail: 'kmsuser is logged in', code: HandlerErrorCode.ResourceConflict },
        { marker: 'UNEXPECTED_OUTPUT', detail: 'cloudhsm-cli user list failed: connection refused', code: HandlerErrorCode.GeneralServiceException },
    ];

    test.each(cases)('$marker ($code)', async ({ marker, detail, code }) => {
        const aws = standardWorld();
        aws.ssm.responder = respondWith(marker, detail);
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(code);
        expect(r.final.message).toContain(`kmsuser on instance ${INSTANCE}:`);
        expect(r.final.message).toContain(`(${marker})`);
        expect(r.final.message).toContain(KMSUSER_FAILURES[marker].remedy);
        expect(r.final.message).toContain(`Detail: ${detail}`);
        expect(r.final.message).toContain(`Rolled back: key store ${storeIdOf(r)} was deleted.`);
        // kmsuser was not made by this create, so no command removes it
        expect(aws.ssm.actionsSent()).toEqual(['create']);
        expect(sideEffects(r.calls)).toEqual(['secrets.create', 'kms.createStore', 'ssm.sendShellScript:create', 'kms.deleteStore', 'secrets.forceDelete']);
    });

    test('KMSUSER_EXISTS (a kmsuser in the cluster, AdoptExistingKmsUser not set) -> AlreadyExists before anything is made, the existing kmsuser untouched', async () => {
        const aws = standardWorld();
        aws.hsm.clusters.get(CLUSTER)!.kmsUser = true;
        const r = await createOp(aws);
        expect(r.status).toBe('FAILED');
        expect(aws.log.mutating().filter((c) => c.op !== 'ssm.sendShellScript')).toEqual([]);
        expect(aws.ssm.checksSent()).toBe(1);
        expect(r.final.errorCode).toBe(HandlerErrorCode.AlreadyExists);
        expect(r.final.message).toContain('(KMSUSER_EXISTS)');
        expect(r.final.message).toContain('Set AdoptExistingKmsUser to true');
        expect(aws.ssm.actionsSent()).toEqual([]);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(true);
    });

    test('SSM status Failed without a result marker -> GeneralServiceException', async () => {
        const aws = standardWorld();
        aws.ssm.responder = () => ({ status: 'Failed', stdout: 'sh: 1: syntax error: unexpected "("\n', stderr: 'sh: exit 2' });
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.GeneralServiceException);
        expect(r.final.message).toMatch(new RegExp(`The kmsuser command [0-9a-f-]{36} on ${INSTANCE} ended Failed without a result`));
        expect(r.final.message).toContain('printed no KMSUSER_RESULT line');
        expect(aws.ssm.actionsSent()).toEqual(['create']);
    });

    test('SSM status TimedOut (execution timeout) without a marker -> GeneralServiceException', async () => {
        const aws = standardWorld();
        aws.ssm.responder = () => ({ status: 'TimedOut', statusDetails: 'ExecutionTimedOut', stdout: '', stderr: '' });
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.GeneralServiceException);
        // SSM killed the script at its executionTimeout (SIGKILL): the message says so, and what to check
        expect(r.final.message).toContain(
            'SSM stopped the kmsuser script on i-0123456789abcdef0 when its executionTimeout of 600 s ran out (ExecutionTimedOut)',
        );
        expect(r.final.message).toContain('cloudhsm-cli user list');
    });

    test('the command never becomes visible -> NotStabilized after the 13-minute budget (delivery, execution, a minute), rolled back', async () => {
        const aws = standardWorld();
        aws.ssm.invisiblePolls = Number.POSITIVE_INFINITY;
        const started = aws.clock.now();
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotStabilized);
        expect(r.final.message).toMatch(/did not finish within 13 minutes \(not delivered yet\)/);
        expect(aws.clock.now() - started).toBeGreaterThanOrEqual(13 * 60 * 1000);
        // the wait spans invocations, each IN_PROGRESS carrying the id
        expect(r.inProgress.length).toBeGreaterThan(3);
        expect(aws.ssm.actionsSent()).toEqual(['create']);
    });

    test('a command that stays InProgress -> NotStabilized, rolled back', async () => {
        const aws = standardWorld();
        aws.ssm.runningPolls = Number.POSITIVE_INFINITY;
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotStabilized);
        expect(r.final.message).toMatch(/did not finish within 13 minutes \(InProgress\)/);
    });

    test('AdoptExistingKmsUser true with a kmsuser in the cluster: adopted, SUCCESS', async () => {
        const aws = standardWorld();
        aws.hsm.clusters.get(CLUSTER)!.kmsUser = true;
        const r = await createOp(aws, desiredProps({ adoptExistingKmsUser: true }));
        expect(r.status).toBe('SUCCESS');
        expect(r.model?.connectionState).toBe('CONNECTED');
        const script = (aws.log.of('ssm.sendShellScript')[1].args[0] as { commands: string[] }).commands;
        expect(script).toContain("K_ADOPT='true'");
        expect(aws.ssm.commands[0].result?.stdout).toContain('KMSUSER_RESULT=CHECKED');
        expect(aws.ssm.commands[1].result?.stdout).toContain('KMSUSER_RESULT=ADOPTED');
        expect(aws.kms.all()).toHaveLength(1);
    });
});

describe('create: the connection fails -> FAILED NotStabilized with the remedy, after rollback', () => {
    test.each([
        ['INVALID_CREDENTIALS', 'KMS could not log in as kmsuser with the password it holds'],
        ['NETWORK_ERRORS', 'Network errors kept KMS from reaching the HSMs'],
        ['USER_LOGGED_IN', 'kmsuser is logged in to the cluster'],
        ['INSUFFICIENT_CLOUDHSM_HSMS', 'The cluster has no active HSM'],
    ])('%s', async (code, remedy) => {
        const aws = standardWorld();
        aws.kms.connectOutcomes = [code];
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        const id = storeIdOf(r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotStabilized);
        expect(r.final.message).toContain(`Key store ${id} failed to connect (ConnectionErrorCode ${code}). ${remedy}`);
        expect(r.final.message).toContain(`Rolled back: key store ${id} was deleted.`);
        expect(r.final.message).toContain('kmsuser was removed from the cluster.');
        // disconnected, then deleted; the kmsuser this create made is removed by a second command
        expect(sideEffects(r.calls)).toEqual([
            'secrets.create',
            'kms.createStore',
            'ssm.sendShellScript:create',
            'kms.connect',
            'kms.disconnect',
            'kms.deleteStore',
            'ssm.sendShellScript:delete',
            'secrets.forceDelete',
        ]);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(false);
    });

    test('an adopted kmsuser is not removed by the rollback', async () => {
        const aws = standardWorld();
        aws.hsm.clusters.get(CLUSTER)!.kmsUser = true;
        aws.kms.connectOutcomes = ['NETWORK_ERRORS'];
        const r = await createOp(aws, desiredProps({ adoptExistingKmsUser: true }));
        expectNothingLeft(aws, r);
        expect(aws.ssm.actionsSent()).toEqual(['create']);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(true);
        expect(r.final.message).not.toContain('kmsuser was removed');
    });

    test('a failure removing kmsuser during the rollback is reported, the rest still rolled back', async () => {
        const aws = standardWorld();
        aws.kms.connectOutcomes = ['INVALID_CREDENTIALS'];
        let n = 0;
        aws.ssm.responder = () => (++n === 1 ? scriptOutput('CREATED') : scriptOutput('KMSUSER_OWNS_KEYS', 'user delete refused: kmsuser owns 1 key'));
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotStabilized);
        expect(r.final.message).toContain('ConnectionErrorCode INVALID_CREDENTIALS');
        expect(r.final.message).toContain('kmsuser was not removed');
        expect(r.final.message).toContain('(KMSUSER_OWNS_KEYS)');
    });

    test('a connect that never finishes -> NotStabilized after the 25-minute budget, rolled back', async () => {
        const aws = standardWorld();
        aws.kms.defaultConnectOutcome = 'NEVER';
        const started = aws.clock.now();
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotStabilized);
        expect(r.final.message).toMatch(/was still CONNECTING after 25 minutes/);
        expect(aws.clock.now() - started).toBeGreaterThanOrEqual(25 * 60 * 1000);
        // 25 minutes of 25-second invocations with 5-second callback delays
        expect(r.invocations).toBeLessThan(70);
        expect(aws.ssm.actionsSent()).toEqual(['create', 'delete']);
        expect(aws.hsm.clusters.get(CLUSTER)!.kmsUser).toBe(false);
    });

    test('a store that fails fast back to DISCONNECTED -> NotStabilized, rolled back', async () => {
        const aws = standardWorld();
        aws.kms.connectOutcomes = ['CONNECTED'];
        aws.after('kms.connect', () => {
            const s = aws.kms.all()[0];
            s.state = 'DISCONNECTED';
            s.transition = undefined;
        });
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.NotStabilized);
        expect(r.final.message).toContain('the key store is DISCONNECTED instead of connecting');
    });
});

describe('create: AWS refuses a step -> the mapped code, after rollback', () => {
    test('SendCommand: InvalidInstanceId (the instance went away after validation) -> InvalidRequest', async () => {
        const aws = standardWorld();
        aws.inject('ssm.sendShellScript', awsError('InvalidInstanceId', 'Instances not in a valid state for account'), { nth: 2 });
        const r = await createOp(aws);
        expectNothingLeft(aws, r);
        expect(r.final.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(r.final.message).toContain('InvalidInstanceId');
        expect(r.final.message).toContain(`Rolled back: key store ${storeIdOf(r)} was deleted.`);
    });

    test('CreateCustomKeyStore: LimitExceededException (10 stores) -> ServiceLimitExceeded, the bootstrap secret removed', async () => {
        const aws = standardWorld();
        aws.kms.maxStores = 0;
        const r = await createOp(aws);
        expect(r.status).toBe('FAILED');
        expect(r.final.errorCode).toBe(HandlerErrorCode.ServiceLimitExceeded);
        expect(aws.kms.all()).toEqual([]);
        expect(aws.secrets.leftover()).toEqual([]);
    });

    test('CreateCustomKeyStore: IncorrectTrustAnchorException -> InvalidRequest', async () => {
        const aws = standardWorld();
        aws.hsm.clusters.get(CLUSTER)!.trustAnchor = 'another CA';
        const r = await createOp(aws);
        expect(r.final.errorCode).toBe(HandlerErrorCode.InvalidRequest);
        expect(r.final.message).toContain('IncorrectTrustAnchorException');
        expect(aws.secrets.leftover()).toEqual([]);
    });
});
