/**
 * The AWS behaviours of issue 12, shown with the real SDK clients: Connect's synchronous cluster errors,
 * InvalidInstanceId from DescribeInstanceInformation, the delay before a force-deleted secret's name is free,
 * GetCommandInvocation's InvocationDoesNotExist right after SendCommand, and KMS keys in a CloudHSM key store.
 */
import {
    ConnectCustomKeyStoreCommand,
    CreateCustomKeyStoreCommand,
    CreateKeyCommand,
    DescribeKeyCommand,
    DisconnectCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RestoreSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeInstanceInformationCommand, GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { DEFAULT_SCENARIO as D } from '../../local/sim';
import { DEFAULT_CONFIG } from '../../local/sim/state';
import { errorOf, FAST, Harness, harness, settle } from './helpers';

let h: Harness;
let ca: string;
beforeAll(async () => {
    h = await harness();
});
afterAll(() => h.close());
beforeEach(async () => {
    await h.sim.control.reset('default');
    await h.sim.control.config({ ...FAST, secretPurgeSeconds: DEFAULT_CONFIG.secretPurgeSeconds });
    ca = (await h.sm.send(new GetSecretValueCommand({ SecretId: D.caSecretName }))).SecretString!;
});

const createStore = async () =>
    (
        await h.kms.send(
            new CreateCustomKeyStoreCommand({
                CustomKeyStoreName: 'ks1',
                CloudHsmClusterId: D.clusterId,
                TrustAnchorCertificate: ca,
                KeyStorePassword: 'Bootstrap123',
            }),
        )
    ).CustomKeyStoreId!;
const connect = (id: string) => h.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
const stateOf = async (id: string) => (await h.sim.control.state()).stores.find((s) => s.id === id);

describe('ConnectCustomKeyStore answers cluster problems at once', () => {
    test('a cluster that is not ACTIVE: CloudHsmClusterNotActiveException, the store stays DISCONNECTED', async () => {
        const id = await createStore();
        await h.sim.control.putCluster({ id: D.clusterId, state: 'UPDATE_IN_PROGRESS' });
        const err = await errorOf(connect(id));
        expect(err.name).toBe('CloudHsmClusterNotActiveException');
        expect(err.$metadata?.httpStatusCode).toBe(400);
        expect(err.message).toContain(D.clusterId);
        expect(await stateOf(id)).toMatchObject({ connectionState: 'DISCONNECTED' });
        await h.clock.run(async () => {
            await h.clock.sleep(FAST.connectSeconds! * 1000 * 2); // twice the connect time: no FAILED shows up later either
            expect((await stateOf(id))?.connectionState).toBe('DISCONNECTED');
        });
        // once the cluster is ACTIVE again, the connect goes through
        await h.sim.control.putCluster({ id: D.clusterId, state: 'ACTIVE' });
        await h.sim.control.putUser(D.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'Bootstrap123' });
        await connect(id);
        expect((await settle(h, id)).ConnectionState).toBe('CONNECTED');
    });

    test('a cluster without an active HSM: CloudHsmClusterInvalidConfigurationException, the store stays DISCONNECTED', async () => {
        const id = await createStore();
        await h.sim.control.putCluster({ id: D.clusterId, hsms: [{ az: 'us-east-1a', state: 'DELETE_IN_PROGRESS' }] });
        const err = await errorOf(connect(id));
        expect(err.name).toBe('CloudHsmClusterInvalidConfigurationException');
        expect(err.message).toContain(D.clusterId);
        expect((await stateOf(id))?.connectionState).toBe('DISCONNECTED');
        // one active HSM is enough for Connect (two in different AZs are needed only to create or move a store)
        await h.sim.control.putCluster({ id: D.clusterId, hsms: [{ az: 'us-east-1a' }] });
        await h.sim.control.putUser(D.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'Bootstrap123' });
        await connect(id);
        expect((await settle(h, id)).ConnectionState).toBe('CONNECTED');
    });

    test('a cluster that vanished is still reported asynchronously (CLUSTER_NOT_FOUND is not a Connect error)', async () => {
        const id = await createStore();
        await h.sim.control.deleteCluster(D.clusterId);
        await connect(id);
        const s = await settle(h, id);
        expect([s.ConnectionState, s.ConnectionErrorCode]).toEqual(['FAILED', 'CLUSTER_NOT_FOUND']);
    });
});

test('DescribeInstanceInformation: a well-formed instance id SSM does not know is InvalidInstanceId', async () => {
    const unknown = 'i-00000000000000bad';
    for (const input of [
        { Filters: [{ Key: 'InstanceIds', Values: [unknown] }] },
        { Filters: [{ Key: 'InstanceIds', Values: [D.instanceId, unknown] }] },
        { InstanceInformationFilterList: [{ key: 'InstanceIds' as const, valueSet: [unknown] }] },
    ]) {
        const err = await errorOf(h.ssm.send(new DescribeInstanceInformationCommand(input)));
        expect(err.name).toBe('InvalidInstanceId');
        expect(err.message).toContain(unknown);
    }
    const known = await h.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [D.instanceId] }] }));
    expect(known.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([D.instanceId]);
    // an id that is not even well formed is still the filter-value error
    expect((await errorOf(h.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ['i-x'] }] })))).name).toBe(
        'InvalidInstanceInformationFilterValue',
    );
});

test('a secret deleted with ForceDeleteWithoutRecovery keeps its name for secretPurgeSeconds', async () => {
    const purgeMs = DEFAULT_CONFIG.secretPurgeSeconds * 1000;
    expect(purgeMs).toBeGreaterThan(0);
    // A party from here on: simulated time moves only while the test sleeps on the clock.
    await h.clock.run(async () => {
        const first = await h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString: 'v1' }));
        await h.sm.send(new DeleteSecretCommand({ SecretId: 'bootstrap/ks', ForceDeleteWithoutRecovery: true }));
        const deletedAt = h.clock.now();
        const blocked = await errorOf(h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString: 'v2' })));
        expect(blocked.name).toBe('InvalidRequestException');
        expect(blocked.message).toBe("You can't create this secret because a secret with this name is already scheduled for deletion.");
        expect((await h.sm.send(new DescribeSecretCommand({ SecretId: 'bootstrap/ks' }))).DeletedDate).toBeInstanceOf(Date);
        expect((await errorOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'bootstrap/ks' })))).name).toBe('InvalidRequestException');
        expect((await errorOf(h.sm.send(new RestoreSecretCommand({ SecretId: 'bootstrap/ks' })))).name).toBe('InvalidRequestException');
        // Again, later in the window: still fine, and it does not start the window over.
        await h.clock.sleep(purgeMs / 2);
        await h.sm.send(new DeleteSecretCommand({ SecretId: 'bootstrap/ks', ForceDeleteWithoutRecovery: true }));
        // Up to the last millisecond of the window the name is still taken...
        await h.clock.sleep(deletedAt + purgeMs - 1 - h.clock.now());
        expect((await h.sm.send(new DescribeSecretCommand({ SecretId: 'bootstrap/ks' }))).DeletedDate).toBeInstanceOf(Date);
        expect((await errorOf(h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString: 'v2' })))).name).toBe('InvalidRequestException');
        // ...and once secretPurgeSeconds have passed, the secret is gone.
        await h.clock.sleep(1);
        expect((await errorOf(h.sm.send(new DescribeSecretCommand({ SecretId: 'bootstrap/ks' })))).name).toBe('ResourceNotFoundException');
        const again = await h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString: 'v2' }));
        expect(again.ARN).not.toBe(first.ARN);
        expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'bootstrap/ks' }))).SecretString).toBe('v2');
    });
});

test('GetCommandInvocation right after SendCommand: InvocationDoesNotExist for commandVisibilitySeconds (default a few seconds)', async () => {
    const visibility = DEFAULT_CONFIG.commandVisibilitySeconds;
    expect(visibility).toBeGreaterThanOrEqual(1);
    await h.sim.control.config({ commandVisibilitySeconds: visibility });
    const getInvocation = (CommandId: string) => h.ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId: D.instanceId }));
    // A party: simulated time moves only while the test sleeps on the clock, so the window is exact.
    await h.clock.run(async () => {
        const { Command } = await h.ssm.send(
            new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [D.instanceId], Parameters: { commands: ['echo hi'] } }),
        );
        const sentAt = h.clock.now();
        expect((await errorOf(getInvocation(Command!.CommandId!))).name).toBe('InvocationDoesNotExist');
        // The last millisecond of the window: the script has run and finished (commandRunDelaySeconds 1 plus its
        // modelled second), yet GetCommandInvocation still does not know the invocation.
        await h.clock.sleep(visibility * 1000 - 1);
        expect((await h.sim.control.state()).commands[0]!.invocations[0]!.status).toBe('Success');
        expect((await errorOf(getInvocation(Command!.CommandId!))).name).toBe('InvocationDoesNotExist');
        await h.clock.sleep(1);
        expect(await getInvocation(Command!.CommandId!)).toMatchObject({ Status: 'Success', StandardOutputContent: 'hi\n' });
        expect(h.clock.now() - sentAt).toBe(visibility * 1000);
        const log = await h.sim.control.requests({ service: 'ssm' });
        const sent = log.find((q) => q.operation === 'SendCommand')!;
        const polls = log.filter((q) => q.operation === 'GetCommandInvocation');
        expect(polls.map((q) => q.errorType ?? 'ok')).toEqual(['InvocationDoesNotExist', 'InvocationDoesNotExist', 'ok']);
        expect(new Date(polls[2]!.time).getTime() - new Date(sent.time).getTime()).toBeGreaterThanOrEqual(visibility * 1000);
    });
});

describe('KMS keys in a CloudHSM key store', () => {
    async function connectedStore(): Promise<string> {
        const id = await createStore();
        await h.sim.control.putUser(D.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'Bootstrap123' });
        await connect(id);
        expect((await settle(h, id)).ConnectionState).toBe('CONNECTED');
        return id;
    }

    test('a key in a store that is not CONNECTED is Unavailable and Enabled false', async () => {
        const id = await connectedStore();
        const { KeyMetadata: k } = await h.kms.send(new CreateKeyCommand({ CustomKeyStoreId: id, Origin: 'AWS_CLOUDHSM' }));
        expect(k).toMatchObject({ KeyState: 'Enabled', Enabled: true, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
        await h.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        expect((await settle(h, id)).ConnectionState).toBe('DISCONNECTED');
        const { KeyMetadata: m } = await h.kms.send(new DescribeKeyCommand({ KeyId: k!.KeyId }));
        expect(m).toMatchObject({ KeyState: 'Unavailable', Enabled: false, CustomKeyStoreId: id });
    });

    test('CreateKey in a CloudHSM store takes only KeySpec SYMMETRIC_DEFAULT and KeyUsage ENCRYPT_DECRYPT', async () => {
        const id = await connectedStore();
        const mk = (extra: Record<string, string>) => h.kms.send(new CreateKeyCommand({ CustomKeyStoreId: id, Origin: 'AWS_CLOUDHSM', ...extra }));
        const rejected: Record<string, string>[] = [
            { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' },
            { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
            { KeyUsage: 'SIGN_VERIFY' },
            { CustomerMasterKeySpec: 'ECC_NIST_P256' },
        ];
        for (const extra of rejected) {
            const err = await errorOf(mk(extra));
            expect([JSON.stringify(extra), err.name]).toEqual([JSON.stringify(extra), 'UnsupportedOperationException']);
            expect(err.message).toMatch(/SYMMETRIC_DEFAULT.*ENCRYPT_DECRYPT/);
        }
        expect((await errorOf(mk({ KeySpec: 'NOT_A_SPEC' }))).name).toBe('ValidationException');
        const ok = await mk({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
        expect(ok.KeyMetadata).toMatchObject({ CustomKeyStoreId: id, KeyState: 'Enabled' });
        expect((await h.sim.control.state()).keys).toHaveLength(1);
    });
});
