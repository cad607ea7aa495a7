import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { CreateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import { controlClient, DEFAULT_SCENARIO as D } from '../../local/sim';
import { errorOf, Harness, harness, invocationResult } from './helpers';

let h: Harness;
beforeAll(async () => {
    h = await harness();
});
afterAll(() => h.close());
beforeEach(() => h.sim.control.reset());

const raw = (method: string, path: string, body?: unknown) => h.sim.control.raw(method, path, body);

test('control API: 400 with a clear message on bad input', async () => {
    const cases: [string, string, unknown, RegExp][] = [
        ['POST', '/_sim/clusters', '{not json', /not valid JSON/],
        ['POST', '/_sim/clusters', { id: 'cluster-1' }, /cluster\.id must match/],
        ['POST', '/_sim/clusters', { id: 'cluster-newclusterab', state: 'SLEEPY' }, /cluster\.state must be one of/],
        ['POST', '/_sim/clusters', { id: 'cluster-newclusterab', hsms: [{ az: 'mars' }] }, /hsms\[0\]\.az/],
        ['POST', '/_sim/clusters', { id: 'cluster-newclusterab', users: [{ username: 'x' }] }, /users\[0\]\.role is required/],
        ['POST', '/_sim/instances', { id: 'i-0123456789abcdef9', clusterId: 'cluster-doesnotexist2' }, /must name an existing cluster/],
        ['POST', '/_sim/instances', { id: 'box' }, /instance\.id must match/],
        ['POST', '/_sim/secrets', { name: 'x' }, /exactly one of secretString, secretBinary/],
        ['POST', '/_sim/keys', { customKeyStoreId: 'cks-00000000000000000' }, /no key store/],
        ['POST', '/_sim/faults', { service: 'ec2', operation: 'X', error: 'E' }, /fault\.service must be one of/],
        ['POST', '/_sim/faults', { service: 'kms', operation: 'DescribeCustomKeyStores' }, /needs at least one of error, status, delayMs/],
        ['POST', '/_sim/faults', { service: 'kms', operation: 'X', error: 'E', times: 0 }, /fault\.times/],
        ['POST', '/_sim/faults', { kind: 'connectFailure', connectionErrorCode: 'BAD' }, /connectionErrorCode must be one of/],
        ['POST', '/_sim/faults', { kind: 'commandResult', status: 'Success' }, /"Failed" or "TimedOut"/],
        ['POST', '/_sim/config', { timeScale: 0.01 }, /^the time scale of this simulator is fixed at 0 \(0 = virtual time\)$/],
        ['POST', '/_sim/config', { timeScale: -1 }, /config\.timeScale must be a non-negative number/],
        ['POST', '/_sim/config', { region: 'eu-west-1' }, /not a setting that can be changed/],
        ['POST', '/_sim/reset', { scenario: 'huge' }, /scenario must be one of default, empty/],
    ];
    for (const [method, path, body, msg] of cases) {
        const r = await raw(method, path, body);
        expect([path, r.status]).toEqual([path, 400]);
        expect((r.body as { error: string }).error).toMatch(msg);
    }
    // The time scale stays what the simulator was started with: 0, virtual time; setting that same value is fine.
    expect(await h.sim.control.config()).toMatchObject({ timeScale: 0 });
    expect(await h.sim.control.clock()).toMatchObject({ timeScale: 0 });
    expect(await h.sim.control.config({ timeScale: 0 })).toMatchObject({ timeScale: 0 });
    expect((await raw('GET', '/_sim/nothing-here')).status).toBe(404);
    expect((await raw('DELETE', '/_sim/clusters/cluster-doesnotexist2')).status).toBe(404);
    await expect(h.sim.control.putKey({ customKeyStoreId: 'cks-00000000000000000' })).rejects.toMatchObject({ name: 'ControlError', status: 400 });
});

test('reset: empty and default scenarios; the default names are fixed', async () => {
    await h.sim.control.reset('empty');
    expect((await h.hsm.send(new DescribeClustersCommand({}))).Clusters).toEqual([]);
    const empty = await h.sim.control.state();
    expect([empty.clusters, empty.instances, empty.secrets]).toEqual([[], [], []]);
    await h.sim.control.reset('default');
    const st = await h.sim.control.state();
    expect(st.clusters.map((c) => [c.id, c.lineage])).toEqual([
        [D.clusterId, 'L1'],
        [D.relatedClusterId, 'L1'],
        [D.unrelatedClusterId, 'L2'],
    ]);
    expect(st.instances.map((i) => [i.id, i.pingStatus, i.clusterId, i.hasCloudHsmCli])).toEqual([
        [D.instanceId, 'Online', D.clusterId, true],
        [D.relatedInstanceId, 'Online', D.relatedClusterId, true],
        [D.noCliInstanceId, 'Online', D.clusterId, false],
        [D.offlineInstanceId, 'ConnectionLost', D.clusterId, true],
    ]);
    expect(st.secrets.map((s) => s.name)).toEqual([D.adminSecretName, D.caSecretName, D.unrelatedCaSecretName]);
    expect(st.clusters[0]!.users).toEqual([
        { username: 'admin', role: 'admin', password: D.adminPassword, locked: false, failedLogins: 0, loggedIn: false, ownsKeys: false },
    ]);
    expect(st.config).toMatchObject({ region: D.region, accountId: D.accountId });
});

test('state: every request with its parsed body; SSM commands with parameters and output', async () => {
    await errorOf(
        h.kms.send(
            new CreateCustomKeyStoreCommand({
                CustomKeyStoreName: 'ks',
                CloudHsmClusterId: D.clusterId,
                TrustAnchorCertificate: 'x',
                KeyStorePassword: 'Secret12345',
            }),
        ),
    );
    const { Command } = await h.ssm.send(
        new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [D.instanceId], Parameters: { commands: ['echo out'] }, Comment: 'c1' }),
    );
    await invocationResult(h, Command!.CommandId!, D.instanceId);
    const st = await h.sim.control.state();
    const create = st.requests.find((r) => r.operation === 'CreateCustomKeyStore')!;
    expect(create).toMatchObject({ service: 'kms', status: 400, errorType: 'IncorrectTrustAnchorException', body: { KeyStorePassword: 'Secret12345' } });
    expect(create.time).toMatch(/^\d{4}-/);
    expect(st.commands[0]).toMatchObject({ commandId: Command!.CommandId, comment: 'c1', parameters: { commands: ['echo out'] }, status: 'Success' });
    expect(st.commands[0]!.invocations[0]).toMatchObject({ instanceId: D.instanceId, status: 'Success', stdout: 'out\n', responseCode: 0 });
    await h.sim.control.clearRequests();
    expect(await h.sim.control.requests()).toEqual([]);
});

test('wire: error encoding, request id, unknown target, bad JSON, timestamps as numbers', async () => {
    const post = (target: string | undefined, body: string) =>
        fetch(`${h.sim.endpoint}/`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-amz-json-1.1', ...(target ? { 'x-amz-target': target } : {}) },
            body,
        });
    const nf = await post('TrentService.DescribeCustomKeyStores', '{"CustomKeyStoreId":"cks-00000000000000000"}');
    expect(nf.status).toBe(400);
    expect(nf.headers.get('x-amzn-errortype')).toBe('CustomKeyStoreNotFoundException');
    expect(nf.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(nf.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    const body = (await nf.json()) as Record<string, unknown>;
    expect(body.__type).toBe('CustomKeyStoreNotFoundException');
    expect(typeof body.message).toBe('string');
    expect(body).not.toHaveProperty('code');
    const unknown = await post('TrentService.LaunchRocket', '{}');
    expect([unknown.status, ((await unknown.json()) as { __type: string }).__type]).toEqual([400, 'UnknownOperationException']);
    expect(((await (await post(undefined, '{}')).json()) as { __type: string }).__type).toBe('UnknownOperationException');
    expect(((await (await post('AmazonSSM.ListCommands', '[1,2')).json()) as { __type: string }).__type).toBe('SerializationException');
    // Any path works (the SDK appends "/" to the endpoint's path).
    const clusters = await fetch(`${h.sim.endpoint}/some/base/`, {
        method: 'POST',
        headers: { 'x-amz-target': 'BaldrApiService.DescribeClusters' },
        body: '{}',
    });
    const c = ((await clusters.json()) as { Clusters: { CreateTimestamp: unknown }[] }).Clusters[0]!;
    expect(typeof c.CreateTimestamp).toBe('number');
});

test('npm run sim: main.ts prints SIM_ENDPOINT, keeps a scaled clock, and stops on SIGTERM', async () => {
    // A simulator in another process cannot share a virtual clock: it runs scaled, at the scale it was given.
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), resolve(__dirname, '../../local/sim/main.ts'), '--port', '0', '--time-scale', '0.01'], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const endpoint = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const m = out.match(/SIM_ENDPOINT=(http:\/\/127\.0\.0\.1:\d+)/);
            if (m) ok(m[1]!);
        });
        child.on('exit', (code) => fail(new Error(`exited early with ${code}`)));
        setTimeout(() => fail(new Error('no SIM_ENDPOINT line')), 20_000).unref();
    });
    const control = controlClient(endpoint);
    expect((await control.state()).config.timeScale).toBe(0.01);
    // A scaled simulator may change between positive scales, but cannot become a virtual one.
    const virtual = await control.raw('POST', '/_sim/config', { timeScale: 0 });
    expect(virtual).toEqual({ status: 400, body: { error: 'the time scale of this simulator is fixed at 0.01 (0 = virtual time)' } });
    expect((await control.config({ timeScale: 0.02 })).timeScale).toBe(0.02);
    expect((await control.clock()).timeScale).toBe(0.02);
    const code = await new Promise<number | null>((ok) => {
        child.on('exit', (c) => ok(c));
        child.kill('SIGTERM');
    });
    expect(code).toBe(0);
});
