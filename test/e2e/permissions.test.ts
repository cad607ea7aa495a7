/**
 * Each handler's IAM `permissions` (both schemas) and the custom resource provider's role, against the AWS calls the
 * handlers really make.
 *
 * The handlers run end to end against the simulator: every action of both types on each request path, plus the
 * paths that need more than a plain lifecycle (a move to a related cluster, a kmsuser repair, a create rolled back,
 * a create that resumes its own leftover, a delete of a store holding keys, a delete racing a new key, a delete after
 * a lost create); then the custom resource lifecycle of both types. The simulator's request log says which
 * operation each invocation called; each is mapped to the IAM actions it needs. The test fails on an operation a
 * handler's list lacks, on a listed permission no run used, and on the same for the provider role. A permission
 * needed only on a path these runs do not take is kept in ALLOWED_UNUSED with the reason. Run the whole file: the
 * comparisons at the end use what the runs before them recorded.
 */
import { Driver, DriverEvent, REQUEST_PATHS } from '../../local/driver';
import { buildHandlerRequest, defaultStackId, lambdaContext, newBearerToken } from '../../local/handler-request';
import { defaultKeyProperties, defaultProperties, Harness, startHarness } from '../../local/harness';
import { CrHarness, startCustomResourceHarness } from '../../local/custom-resource-harness';
import { DEFAULT_SCENARIO as S, RunningSimulator, startSimulator } from '../../local/sim';
import { ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { directKms, waitUntil } from './support';
import type { RequestRecord } from '../../local/sim/state';
import { loadTemplate, ROOT } from '../docs/support';
import { readFileSync } from 'fs';
import { join } from 'path';

jest.setTimeout(600_000);

type Schema = { typeName: string; handlers: Record<string, { permissions: string[] }> };
const schemaAt = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Schema;
const KEY_STORE = schemaAt('custom-kms-cloudhsmkeystore.json');
const KEY = schemaAt('key/custom-kms-cloudhsmkey.json');
const SCHEMAS = [KEY_STORE, KEY];
const HANDLERS = ['create', 'read', 'update', 'delete', 'list'];

/** The IAM service prefix of each simulated service the handlers call (the request log's service names). */
const IAM_PREFIX: Record<string, string> = { kms: 'kms', cloudhsm: 'cloudhsm', ssm: 'ssm', secretsmanager: 'secretsmanager', ec2: 'ec2' };
/**
 * The CloudFormation library's own calls, made only with `providerCredentials` (the type's log delivery role, not
 * the execution role): not a handler's permissions.
 */
const LIBRARY_SERVICES = new Set(['logs', 'monitoring', 's3']);

/**
 * The IAM actions one call needs. The action is the operation's name under the service's prefix; some calls need
 * more, as the API references document:
 * - CreateCustomKeyStore: "Users who create AWS CloudHSM key stores must have the iam:CreateServiceLinkedRole
 *   permission" (KMS developer guide, "Authorizing AWS KMS to manage AWS CloudHSM and Amazon EC2 resources").
 * - KMS CreateKey with Tags: "To use the Tags parameter, kms:TagResource" (KMS API reference, CreateKey).
 * - Secrets Manager CreateSecret with Tags: "If you include tags in the secret, you also need
 *   secretsmanager:TagResource" (Secrets Manager API reference, CreateSecret).
 */
function iamActions(r: RequestRecord): string[] {
    const prefix = IAM_PREFIX[r.service];
    if (!prefix) throw new Error(`a handler called ${r.service}.${r.operation}, a service this test does not know: add its IAM prefix`);
    const actions = [`${prefix}:${r.operation}`];
    const body = (r.body ?? {}) as { Tags?: unknown[] };
    if (r.service === 'kms' && r.operation === 'CreateCustomKeyStore') actions.push('iam:CreateServiceLinkedRole');
    if (r.service === 'kms' && r.operation === 'CreateKey' && body.Tags?.length) actions.push('kms:TagResource');
    if (r.service === 'secretsmanager' && r.operation === 'CreateSecret' && body.Tags?.length) actions.push('secretsmanager:TagResource');
    return actions;
}

/**
 * Listed permissions these runs do not use, each with the path that needs it, as `{ 'kms:X': 'why' }` per type and
 * handler. Keep it short: a permission that nothing needs is removed from the list instead, and a path a test can
 * take is better taken below. Empty today: every listed permission is used by a run.
 */
const ALLOWED_UNUSED: Record<string, Record<string, Record<string, string>>> = {
    [KEY_STORE.typeName]: {},
    [KEY.typeName]: {},
};

/** (type, handler) -> the IAM actions its calls needed, over every run. */
const used = new Map<string, Set<string>>();
const usedBy = (type: string, handler: string) => {
    const k = `${type} ${handler}`;
    if (!used.has(k)) used.set(k, new Set());
    return used.get(k)!;
};
/** What the custom resource provider's function called. */
const usedByProvider = new Set<string>();

/** Attributes the simulator's new log entries to whoever made them. */
class RequestLog {
    private seen = 0;
    constructor(private readonly sim: RunningSimulator) {}
    /** Forget what was logged so far (calls the test made itself). */
    skip(): void {
        this.seen = this.sim.sim.world.seq;
    }
    take(into: Set<string>): void {
        const fresh = this.sim.sim.world.requests.filter((r) => r.seq > this.seen);
        this.skip();
        for (const r of fresh) if (!LIBRARY_SERVICES.has(r.service)) for (const a of iamActions(r)) into.add(a);
    }
}

describe('the registered types', () => {
    let sim: RunningSimulator;
    let h: Harness;
    let log: RequestLog;

    beforeAll(async () => {
        sim = await startSimulator({ timeScale: 0 });
        log = new RequestLog(sim);
        // each invocation's calls belong to its type and action
        const onEvent = (e: DriverEvent) => log.take(usedBy(e.request.resourceType, e.action.toLowerCase()));
        h = await startHarness({ endpoint: sim.endpoint, clock: sim.sim.clock, onEvent });
    });
    afterAll(async () => {
        await h?.stop();
        await sim?.stop();
    });
    beforeEach(async () => {
        sim.sim.reset('default');
        log.skip();
    });

    /** SUCCESS, or the message that says why not. */
    const ok = (r: { status: string; message: string }) => expect(r.status === 'SUCCESS' ? r.status : `${r.status}: ${r.message}`).toBe('SUCCESS');

    async function connectedStore(driver: Driver = h.driver, props = defaultProperties()): Promise<string> {
        const r = await driver.create(props);
        ok(r);
        return r.model?.CustomKeyStoreId as string;
    }

    test.each(REQUEST_PATHS)('the key store on the %s path: create, read, rename, list, delete', async (path) => {
        const d = h.driver.withPath(path);
        const props = defaultProperties();
        const created = await d.create(props);
        ok(created);
        ok(await d.read(created.model!));
        const renamed = await d.update(created.model!, path === 'cloudcontrol' ? { KeyStoreName: 'Renamed' } : { ...props, KeyStoreName: 'Renamed' });
        ok(renamed);
        ok(await d.list());
        ok(await d.delete(renamed.model!));
    });

    test.each(REQUEST_PATHS)('the key on the %s path: create (tagged, disabled), read, update everything, list, delete', async (path) => {
        const storeId = await connectedStore();
        const d = h.keyDriver.withPath(path);
        const props = defaultKeyProperties(storeId, { Enabled: false, PendingWindowInDays: 7 });
        const created = await d.create(props);
        ok(created);
        ok(await d.read(created.model!));
        const policy = {
            Version: '2012-10-17',
            Statement: [
                { Sid: 'Account', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${sim.sim.config.accountId}:root` }, Action: 'kms:*', Resource: '*' },
            ],
        };
        const patch = { Description: 'changed', Enabled: true, KeyPolicy: policy, Tags: [{ Key: 'env', Value: 'prod' }] };
        const updated = await d.update(created.model!, path === 'cloudcontrol' ? patch : { ...props, ...patch });
        ok(updated);
        ok(await d.update(updated.model!, path === 'cloudcontrol' ? { Enabled: false } : { ...props, ...patch, Enabled: false }));
        ok(await d.list());
        ok(await d.delete(created.model!));
        // the store now holds a key pending deletion: its delete finds it and keeps the store
        const kept = await h.driver.delete({ ...defaultProperties(), CustomKeyStoreId: storeId });
        ok(kept);
        expect(kept.message).toMatch(/holds 1 KMS key/);
    });

    test('a key create that fails after CreateKey schedules the new key for deletion', async () => {
        const storeId = await connectedStore();
        log.skip();
        await h.sim.control.addFault({ service: 'kms', operation: 'DisableKey', error: 'AccessDeniedException', message: 'not allowed' });
        const r = await h.keyDriver.create(defaultKeyProperties(storeId, { Enabled: false }));
        expect(r.status).toBe('FAILED');
        expect(r.message).toContain('scheduled for deletion');
    });

    test('an update that moves the store to a related cluster', async () => {
        const props = defaultProperties();
        const id = await connectedStore(h.driver, props);
        const moved = defaultProperties({ CloudHsmClusterId: S.relatedClusterId, ClientInstanceId: S.relatedInstanceId });
        ok(await h.driver.update({ ...props, CustomKeyStoreId: id }, moved));
    });

    test('an update that repairs a store FAILED with INVALID_CREDENTIALS', async () => {
        const props = defaultProperties();
        const id = await connectedStore(h.driver, props);
        // kmsuser's password changed by hand, then the store reconnected by hand: KMS fails to log in
        const kms = directKms(h);
        const stateOf = async () => (await h.sim.control.state()).stores[0].connectionState;
        await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        await waitUntil(h, async () => (await stateOf()) === 'DISCONNECTED');
        await h.sim.control.putUser(S.clusterId, { username: 'kmsuser', role: 'crypto-user', password: 'ChangedByHand1' });
        await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
        await waitUntil(h, async () => (await stateOf()) === 'FAILED');
        log.skip();
        ok(await h.driver.update({ ...props, CustomKeyStoreId: id }, props));
    });

    test('a create whose connect fails is rolled back', async () => {
        await h.sim.control.addFault({ kind: 'connectFailure', connectionErrorCode: 'NETWORK_ERRORS' });
        const r = await h.driver.create(defaultProperties());
        expect(r.status).toBe('FAILED');
        expect(r.message).toContain('Rolled back');
    });

    /** A create whose answers never reach CloudFormation: its store stays DISCONNECTED, with its record and bootstrap secret. */
    async function lostCreate(stackId: string): Promise<string> {
        const request = buildHandlerRequest({
            action: 'CREATE',
            bearerToken: newBearerToken(),
            resourceProperties: defaultProperties(),
            callbackContext: null,
            resourceType: h.schema.typeName,
            region: sim.sim.config.region,
            accountId: sim.sim.config.accountId,
            stackId,
            logicalResourceId: 'KeyStore',
        });
        log.skip();
        const response = JSON.parse(JSON.stringify(await h.entrypoint(request, lambdaContext())));
        log.take(usedBy(h.schema.typeName, 'create'));
        expect(response.status).toBe('IN_PROGRESS');
        return response.resourceModel.CustomKeyStoreId as string;
    }

    const driverFor = (stackId: string) =>
        new Driver({
            entrypoint: h.entrypoint,
            schema: h.schema,
            clock: h.clock,
            region: sim.sim.config.region,
            accountId: sim.sim.config.accountId,
            stackId,
            logicalResourceId: 'KeyStore',
            onEvent: (e) => log.take(usedBy(e.request.resourceType, e.action.toLowerCase())),
            log: () => undefined,
        });

    test('a create that resumes its own leftover store (in an account with keys), and a delete after a lost create', async () => {
        const stack = defaultStackId(sim.sim.config.region, sim.sim.config.accountId, 'lost');
        const id = await lostCreate(stack);
        await h.sim.control.putKeys(2);
        const r = await driverFor(stack).create(defaultProperties());
        ok(r);
        expect(r.message).toContain(`Resumed key store ${id}`);

        // a lost create then deleted: its record names the bootstrap secret the delete must remove
        sim.sim.reset('default');
        const lost = await lostCreate(defaultStackId(sim.sim.config.region, sim.sim.config.accountId, 'gone'));
        const d = await h.driver.withPath('cloudcontrol').delete({ CustomKeyStoreId: lost });
        ok(d);
    });

    test('a delete that races a new key reconnects the store', async () => {
        const props = defaultProperties();
        const id = await connectedStore(h.driver, props);
        await h.sim.control.addFault({ service: 'kms', operation: 'DeleteCustomKeyStore', error: 'CustomKeyStoreHasCMKsException' });
        const r = await h.driver.delete({ ...props, CustomKeyStoreId: id });
        ok(r);
        expect(r.message).toContain('reconnected');
    });
});

describe('the custom resource provider', () => {
    let h: CrHarness;
    let log: RequestLog;
    let continuations = 0;

    beforeAll(async () => {
        h = await startCustomResourceHarness({
            onInvocation: (i) => {
                if (i.endedAt === undefined && (i.payload as { continuationOf?: unknown })?.continuationOf) continuations++;
            },
        });
        log = new RequestLog(h.sim);
    });
    afterAll(async () => h?.stop());

    test('a stack with a key store and a key: create, update, delete', async () => {
        log.skip();
        const storeProps = defaultProperties();
        const store = await h.driver.create(storeProps);
        expect(store.status).toBe('SUCCESS');
        const storeId = store.physicalResourceId as string;
        const renamed = { ...storeProps, KeyStoreName: 'Renamed' };
        expect((await h.driver.update(storeId, storeProps, renamed)).status).toBe('SUCCESS');
        const keys = h.driver.resource('Key', KEY.typeName);
        const keyProps = defaultKeyProperties(storeId, { PendingWindowInDays: 7 });
        const key = await keys.create(keyProps);
        expect(key.status).toBe('SUCCESS');
        const keyId = key.physicalResourceId as string;
        const changed = { ...keyProps, Description: 'changed', Enabled: false, Tags: [{ Key: 'env', Value: 'prod' }] };
        expect((await keys.update(keyId, keyProps, changed)).status).toBe('SUCCESS');
        expect((await keys.delete(keyId, changed)).status).toBe('SUCCESS');
        expect((await h.driver.delete(storeId, renamed)).status).toBe('SUCCESS');
        await h.driver.quiet();
        log.take(usedByProvider);
        expect(continuations).toBeGreaterThan(0);
    });
});

describe('the lists match the calls', () => {
    test.each(SCHEMAS.flatMap((s) => HANDLERS.map((handler) => [s.typeName, handler] as const)))('%s %s', (type, handler) => {
        const schema = SCHEMAS.find((s) => s.typeName === type)!;
        const listed = [...schema.handlers[handler].permissions].sort();
        const calls = [...usedBy(type, handler)].sort();
        const allowed = ALLOWED_UNUSED[type][handler] ?? {};
        expect({ missing: calls.filter((a) => !listed.includes(a)) }).toEqual({ missing: [] });
        expect({ unused: listed.filter((p) => !calls.includes(p) && !(p in allowed)) }).toEqual({ unused: [] });
        // an exception must be for a listed permission that really goes unused here
        expect({ staleExceptions: Object.keys(allowed).filter((p) => !listed.includes(p) || calls.includes(p)) }).toEqual({ staleExceptions: [] });
    });

    test('examples/custom-resource-provider.yaml: the role allows every call the provider made, and nothing no handler needs', () => {
        const t = loadTemplate('examples/custom-resource-provider.yaml');
        const [role] = Object.values(t.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
        const statements = (role.Properties?.Policies as Array<{ PolicyDocument: { Statement: Array<{ Sid?: string; Action: string | string[] }> } }>).flatMap(
            (p) => p.PolicyDocument.Statement,
        );
        const granted = new Set(statements.flatMap((s) => ([] as string[]).concat(s.Action)));
        expect({ missing: [...usedByProvider, 'lambda:InvokeFunction'].filter((a) => !granted.has(a)).sort() }).toEqual({ missing: [] });
        const neededSomewhere = new Set([
            ...usedByProvider,
            ...[...used.values()].flatMap((s) => [...s]),
            ...Object.values(ALLOWED_UNUSED).flatMap((byHandler) => Object.values(byHandler).flatMap((a) => Object.keys(a))),
            // the function continues a long wait in a new invocation of itself (seen above), and Lambda writes its logs with its role
            'lambda:InvokeFunction',
            'logs:CreateLogStream',
            'logs:PutLogEvents',
        ]);
        expect({ unused: [...granted].filter((a) => !neededSomewhere.has(a)).sort() }).toEqual({ unused: [] });
    });
});
