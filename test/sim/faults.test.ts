import { DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand, DescribeCustomKeyStoresCommand } from '@aws-sdk/client-kms';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import { DEFAULT_SCENARIO as D } from '../../local/sim';
import { errorOf, Harness, harness, invocationResult, settle } from './helpers';

let h: Harness;
beforeAll(async () => {
    h = await harness();
});
afterAll(() => h.close());
beforeEach(() => h.sim.control.reset());

const describeStores = () => h.kms.send(new DescribeCustomKeyStoresCommand({}));

test('throttling fires `times` times, then calls succeed (asserted with maxAttempts 1)', async () => {
    await h.sim.control.addFault({ service: 'kms', operation: 'DescribeCustomKeyStores', error: 'ThrottlingException', times: 2 });
    for (let i = 0; i < 2; i++) {
        const e = await errorOf(describeStores());
        expect(e.name).toBe('ThrottlingException');
        expect(e.$metadata?.httpStatusCode).toBe(400);
    }
    await describeStores();
    expect(await h.sim.control.faults()).toEqual([]);
    const log = await h.sim.control.requests({ service: 'kms', operation: 'DescribeCustomKeyStores' });
    expect(log.map((r) => r.errorType ?? r.status)).toEqual(['ThrottlingException', 'ThrottlingException', 200]);
    expect(log[0]!.fault).toMatch(/^fault-\d+$/);
});

test('a 500 is retried by the SDK and then succeeds', async () => {
    await h.sim.control.addFault({ service: 'kms', operation: 'DescribeCustomKeyStores', status: 500 });
    const out = await h.retrying.kms.send(new DescribeCustomKeyStoresCommand({}));
    expect(out.$metadata.attempts).toBe(2);
    const log = await h.sim.control.requests({ operation: 'DescribeCustomKeyStores' });
    expect(log.map((r) => [r.status, r.errorType])).toEqual([
        [500, 'KMSInternalException'],
        [200, undefined],
    ]);
    // With a single attempt the same fault surfaces as the service's internal error.
    await h.sim.control.addFault({ service: 'secretsmanager', operation: 'GetSecretValue', status: 500 });
    const e = await errorOf(h.sm.send(new GetSecretValueCommand({ SecretId: D.adminSecretName })));
    expect([e.name, e.$metadata?.httpStatusCode]).toEqual(['InternalServiceError', 500]);
});

test('`after` skips matching calls; "*" matches every operation; latency is added (in real time)', async () => {
    await h.sim.control.addFault({ service: 'secretsmanager', operation: '*', error: 'AccessDeniedException', after: 1 });
    await h.sm.send(new GetSecretValueCommand({ SecretId: D.adminSecretName }));
    expect((await errorOf(h.sm.send(new GetSecretValueCommand({ SecretId: D.adminSecretName })))).name).toBe('AccessDeniedException');
    await h.sm.send(new GetSecretValueCommand({ SecretId: D.adminSecretName }));

    // Injected latency is real time, as a slow network's would be: it moves no simulated clock.
    await h.sim.control.addFault({ service: 'kms', operation: 'DescribeCustomKeyStores', delayMs: 250 });
    // (Outside any party: a latency that slept on the clock would move it.)
    const t0 = Date.now();
    const sim0 = h.clock.now();
    await describeStores();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect(h.clock.now()).toBe(sim0);
});

test('a fault on the old CloudHSM client surfaces by name', async () => {
    await h.sim.control.addFault({ service: 'cloudhsm', operation: 'DescribeClusters', error: 'CloudHsmAccessDeniedException', times: -1 });
    for (let i = 0; i < 2; i++) expect((await errorOf(h.hsm.send(new DescribeClustersCommand({})))).name).toBe('CloudHsmAccessDeniedException');
    await h.sim.control.clearFaults();
    await h.hsm.send(new DescribeClustersCommand({}));
});

test('connectFailure: the next connect ends FAILED with the given code, even with a good kmsuser', async () => {
    const ca = (await h.sm.send(new GetSecretValueCommand({ SecretId: D.caSecretName }))).SecretString;
    const { CustomKeyStoreId: id } = await h.kms.send(
        new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: 'ks',
            CloudHsmClusterId: D.clusterId,
            TrustAnchorCertificate: ca,
            KeyStorePassword: 'Bootstrap123',
        }),
    );
    await h.sim.control.putUser(D.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'Bootstrap123' });
    await h.sim.control.addFault({ kind: 'connectFailure', connectionErrorCode: 'NETWORK_ERRORS' });
    await h.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    expect(await settle(h, id!)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'NETWORK_ERRORS' });
});

test('commandResult: the next command ends Failed / TimedOut without running', async () => {
    await h.sim.control.addFaults([
        { kind: 'commandResult', status: 'Failed', responseCode: 3, stderr: 'boom' },
        { kind: 'commandResult', status: 'TimedOut' },
    ]);
    const sendCmd = () =>
        h.ssm.send(
            new SendCommandCommand({
                DocumentName: 'AWS-RunShellScript',
                InstanceIds: [D.instanceId],
                Parameters: { commands: ['echo ran; echo x > "$SIM_HSM_STATE"'] },
            }),
        );
    const a = await sendCmd();
    expect(await invocationResult(h, a.Command!.CommandId!, D.instanceId)).toMatchObject({
        Status: 'Failed',
        ResponseCode: 3,
        StandardOutputContent: '',
        StandardErrorContent: 'boom',
    });
    const b = await sendCmd();
    expect(await invocationResult(h, b.Command!.CommandId!, D.instanceId)).toMatchObject({ Status: 'TimedOut', StandardOutputContent: '' });
    // The script never ran: the cluster's user table is untouched.
    expect((await h.sim.control.state()).clusters.find((c) => c.id === D.clusterId)!.users.map((u) => u.username)).toEqual(['admin']);
    const c = await sendCmd();
    expect((await invocationResult(h, c.Command!.CommandId!, D.instanceId)).StandardOutputContent).toBe('ran\n');
});
