/**
 * End to end: renaming a CONNECTED key store. The current KMS API reference (and botocore's model) lets the name of
 * a CloudHSM key store change while it is "connected or disconnected"; older SDK documentation (.NET, CLI v1) says
 * it must be DISCONNECTED. The simulator serves both (`renameConnectedStore`); the handler renames in place and, where
 * KMS answers CustomKeyStoreInvalidStateException, disconnects, renames and connects again.
 */
import { REQUEST_PATHS } from '../../local/driver';
import { defaultProperties } from '../../local/harness';
import { E2E, kmsuserOn, S, useE2E } from './support';

jest.setTimeout(120_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});
// simulator settings outlive the per-test reset
afterEach(async () => void (await h.sim.control.config({ renameConnectedStore: true })));

/** The KMS calls of a run, each with the error it answered. */
const kmsCalls = (requests: Array<{ service: string; operation: string; errorType?: string }>) =>
    requests
        .filter((q) => q.service === 'kms' && q.operation !== 'DescribeCustomKeyStores')
        .map((q) => (q.errorType ? `${q.operation}: ${q.errorType}` : q.operation));

test.each(REQUEST_PATHS)(
    'on the %s request path, where KMS renames only a DISCONNECTED store, a CONNECTED one is disconnected, renamed and connected again',
    async (path) => {
        await h.sim.control.config({ renameConnectedStore: false });
        const driver = h.driver.withPath(path);
        const props = defaultProperties();
        const created = await h.run(driver.create(props));
        expect(created.status).toBe('SUCCESS');
        const id = created.model?.CustomKeyStoreId as string;
        const before = (await h.sim.control.state()).requests.length;

        const renamed = defaultProperties({ KeyStoreName: 'RenamedKeyStore' });
        const r = await h.run(driver.update(created.model!, path === 'cloudcontrol' ? { KeyStoreName: 'RenamedKeyStore' } : renamed));
        expect({ status: r.status, message: r.message }).toMatchObject({ status: 'SUCCESS' });
        expect(r.model).toMatchObject({ CustomKeyStoreId: id, KeyStoreName: 'RenamedKeyStore', ConnectionState: 'CONNECTED' });
        expect(r.message).toContain(`KMS refused to rename key store ${id} while it was CONNECTED (CustomKeyStoreInvalidStateException)`);
        const state = await h.sim.control.state();
        expect(state.stores).toMatchObject([{ id, name: 'RenamedKeyStore', connectionState: 'CONNECTED' }]);
        expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
        expect(kmsCalls(state.requests.slice(before))).toEqual([
            'UpdateCustomKeyStore: CustomKeyStoreInvalidStateException',
            'DisconnectCustomKeyStore',
            'UpdateCustomKeyStore',
            'ConnectCustomKeyStore',
        ]);
    },
);

test('with the current KMS model a CONNECTED store is renamed in place, staying connected', async () => {
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    const id = created.model?.CustomKeyStoreId as string;
    const before = (await h.sim.control.state()).requests.length;
    const r = await h.run(h.driver.update({ ...props, CustomKeyStoreId: id }, defaultProperties({ KeyStoreName: 'RenamedKeyStore' })));
    expect(r).toMatchObject({ status: 'SUCCESS', model: { KeyStoreName: 'RenamedKeyStore', ConnectionState: 'CONNECTED' } });
    expect(kmsCalls((await h.sim.control.state()).requests.slice(before))).toEqual(['UpdateCustomKeyStore']);
});
