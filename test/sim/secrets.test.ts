import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SCENARIO as D } from '../../local/sim';
import { errorOf, Harness, harness, until } from './helpers';

let h: Harness;
beforeAll(async () => {
    h = await harness();
});
afterAll(() => h.close());
beforeEach(() => h.sim.control.reset());

const TOKEN = 'a0b1c2d3-e4f5-4a6b-8c7d-0123456789ab';
const ARN_RE = /^arn:aws:secretsmanager:us-east-1:111122223333:secret:bootstrap\/ks-[A-Za-z0-9]{6}$/;

test('default scenario secrets', async () => {
    const admin = await h.sm.send(new GetSecretValueCommand({ SecretId: D.adminSecretName }));
    expect(JSON.parse(admin.SecretString!)).toEqual({ password: D.adminPassword });
    const ca = await h.sm.send(new GetSecretValueCommand({ SecretId: D.caSecretName }));
    expect(ca.SecretString).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(ca.VersionStages).toEqual(['AWSCURRENT']);
    expect(ca.CreatedDate).toBeInstanceOf(Date);
});

test('CreateSecret: ARN with a 6-character suffix; ClientRequestToken idempotency', async () => {
    const make = (SecretString: string, ClientRequestToken = TOKEN) =>
        h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString, ClientRequestToken, Tags: [{ Key: 'purpose', Value: 'test' }] }));
    const a = await make('pw-1');
    expect(a.ARN).toMatch(ARN_RE);
    expect(a.VersionId).toBe(TOKEN);
    const again = await make('pw-1');
    expect([again.ARN, again.VersionId]).toEqual([a.ARN, a.VersionId]);
    const clash = await errorOf(make('pw-2'));
    expect(clash.name).toBe('ResourceExistsException');
    expect(clash.message).toContain(`You can't use ClientRequestToken ${TOKEN}`);
    const other = await errorOf(make('pw-1', 'ffffffff-e4f5-4a6b-8c7d-0123456789ab'));
    expect(other.name).toBe('ResourceExistsException');
    expect(other.message).toBe('The operation failed because the secret bootstrap/ks already exists.');
    const d = await h.sm.send(new DescribeSecretCommand({ SecretId: 'bootstrap/ks' }));
    expect(d.Tags).toEqual([{ Key: 'purpose', Value: 'test' }]);
    expect(d.VersionIdsToStages).toEqual({ [TOKEN]: ['AWSCURRENT'] });
});

test('GetSecretValue by name, full ARN and partial ARN; PutSecretValue moves AWSCURRENT/AWSPREVIOUS', async () => {
    const { ARN } = await h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString: 'v1' }));
    for (const id of ['bootstrap/ks', ARN!, ARN!.slice(0, -7)]) {
        expect((await h.sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString).toBe('v1');
    }
    const put = await h.sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'v2' }));
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'bootstrap/ks' }))).SecretString).toBe('v2');
    const prev = await h.sm.send(new GetSecretValueCommand({ SecretId: 'bootstrap/ks', VersionStage: 'AWSPREVIOUS' }));
    expect(prev.SecretString).toBe('v1');
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'bootstrap/ks', VersionId: put.VersionId }))).SecretString).toBe('v2');
    expect((await errorOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'nope' })))).name).toBe('ResourceNotFoundException');
    expect((await errorOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'bootstrap/ks', VersionStage: 'AWSPENDING' })))).name).toBe(
        'ResourceNotFoundException',
    );
});

test('CreateSecret input checks', async () => {
    const bad = await errorOf(h.sm.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' })));
    expect(bad.name).toBe('InvalidParameterException');
    const both = await errorOf(h.sm.send(new CreateSecretCommand({ Name: 'n', SecretString: 'x', SecretBinary: new Uint8Array([1]) })));
    expect(both.name).toBe('InvalidParameterException');
    expect((await errorOf(h.sm.send(new CreateSecretCommand({ Name: 'n', SecretString: 'x', ClientRequestToken: 'short' })))).name).toBe('ValidationException');
});

test('DeleteSecret: recovery window, DeletedDate, blocked re-create, forced deletion', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString: 'v1' }));
    const both = await errorOf(h.sm.send(new DeleteSecretCommand({ SecretId: 'bootstrap/ks', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })));
    expect(both.name).toBe('InvalidParameterException');
    expect((await errorOf(h.sm.send(new DeleteSecretCommand({ SecretId: 'bootstrap/ks', RecoveryWindowInDays: 3 })))).name).toBe('InvalidParameterException');

    const del = await h.sm.send(new DeleteSecretCommand({ SecretId: 'bootstrap/ks', RecoveryWindowInDays: 7 }));
    expect(del.DeletionDate!.getTime() - h.sim.simNow()).toBeGreaterThan(6.9 * 86_400_000);
    const get = await errorOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'bootstrap/ks' })));
    expect(get.name).toBe('InvalidRequestException');
    expect(get.message).toBe("You can't perform this operation on the secret because it was marked for deletion.");
    expect((await h.sm.send(new DescribeSecretCommand({ SecretId: 'bootstrap/ks' }))).DeletedDate).toBeInstanceOf(Date);
    const again = await errorOf(h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString: 'v1' })));
    expect(again.name).toBe('InvalidRequestException');
    expect(again.message).toBe("You can't create this secret because a secret with this name is already scheduled for deletion.");
    expect((await h.sim.control.state()).secrets.find((s) => s.name === 'bootstrap/ks')).toMatchObject({ deleted: true, secretString: 'v1' });

    await h.sm.send(new DeleteSecretCommand({ SecretId: 'bootstrap/ks', ForceDeleteWithoutRecovery: true }));
    // gone after the background deletion (secretPurgeSeconds of simulated time, which `until` lets pass by sleeping on
    // the clock; test/sim/fidelity.test.ts shows the delay)
    const describeName = () =>
        h.sm.send(new DescribeSecretCommand({ SecretId: 'bootstrap/ks' })).then(
            () => 'present',
            (e: Error) => e.name,
        );
    expect(await until(h, describeName, (n) => n !== 'present')).toBe('ResourceNotFoundException');
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'bootstrap/never-existed', ForceDeleteWithoutRecovery: true }));
    expect((await errorOf(h.sm.send(new DeleteSecretCommand({ SecretId: 'bootstrap/never-existed' })))).name).toBe('ResourceNotFoundException');
    const recreated = await h.sm.send(new CreateSecretCommand({ Name: 'bootstrap/ks', SecretString: 'v9' }));
    expect(recreated.ARN).toMatch(ARN_RE);
});
