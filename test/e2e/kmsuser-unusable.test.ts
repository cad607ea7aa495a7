/**
 * End to end: `cloudhsm-cli user list` reports each user's `mfa` and `cluster-coverage` (issue 17, item 7). KMS logs
 * in as kmsuser with its password alone, so it cannot use a kmsuser with MFA, and a kmsuser missing from some HSMs
 * makes its connect fail USER_NOT_FOUND. The simulator's users carry both fields (its cloudhsm-cli stand-in lists
 * them, and its KMS fails the connect so); the create's preflight and the adoption refuse such a kmsuser at once,
 * with the remedy, and leave it as it was.
 */
import { defaultProperties } from '../../local/harness';
import { E2E, kmsuserOn, leftovers, requestsOf, S, useE2E } from './support';

jest.setTimeout(180_000);

const e2e = useE2E();
let h: E2E;
beforeEach(() => {
    h = e2e();
});

const KMSUSER_PASSWORD = 'AdoptedKmsuserPw1';

test.each([
    [
        'with MFA (a token-sign key registered)',
        { mfa: [{ strategy: 'token-sign', status: 'enabled' }] },
        'KMSUSER_MFA',
        ['has multi-factor authentication', 'cloudhsm-cli user change-mfa token-sign --username kmsuser --role crypto-user --deregister'],
    ],
    [
        'on some HSMs only (cluster-coverage inconsistent)',
        { clusterCoverage: 'inconsistent' },
        'KMSUSER_PARTIAL',
        ["cluster-coverage 'inconsistent', not 'full'", 'USER_NOT_FOUND', 'cloudhsm-cli user delete --username kmsuser --role crypto-user'],
    ],
])(
    'AdoptExistingKmsUser with a kmsuser %s: FAILED at the preflight, in the first invocation, naming the remedy; nothing made, kmsuser untouched',
    async (_name, fields, code, says) => {
        await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: KMSUSER_PASSWORD, ...fields });
        const r = await h.run(h.driver.create(defaultProperties({ AdoptExistingKmsUser: true })));
        expect(r.status).toBe('FAILED');
        expect(r.errorCode).toBe('InvalidRequest');
        expect(r.message).toContain(`(${code})`);
        for (const s of says) expect(r.message).toContain(s);
        expect(r.events).toHaveLength(1); // refused before the key store existed
        const state = await h.sim.control.state();
        expect(leftovers(state)).toEqual([]);
        expect(requestsOf(state, 'CreateCustomKeyStore')).toEqual([]);
        expect(kmsuserOn(state, S.clusterId)).toMatchObject({ password: KMSUSER_PASSWORD, ...fields });
        // only the read-only preflight ran on the instance
        expect(state.commands.map((c) => c.comment).filter((c) => !/ kmsuser check /.test(c))).toEqual([]);
    },
);

test('a usable kmsuser (no MFA, on every HSM) is adopted and the store connects', async () => {
    await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: KMSUSER_PASSWORD, mfa: [], clusterCoverage: 'full' });
    const r = await h.run(h.driver.create(defaultProperties({ AdoptExistingKmsUser: true })));
    expect(r.status).toBe('SUCCESS');
    const state = await h.sim.control.state();
    expect(state.stores[0].connectionState).toBe('CONNECTED');
    expect(kmsuserOn(state, S.clusterId)?.password).toBe(state.stores[0].password);
});
