import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import {
    CancelCommandCommand,
    DescribeInstanceInformationCommand,
    GetCommandInvocationCommand,
    ListCommandsCommand,
    SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SCENARIO as D } from '../../local/sim';
import { errorOf, FAST, Harness, harness, invocationResult, settle, untilReal } from './helpers';

let h: Harness;
beforeAll(async () => {
    h = await harness();
});
afterAll(() => h.close());
beforeEach(async () => {
    await h.sim.control.reset();
    await h.sim.control.config({ commandVisibilitySeconds: 0.005, commandTimeoutFloorMs: 10_000, connectSeconds: 200 });
});

const STANDINS = resolve(__dirname, '../../local/standins/bin');
/** The stand-ins run on `#!/usr/bin/env node`: a node outside /usr/bin and /bin (npm's Node 22) goes last on PATH. */
const NODE_DIR = ['/usr/bin', '/bin'].includes(dirname(process.execPath)) ? '' : `:${dirname(process.execPath)}`;
/** The stand-ins are another component; the test that drives them runs once they are there. */
const withStandins = existsSync(join(STANDINS, 'aws')) && existsSync(join(STANDINS, 'cloudhsm-cli')) ? test : test.skip;

const send = (commands: string[], InstanceId: string = D.instanceId, extra: Record<string, unknown> = {}) =>
    h.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [InstanceId], Parameters: { commands }, ...extra }));

async function run(commands: string[], instanceId: string = D.instanceId, extra: Record<string, unknown> = {}) {
    const { Command } = await send(commands, instanceId, extra);
    return invocationResult(h, Command!.CommandId!, instanceId);
}

test('DescribeInstanceInformation: Filters and the legacy filter list', async () => {
    const out = await h.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [D.instanceId, D.offlineInstanceId] }] }));
    expect(out.InstanceInformationList!.map((i) => [i.InstanceId, i.PingStatus])).toEqual([
        [D.instanceId, 'Online'],
        [D.offlineInstanceId, 'ConnectionLost'],
    ]);
    expect(out.InstanceInformationList![0]!.LastPingDateTime).toBeInstanceOf(Date);
    const legacy = await h.ssm.send(
        new DescribeInstanceInformationCommand({ InstanceInformationFilterList: [{ key: 'InstanceIds', valueSet: [D.relatedInstanceId] }] }),
    );
    expect(legacy.InstanceInformationList!.map((i) => i.InstanceId)).toEqual([D.relatedInstanceId]);
    const online = await h.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['Online'] }] }));
    expect(online.InstanceInformationList).toHaveLength(3);
    expect((await errorOf(h.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ['bogus'] }] })))).name).toBe(
        'InvalidInstanceInformationFilterValue',
    );
});

test('Run Command runs the script under bash with a clean env, the stand-ins PATH and the state files', async () => {
    const script = [
        'echo "hello from $SIM_INSTANCE_ID"',
        'echo "PATH=$PATH"',
        'echo "LEAK=${JEST_WORKER_ID:-none}"',
        'state=$(<"$SIM_HSM_STATE")',
        '[[ $state == *\'"username": "admin"\'* ]] && echo "sees admin"',
        'secrets=$(<"$SIM_SECRETS_FILE")',
        '[[ $secrets == *cloudhsm/admin-password* ]] && echo "sees secrets"',
        'echo "to stderr" >&2',
        `echo '{"clusterId":"${D.clusterId}","users":[{"username":"admin","role":"admin","password":"${D.adminPassword}","locked":false,"failedLogins":0,"loggedIn":false,"ownsKeys":false},{"username":"kmsuser","role":"crypto-user","password":"Bootstrap123","locked":false,"failedLogins":0,"loggedIn":false,"ownsKeys":false}],"quorum":1}' > "$SIM_HSM_STATE"`,
    ];
    const r = await run(script);
    expect(r).toMatchObject({
        Status: 'Success',
        StatusDetails: 'Success',
        ResponseCode: 0,
        PluginName: 'aws:runShellScript',
        StandardErrorContent: 'to stderr\n',
    });
    expect(r.StandardOutputContent!.split('\n')).toEqual([
        `hello from ${D.instanceId}`,
        `PATH=${STANDINS}:/usr/bin:/bin${NODE_DIR}`,
        'LEAK=none',
        'sees admin',
        'sees secrets',
        '',
    ]);
    expect(r.ExecutionStartDateTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(r.ExecutionElapsedTime).toMatch(/^PT\d+\.\d{3}S$/);
    // The state file was read back into the cluster's user table.
    const users = (await h.sim.control.state()).clusters.find((c) => c.id === D.clusterId)!.users;
    expect(users.map((u) => u.username)).toEqual(['admin', 'kmsuser']);
    // ...and the store can connect with that kmsuser.
    const ca = (await h.sm.send(new GetSecretValueCommand({ SecretId: D.caSecretName }))).SecretString;
    const { CustomKeyStoreId: id } = await h.kms.send(
        new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: 'ks',
            CloudHsmClusterId: D.clusterId,
            TrustAnchorCertificate: ca,
            KeyStorePassword: 'Bootstrap123',
        }),
    );
    await h.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    expect((await settle(h, id!)).ConnectionState).toBe('CONNECTED');
});

test('an instance without cloudhsm-cli gets a PATH with only the aws stand-in', async () => {
    const r = await run(
        ['d=${PATH%%:*}', '[[ -L $d/aws ]] && echo "aws link"', '[[ -e $d/cloudhsm-cli ]] || echo "no cli"', 'echo "rest=${PATH#*:}"'],
        D.noCliInstanceId,
    );
    expect(r.StandardOutputContent).toBe(`aws link\nno cli\nrest=/usr/bin:/bin${NODE_DIR}\n`);
});

test('a non-zero exit is Failed with its ResponseCode; output is truncated to 24000/8000 characters', async () => {
    const r = await run(['printf "%030000d" 0', 'printf "%09000d" 0 >&2', 'exit 7']);
    expect(r).toMatchObject({ Status: 'Failed', ResponseCode: 7 });
    expect(r.StandardOutputContent).toHaveLength(24000);
    expect(r.StandardErrorContent).toHaveLength(8000);
});

test('GetCommandInvocation: InvocationDoesNotExist before visibility or for another instance; InvalidCommandId for an unknown command', async () => {
    await h.sim.control.config({ commandVisibilitySeconds: 3 });
    // A party: simulated time moves only while the test sleeps on the clock.
    await h.clock.run(async () => {
        const { Command } = await send(['echo hi']);
        const get = (InstanceId: string) => h.ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId }));
        expect((await errorOf(get(D.instanceId))).name).toBe('InvocationDoesNotExist');
        // Once the 3 simulated seconds are over the invocation is known (and done), but never for another instance.
        await h.clock.sleep(3000);
        expect((await get(D.instanceId)).Status).toBe('Success');
        expect((await errorOf(get(D.relatedInstanceId))).name).toBe('InvocationDoesNotExist');
    });
    const unknown = await errorOf(h.ssm.send(new GetCommandInvocationCommand({ CommandId: '00000000-0000-4000-8000-000000000000', InstanceId: D.instanceId })));
    expect(unknown.name).toBe('InvalidCommandId');
});

test('an offline instance never runs the command: Pending, then TimedOut at the delivery timeout', async () => {
    await h.clock.run(async () => {
        const { Command } = await send(['echo ran'], D.offlineInstanceId, { TimeoutSeconds: 600 });
        const get = () => h.ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: D.offlineInstanceId }));
        // Long past the run delay, up to the last millisecond of the 600 s delivery timeout: still Pending...
        await h.clock.sleep(600_000 - 1);
        expect((await get()).Status).toBe('Pending');
        // ...and TimedOut at the timeout, never having started.
        await h.clock.sleep(1);
        expect(await get()).toMatchObject({
            Status: 'TimedOut',
            StatusDetails: 'DeliveryTimedOut',
            ResponseCode: -1,
            StandardOutputContent: '',
            ExecutionStartDateTime: '',
        });
    });
});

test('a command waiting for an offline instance runs when it comes back online', async () => {
    await h.clock.run(async () => {
        const { Command } = await send(['echo ran'], D.offlineInstanceId, { TimeoutSeconds: 3600 });
        await h.clock.sleep(10 * 60_000); // ten simulated minutes offline: the command waits
        expect((await h.ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: D.offlineInstanceId }))).Status).toBe('Pending');
        await h.sim.control.putInstance({ id: D.offlineInstanceId, pingStatus: 'Online' });
        const r = await invocationResult(h, Command!.CommandId!, D.offlineInstanceId);
        expect(r).toMatchObject({ Status: 'Success', StandardOutputContent: 'ran\n' });
    });
});

test('a script stuck on this machine is killed after commandTimeoutFloorMs real ms: TimedOut', async () => {
    // The safety net is real time: simulated time stands still while a script runs, so only a real limit can end it.
    await h.sim.control.config({ commandTimeoutFloorMs: 1000 });
    const t0 = Date.now();
    const r = await run(['echo started', 'sleep 20', 'echo never'], D.instanceId, { TimeoutSeconds: 30 });
    expect(r).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', StandardOutputContent: 'started\n' });
    expect(Date.now() - t0).toBeLessThan(15_000); // killed, not run to its end (20 s); generous for a loaded machine
});

test('executionTimeout in simulated time: the stand-in call that would run past it kills the script there; a call longer than its `timeout` is stopped (124)', async () => {
    await h.sim.control.config({ commandBaseSeconds: 1, commandSecondsPerCliCall: 50, commandSecondsPerAwsCall: 1 });
    try {
        const sendWith = async (commands: string[], executionTimeout: string) => {
            const { Command } = await h.ssm.send(
                new SendCommandCommand({
                    DocumentName: 'AWS-RunShellScript',
                    InstanceIds: [D.instanceId],
                    Parameters: { commands, executionTimeout: [executionTimeout] },
                }),
            );
            return invocationResult(h, Command!.CommandId!, D.instanceId);
        };
        const list = 'cloudhsm-cli user list >/dev/null';
        // 1 s + 50 s + 50 s, and the third call would end at 151 s: the agent kills the script at 120 s, in that call
        const killed = await sendWith([`echo one; ${list}; echo two; ${list}; echo three; ${list}; echo four`], '120');
        expect(killed).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', StandardOutputContent: 'one\ntwo\nthree\n' });
        expect(killed.ExecutionElapsedTime).toBe('PT120.000S');
        // the script's own `timeout 10` stops a 50 s call at 10 s with status 124; the script goes on
        const stopped = await sendWith([`timeout 10 ${list}; echo "rc=$?"`], '120');
        expect(stopped).toMatchObject({ Status: 'Success', StandardOutputContent: 'rc=124\n', ExecutionElapsedTime: 'PT11.000S' });
    } finally {
        await h.sim.control.config({ commandBaseSeconds: 1, commandSecondsPerCliCall: 2, commandSecondsPerAwsCall: 1 });
    }
});

test('CancelCommand stops a running script', async () => {
    const { Command } = await send(['sleep 20']);
    const sentAt = h.clock.now();
    // Let simulated time reach the delivery. It stands still while the script runs, so this sleep ends only after the
    // script; meanwhile the test waits for the script in real time (what a script takes here) and cancels it.
    const delivered = h.clock.sleep(FAST.commandRunDelaySeconds! * 1000);
    await untilReal(
        () => h.sim.control.state(),
        (s) => s.commands[0]!.invocations[0]!.status === 'InProgress',
    );
    expect(h.clock.now()).toBe(sentAt + FAST.commandRunDelaySeconds! * 1000);
    await h.ssm.send(new CancelCommandCommand({ CommandId: Command!.CommandId }));
    await delivered;
    expect((await invocationResult(h, Command!.CommandId!, D.instanceId)).Status).toBe('Cancelled');
});

test('ListCommands: newest first, with Comment and Status; by CommandId and InstanceId', async () => {
    // A simulated second apart, so that "newest first" has an order to show (time moves only while the test sleeps).
    const [a, b] = await h.clock.run(async () => {
        const first = await send(['echo a'], D.instanceId, { Comment: 'first' });
        await h.clock.sleep(1000);
        return [first, await send(['echo b'], D.relatedInstanceId, { Comment: 'second' })];
    });
    await invocationResult(h, a.Command!.CommandId!, D.instanceId);
    await invocationResult(h, b.Command!.CommandId!, D.relatedInstanceId);
    const all = await h.ssm.send(new ListCommandsCommand({}));
    expect(all.Commands!.map((c) => [c.Comment, c.Status])).toEqual([
        ['second', 'Success'],
        ['first', 'Success'],
    ]);
    expect(all.Commands![0]!.Parameters).toEqual({ commands: ['echo b'] });
    expect(all.Commands![0]!.RequestedDateTime).toBeInstanceOf(Date);
    const one = await h.ssm.send(new ListCommandsCommand({ CommandId: a.Command!.CommandId }));
    expect(one.Commands!.map((c) => c.Comment)).toEqual(['first']);
    const byInstance = await h.ssm.send(new ListCommandsCommand({ InstanceId: D.relatedInstanceId }));
    expect(byInstance.Commands!.map((c) => c.Comment)).toEqual(['second']);
    const byStatus = await h.ssm.send(new ListCommandsCommand({ Filters: [{ key: 'Status', value: 'Success' }] }));
    expect(byStatus.Commands).toHaveLength(2);
    expect((await errorOf(h.ssm.send(new ListCommandsCommand({ CommandId: '00000000-0000-4000-8000-000000000000' })))).name).toBe('InvalidCommandId');
});

test('SendCommand input checks', async () => {
    const name = async (p: Promise<unknown>) => (await errorOf(p)).name;
    expect(await name(send(['x'], D.instanceId, { TimeoutSeconds: 10 }))).toBe('ValidationException');
    expect(await name(send(['x'], D.instanceId, { Comment: 'c'.repeat(101) }))).toBe('ValidationException');
    expect(await name(send(['x'], 'i-123'))).toBe('ValidationException');
    expect(await name(send(['x'], 'i-0000000000000000a'))).toBe('InvalidInstanceId');
    expect(
        await name(
            h.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunPowerShellScript', InstanceIds: [D.instanceId], Parameters: { commands: ['x'] } })),
        ),
    ).toBe('InvalidDocument');
    expect(
        await name(
            h.ssm.send(
                new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [D.instanceId, D.instanceId], Parameters: { commands: ['x'] } }),
            ),
        ),
    ).toBe('DuplicateInstanceId');
    expect(
        await name(h.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [D.instanceId], Parameters: { nope: ['x'] } }))),
    ).toBe('InvalidParameters');
    const ok = await send(['true'], D.instanceId, { Comment: 'c'.repeat(100), TimeoutSeconds: 30 });
    expect(ok.Command).toMatchObject({ Status: 'Pending', DocumentName: 'AWS-RunShellScript', InstanceIds: [D.instanceId], Comment: 'c'.repeat(100) });
    expect(ok.Command!.CommandId).toMatch(/^[0-9a-f-]{36}$/);
});

test('scripts and KMS connects on one cluster are serialized: a connect that lands mid-script sees its result', async () => {
    // On virtual time a timer cannot fire while a script runs (simulated time stands still meanwhile), so a connect
    // cannot land mid-script there. This test needs a scaled clock: its own simulator, where 1 simulated s = 1 real ms.
    const scaled = await harness({ connectSeconds: 20, commandTimeoutFloorMs: 30_000 }, 0.001);
    try {
        const ca = (await scaled.sm.send(new GetSecretValueCommand({ SecretId: D.caSecretName }))).SecretString;
        const { CustomKeyStoreId: id } = await scaled.kms.send(
            new CreateCustomKeyStoreCommand({
                CustomKeyStoreName: 'ks',
                CloudHsmClusterId: D.clusterId,
                TrustAnchorCertificate: ca,
                KeyStorePassword: 'Bootstrap123',
            }),
        );
        // The script creates kmsuser, then runs 2 real s; the connect lands 20 simulated s (20 ms real) after it is sent.
        // Without the cluster lock it would find no kmsuser (USER_NOT_FOUND) unless this machine stalled for seconds.
        const { Command } = await scaled.ssm.send(
            new SendCommandCommand({
                DocumentName: 'AWS-RunShellScript',
                InstanceIds: [D.instanceId],
                Parameters: {
                    commands: [
                        `echo '{"clusterId":"${D.clusterId}","users":[{"username":"kmsuser","role":"crypto-user","password":"Bootstrap123","locked":false,"failedLogins":0,"loggedIn":false,"ownsKeys":false}],"quorum":1}' > "$SIM_HSM_STATE"`,
                        'sleep 2',
                    ],
                },
            }),
        );
        await untilReal(
            () => scaled.sim.control.state(),
            (st) => st.commands[0]!.invocations[0]!.status === 'InProgress',
        );
        await scaled.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        // Real-time waits with generous limits: this simulator's time runs with the (possibly loaded) machine's.
        const store = await untilReal(
            () => scaled.sim.control.state(),
            (st) => !['CONNECTING', 'DISCONNECTING'].includes(st.stores[0]!.connectionState),
        );
        expect(store.stores[0]).toMatchObject({ connectionState: 'CONNECTED' });
        const done = await untilReal(
            () => scaled.sim.control.state(),
            (st) => ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(st.commands[0]!.invocations[0]!.status),
        );
        expect(done.commands[0]!.invocations[0]!.status).toBe('Success');
        expect(Command!.CommandId).toBe(done.commands[0]!.commandId);
    } finally {
        await scaled.close();
    }
});

withStandins('with the aws / cloudhsm-cli stand-ins: a script reads the admin secret, creates kmsuser, and KMS connects with it', async () => {
    const r = await run([
        'set -e',
        `admin=$(aws secretsmanager get-secret-value --secret-id '${D.adminSecretName}' --region us-east-1 --query SecretString --output text)`,
        `pw=\${admin#*'"password":"'}; pw=\${pw%%'"'*}`,
        'export CLOUDHSM_ROLE=admin CLOUDHSM_PIN="admin:$pw"',
        'cloudhsm-cli user create --username kmsuser --role crypto-user --password Bootstrap123 >/dev/null',
        'echo created',
    ]);
    expect([r.Status, r.StandardOutputContent, r.StandardErrorContent]).toEqual(['Success', 'created\n', '']);
    const ca = (await h.sm.send(new GetSecretValueCommand({ SecretId: D.caSecretName }))).SecretString;
    const { CustomKeyStoreId: id } = await h.kms.send(
        new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: 'ks',
            CloudHsmClusterId: D.clusterId,
            TrustAnchorCertificate: ca,
            KeyStorePassword: 'Bootstrap123',
        }),
    );
    await h.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    expect((await settle(h, id!)).ConnectionState).toBe('CONNECTED');
});
