/**
 * DESIGN.md section 4. Every workflow test already runs these checks after each test (checkEveryDrive);
 * this file states them on purpose across the main scenarios, and shows the checker catches a leak.
 */
import { FakeAws, respondWith, worldsOfThisTest } from '../fakes/aws';
import { checkEveryDrive, leakProblems } from '../fakes/checks';
import { DriveResult } from '../fakes/drive';
import { createOp, deleteOp, existingStore, stackModel, updateOp } from '../fakes/ops';
import { ADMIN_PASSWORD, ADMIN_SECRET, CLUSTER, desiredProps, RELATED_CLUSTER, standardWorld } from '../fakes/world';

checkEveryDrive();

function everyOutput(r: DriveResult): string {
    return [
        ...r.logs,
        ...r.events.map((e) => e.message),
        ...r.events.map((e) => JSON.stringify(e.callbackContext ?? null)),
        ...r.events.map((e) => JSON.stringify(e.resourceModel ?? null)),
        ...r.serialized.map((s) => JSON.stringify(s)),
        ...r.aws.log.of('ssm.sendShellScript').map((c) => JSON.stringify(c.args)),
    ].join('\n');
}

function expectNoSecretAnywhere(aws: FakeAws): void {
    const drives = aws.drives as DriveResult[];
    expect(drives.length).toBeGreaterThan(0);
    expect(leakProblems(aws, drives)).toEqual([]);
    const text = drives.map(everyOutput).join('\n');
    expect(text.includes(ADMIN_PASSWORD)).toBe(false);
    const bootstrap = aws.log.of('secrets.create').map((c) => (c.args[0] as { value: string }).value);
    for (const value of bootstrap) expect(text.includes(value)).toBe(false);
    // the admin secret: existence checked (DescribeSecret), value never read
    expect(
        aws.log.of('secrets.getString').filter((c) => c.args[0] === ADMIN_SECRET || String(c.args[0]).includes(':secret:prod/cloudhsm/admin-password')),
    ).toEqual([]);
}

describe('no secret value leaves the handler; the admin password is never read', () => {
    test('create, happy path (the bootstrap password reached KMS, and nothing else)', async () => {
        const aws = standardWorld();
        const r = await createOp(aws);
        expect(r.status).toBe('SUCCESS');
        const [created] = aws.log.of('secrets.create').map((c) => (c.args[0] as { value: string }).value);
        expect((aws.log.of('kms.createStore')[0].args[0] as { password: string }).password).toBe(created);
        expect(aws.log.of('secrets.describe').map((c) => c.args[0])).toContain(ADMIN_SECRET);
        expectNoSecretAnywhere(aws);
    });

    test('create rolled back after a connect failure, and after a kmsuser failure whose detail the script scrubbed', async () => {
        const a = standardWorld();
        a.kms.connectOutcomes = ['INVALID_CREDENTIALS'];
        expect((await createOp(a)).status).toBe('FAILED');
        expectNoSecretAnywhere(a);

        const b = standardWorld();
        b.ssm.responder = respondWith('ADMIN_LOGIN_FAILED', 'cloudhsm-cli login failed (exit 1, error_code 1): invalid PIN ***');
        expect((await createOp(b)).status).toBe('FAILED');
        expectNoSecretAnywhere(b);
    });

    test('create with every wait and replay (generated name, throttling, crash)', async () => {
        const aws = standardWorld();
        aws.kms.connectSeconds = 300;
        aws.inject('kms.connect', 'ThrottlingException');
        aws.crashAfter('kms.createStore');
        const { keyStoreName: _omit, ...noName } = desiredProps();
        const r = await createOp(aws, noName, { replayEach: true });
        expect(r.status).toBe('SUCCESS');
        expectNoSecretAnywhere(aws);
    });

    test('update: repair of a FAILED store and a move with a repair', async () => {
        const a = standardWorld();
        const s1 = existingStore(a, { state: 'FAILED', connectionErrorCode: 'USER_LOCKED_OUT' });
        expect((await updateOp(a, stackModel(s1), stackModel(s1))).status).toBe('SUCCESS');
        expectNoSecretAnywhere(a);

        const b = standardWorld();
        const s2 = existingStore(b);
        b.kms.connectOutcomes = ['INVALID_CREDENTIALS'];
        expect((await updateOp(b, stackModel(s2, { cloudHsmClusterId: RELATED_CLUSTER }), stackModel(s2))).status).toBe('SUCCESS');
        expectNoSecretAnywhere(b);
        // a repair's new password differs from anything stored before
        const values = b.log.of('secrets.create').map((c) => (c.args[0] as { value: string }).value);
        expect(values).toHaveLength(1);
        expect(values[0]).toMatch(/^[A-Za-z0-9]{32}$/);
    });

    test('delete: with the kmsuser command, and when it fails', async () => {
        const a = standardWorld();
        expect((await deleteOp(a, stackModel(existingStore(a)))).status).toBe('SUCCESS');
        expectNoSecretAnywhere(a);

        const b = standardWorld();
        b.ssm.responder = respondWith('KMSUSER_LOGGED_IN', 'user delete failed: kmsuser logged in');
        expect((await deleteOp(b, stackModel(existingStore(b)))).status).toBe('SUCCESS');
        expectNoSecretAnywhere(b);
    });

    test('two bootstrap passwords are never the same', async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 5; i++) {
            const aws = standardWorld();
            await createOp(aws, desiredProps(), { request: { clientRequestToken: `00000000-0000-4000-8000-00000000000${i}` } });
            for (const c of aws.log.of('secrets.create')) seen.add((c.args[0] as { value: string }).value);
        }
        expect(seen.size).toBe(5);
        expect(CLUSTER).toBeTruthy();
    });
});

describe('the leak checker itself', () => {
    test('finds a secret value in a log line, a message, and a SendCommand; and a read of the admin secret', async () => {
        const aws = standardWorld();
        worldsOfThisTest.splice(worldsOfThisTest.indexOf(aws), 1); // deliberately leaky: not for the after-each check
        const r = await createOp(aws);
        const bootstrap = (aws.log.of('secrets.create')[0].args[0] as { value: string }).value;
        r.logs.push(`oops ${ADMIN_PASSWORD}`);
        r.events[0].message = `oops ${bootstrap}`;
        await aws.ssm.sendShellScript({ instanceId: 'i-0123456789abcdef0', commands: [`echo ${bootstrap}`], comment: 'x', timeoutSeconds: 60 });
        await aws.secrets.getString(ADMIN_SECRET);
        const problems = leakProblems(aws, [r]);
        expect(problems).toEqual(
            expect.arrayContaining([
                "a secret's password appears in log line " + r.logs.length,
                'a secret value appears in create invocation 1 message',
                `a secret value appears in SendCommand #${aws.log.of('ssm.sendShellScript')[2].seq} commands`,
                `GetSecretValue of ${ADMIN_SECRET}, which the handler must never read`,
            ]),
        );
    });
});
