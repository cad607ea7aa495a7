/**
 * End to end through the custom resource protocol: failures, CloudFormation's replacement and
 * failed-create rules, replays, the service timeout and response retries.
 */
import { defaultProperties } from '../../local/harness';
import { liveBootstrapSecrets, kmsuserOn, requestsOf, S } from './support';
import { crLeaks, CrE2E, useCrE2E } from './custom-resource-support';

jest.setTimeout(120_000);

const e2e = useCrE2E();
let h: CrE2E;
beforeEach(() => {
    h = e2e();
});

test('a create whose connect fails rolls back and answers FAILED with the remedy; the Delete that follows succeeds at once', async () => {
    await h.sim.control.addFault({ kind: 'connectFailure', connectionErrorCode: 'NETWORK_ERRORS' });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r.status).toBe('FAILED');
    expect(r.reason).toMatch(/NETWORK_ERRORS.*TCP 2223-2225/);
    expect(r.reason).toMatch(/Rolled back: key store cks-[0-9a-f]{17} was deleted/);
    expect(r.physicalResourceId).toMatch(/^KeyStore-CreateFailed-[0-9a-f]{16}$/);
    expect(r.followUp).toMatchObject({ requestType: 'Delete', status: 'SUCCESS', physicalResourceId: r.physicalResourceId });
    expect(r.followUp?.invocations).toHaveLength(1);
    const state = await h.sim.control.state();
    expect(state.stores).toEqual([]);
    expect(kmsuserOn(state, S.clusterId)).toBeUndefined();
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test("properties are validated against the schema with CloudFormation's messages, before any AWS call", async () => {
    const { ClientInstanceId: _omitted, ...rest } = defaultProperties();
    const r = await h.run(h.driver.create({ ...rest, DeleteKeyStoreUponStackDeletion: 'yes', CloudHsmClusterId: 'cluster-1', Colour: 'blue' }));
    expect(r.status).toBe('FAILED');
    expect(r.reason).toContain('Properties validation failed for resource KeyStore with message: ');
    expect(r.reason).toContain('#: required key [ClientInstanceId] not found');
    expect(r.reason).toContain('#/DeleteKeyStoreUponStackDeletion: expected type: Boolean, found: String');
    expect(r.reason).toContain('#/CloudHsmClusterId: failed validation constraint for keyword [pattern]');
    expect(r.reason).toContain('#: extraneous key [Colour] is not permitted');
    expect(r.followUp?.status).toBe('SUCCESS');
    const state = await h.sim.control.state();
    expect(state.requests.filter((q) => q.service !== 'secretsmanager')).toEqual([]); // only the request's claim
});

test('a change to CloudHsmCustCaCertSecretName replaces the store: a new id, then CloudFormation deletes the old one', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const oldId = created.physicalResourceId as string;
    // KMS allows one store per cluster lineage, so the new store goes to the unrelated cluster, with its CA and a client of its own.
    await h.sim.control.putInstance({ id: 'i-0aaaabbbbccccdddd', clusterId: S.unrelatedClusterId, hasCloudHsmCli: true });
    const other = {
        ...props,
        KeyStoreName: 'Replacement',
        CloudHsmClusterId: S.unrelatedClusterId,
        CloudHsmCustCaCertSecretName: S.unrelatedCaSecretName,
        ClientInstanceId: 'i-0aaaabbbbccccdddd',
    };
    const r = await h.run(h.driver.update(oldId, props, other));
    expect(r.reason).toBeUndefined();
    expect(r.status).toBe('SUCCESS');
    expect(r.physicalResourceId).toMatch(/^cks-[0-9a-f]{17}$/);
    expect(r.physicalResourceId).not.toBe(oldId);
    expect(r.followUp).toMatchObject({ requestType: 'Delete', status: 'SUCCESS', physicalResourceId: oldId });
    const state = await h.sim.control.state();
    expect(state.stores.map((s) => [s.id, s.clusterId, s.connectionState])).toEqual([[r.physicalResourceId, S.unrelatedClusterId, 'CONNECTED']]);
});

test('a replacement that cannot be made (same cluster) answers FAILED and keeps the old store', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const oldId = created.physicalResourceId as string;
    await h.sim.control.putSecret({
        name: 'cloudhsm/customer-ca-copy',
        secretString: (await h.sim.control.state()).clusters.find((c) => c.id === S.clusterId)?.caPem as string,
    });
    const r = await h.run(h.driver.update(oldId, props, { ...props, KeyStoreName: 'Other', CloudHsmCustCaCertSecretName: 'cloudhsm/customer-ca-copy' }));
    expect(r).toMatchObject({ status: 'FAILED', physicalResourceId: oldId });
    expect(r.reason).toMatch(/already associated with custom key store/);
    expect(r.reason).toContain(`Key store ${oldId} was kept.`);
    const state = await h.sim.control.state();
    expect(state.stores.map((s) => [s.id, s.connectionState])).toEqual([[oldId, 'CONNECTED']]);
});

test('a replayed Create (delivered again after its answer, and twice at once) makes nothing more and answers once', async () => {
    const created = await h.run(h.driver.create(defaultProperties()));
    expect(created.status).toBe('SUCCESS');
    const count = async () => {
        const state = await h.sim.control.state();
        return ['CreateCustomKeyStore', 'SendCommand', 'ConnectCustomKeyStore'].map((op) => requestsOf(state, op).length).concat(state.stores.length);
    };
    const before = await count();
    await h.driver.redeliver(created.request);
    expect(await count()).toEqual(before);
    expect(h.driver.responsesTo(created.request)).toHaveLength(1);
    expect(h.logs.join('\n')).toMatch(/was delivered again; it is already being handled/);

    // Two deliveries of one new request at the same moment: one runs, the other does nothing.
    await h.sim.control.reset('default');
    const request = h.driver.event('Create', defaultProperties());
    const [first] = await Promise.all([h.run(h.driver.send(request)), h.driver.redeliver(request)]);
    await h.driver.quiet();
    expect(first.status).toBe('SUCCESS');
    expect(h.driver.responsesTo(request)).toHaveLength(1);
    const state = await h.sim.control.state();
    expect(state.stores).toHaveLength(1);
    expect(requestsOf(state, 'SendCommand')).toHaveLength(2); // the preflight check, then the create: once each
    expect(crLeaks(h, state, [created.request])).toEqual([]);
});

test('a create that cannot finish within ServiceTimeout rolls back and answers FAILED in time', async () => {
    await h.sim.control.config({ connectSeconds: 3000 });
    const request = h.driver.event('Create', defaultProperties());
    request.ResourceProperties.ServiceTimeout = '600';
    const r = await h.run(h.driver.send(request));
    expect(r.status).toBe('FAILED');
    expect(r.timedOut).toBeUndefined();
    expect(r.elapsedSimSeconds).toBeLessThan(600);
    expect(r.reason).toMatch(/service timeout/);
    expect(r.reason).toMatch(/Rolled back: key store cks-/);
    const state = await h.sim.control.state();
    expect(state.stores).toEqual([]);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('a response PUT that fails is retried until it gets through', async () => {
    h.sim.sim.cfnResponses.failNext(2);
    const r = await h.run(h.driver.create(defaultProperties({ ClientInstanceId: S.offlineInstanceId })));
    expect(r.status).toBe('FAILED');
    expect(r.reason).toMatch(/ConnectionLost/);
    expect(h.logs.filter((l) => /The response PUT failed \(HTTP 503\)/.test(l))).toHaveLength(2);
});

test("a response that cannot be delivered fails the invocation; Lambda's retry (same request id) answers once", async () => {
    h.sim.sim.cfnResponses.failNext(5); // every attempt of the first invocation
    const r = await h.run(h.driver.create(defaultProperties({ ClientInstanceId: S.offlineInstanceId })));
    expect(r.status).toBe('FAILED');
    expect(r.invocations.map((i) => [i.attempt, Boolean(i.error)])).toEqual([
        [1, true],
        [2, false],
    ]);
    expect(new Set(r.invocations.map((i) => i.awsRequestId)).size).toBe(1);
    expect(h.logs.join('\n')).not.toMatch(/delivered again/);
});

test('the leak scan finds a ResponseURL or a secret that reaches a log line', async () => {
    const r = await h.run(h.driver.create(defaultProperties({ ClientInstanceId: S.offlineInstanceId })));
    const url = new URL(r.request.ResponseURL);
    h.logs.push(`oops ${url.searchParams.get('Signature')}`, `and ${S.adminPassword}`);
    const found = crLeaks(h, await h.sim.control.state());
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/ResponseURL/), expect.stringMatching(/function logs contains a secret/)]));
    h.logs.length = 0;
});
