/** End to end: every failed create rolls back what it made, checked in the simulator's state. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { defaultProperties } from '../../local/harness';
import { SimStateView } from '../../local/sim';
import { count } from '../reliability/figures';
import { E2E, kmsuserOn, leftovers, liveBootstrapSecrets, requestsOf, S, useE2E } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

function expectNothingLeftBehind(state: SimStateView): void {
    count('faultCases');
    expect(leftovers(state)).toEqual([]);
}

test('a connect that ends FAILED (NETWORK_ERRORS) rolls back store, kmsuser and bootstrap secret', async () => {
    await h.sim.control.addFault({ kind: 'connectFailure', connectionErrorCode: 'NETWORK_ERRORS' });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'NotStabilized' });
    expect(r.message).toMatch(/NETWORK_ERRORS.*TCP 2223-2225/);
    expect(r.message).toMatch(/Rolled back: key store cks-[0-9a-f]{17} was deleted/);
    const state = await h.sim.control.state();
    expectNothingLeftBehind(state);
    expect(kmsuserOn(state, S.clusterId)).toBeUndefined();
    expect(requestsOf(state, 'SendCommand')).toHaveLength(3); // check, create, rollback
});

test('an instance without cloudhsm-cli fails with the remedy and leaves nothing', async () => {
    const r = await h.run(h.driver.create(defaultProperties({ ClientInstanceId: S.noCliInstanceId })));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(r.message).toMatch(/cloudhsm-cli/);
    const state = await h.sim.control.state();
    expectNothingLeftBehind(state);
    expect(kmsuserOn(state, S.clusterId)).toBeUndefined();
});

test('a wrong admin password fails as ADMIN_LOGIN_FAILED and rolls back', async () => {
    await h.sim.control.putSecret({ name: 'cloudhsm/wrong-admin', secretString: 'NotTheAdminPassword1' });
    const r = await h.run(h.driver.create(defaultProperties({ CloudHsmAdminPasswordSecretName: 'cloudhsm/wrong-admin' })));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(r.message).toMatch(/admin/i);
    expectNothingLeftBehind(await h.sim.control.state());
});

test('an existing kmsuser fails the create with AlreadyExists and is left as it was', async () => {
    await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'Pre-existing1' });
    const r = await h.run(h.driver.create(defaultProperties()));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'AlreadyExists' });
    expect(r.message).toMatch(/AdoptExistingKmsUser/);
    const state = await h.sim.control.state();
    expectNothingLeftBehind(state);
    expect(kmsuserOn(state, S.clusterId)?.password).toBe('Pre-existing1');
});

test('AdoptExistingKmsUser true resets the existing kmsuser and connects', async () => {
    await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'Pre-existing1' });
    const r = await h.run(h.driver.create(defaultProperties({ AdoptExistingKmsUser: true })));
    expect(r.status).toBe('SUCCESS');
    expect(r.model?.ConnectionState).toBe('CONNECTED');
    const state = await h.sim.control.state();
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
    expect(liveBootstrapSecrets(state)).toEqual([]);
});

test('validation reports every problem at once and creates nothing', async () => {
    const r = await h.run(h.driver.create(defaultProperties({ ClientInstanceId: S.offlineInstanceId, CloudHsmAdminPasswordSecretName: 'cloudhsm/missing' })));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest' });
    expect(r.message).toMatch(/CloudHsmAdminPasswordSecretName cloudhsm\/missing/);
    expect(r.message).toMatch(/ClientInstanceId i-0abcdef0123456789: its SSM ping status is ConnectionLost/);
    const state = await h.sim.control.state();
    for (const op of ['CreateSecret', 'CreateCustomKeyStore', 'SendCommand']) expect(requestsOf(state, op)).toEqual([]);
});

test('a second create on a cluster in use fails with AlreadyExists', async () => {
    expect((await h.run(h.driver.create(defaultProperties()))).status).toBe('SUCCESS');
    const r = await h.run(h.driver.create(defaultProperties({ KeyStoreName: 'Second' })));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'AlreadyExists' });
    expect(r.message).toMatch(/already associated/);
    expect((await h.sim.control.state()).stores).toHaveLength(1);
});

test('the shipped invalid input is rejected by the schema before the handler runs', async () => {
    const invalid = JSON.parse(readFileSync(join(__dirname, '../../inputs/inputs_1_invalid.json'), 'utf8'));
    const r = await h.run(h.driver.create(invalid));
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest', invokedHandler: false });
    expect(r.message).toMatch(/CloudHsmClusterId/);
});

test('the SAM test events run through testEntrypoint', async () => {
    const event = JSON.parse(readFileSync(join(__dirname, '../../sam-tests/read.json'), 'utf8'));
    const out = await h.testEntrypoint(event);
    const json = JSON.parse(JSON.stringify(out));
    expect(json).toMatchObject({ status: 'FAILED', errorCode: 'NotFound' });
});
