import { ContractViolation, Driver, DriverEvent, OperationResult, TIMEOUT_ERROR_CODE } from '../../local/driver';
import type { Props } from '../../local/schema';
import { TOY_CREATE, TOY_UPDATE, toyDriver, toySchema, useFastQuietToy } from './fixtures/harness';
import { entrypoint, resource, toy, ToyQuirk, ToyViolation } from './fixtures/toy-resource';

useFastQuietToy();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function created(d: Driver, props: Props = TOY_CREATE): Promise<Props> {
    const r = await d.create(props);
    expect(r.status).toBe('SUCCESS');
    return r.model!;
}

describe('the HandlerRequest the driver sends', () => {
    test('CREATE: CloudFormation shape, one bearer token per operation, context and model fed back', async () => {
        const events: DriverEvent[] = [];
        const d = toyDriver({ onEvent: (e) => events.push(e), logicalResourceId: 'MyToy' });
        const r = await d.create(TOY_CREATE);
        expect(r.status).toBe('SUCCESS');
        expect(r.model).toEqual({ Id: 'toy-00000001', Name: 'first', Size: 3, Zone: 'a', Status: 'READY' });
        expect(events.map((e) => e.attempt)).toEqual([1, 2, 3]);

        const [first, second, third] = events.map((e) => e.request);
        expect(Object.keys(first).sort()).toEqual([
            'action',
            'awsAccountId',
            'bearerToken',
            'callbackContext',
            'region',
            'requestData',
            'resourceType',
            'resourceTypeVersion',
            'stackId',
        ]);
        expect(first).toMatchObject({
            action: 'CREATE',
            awsAccountId: '111122223333',
            region: 'us-east-1',
            resourceType: 'Local::Test::Toy',
            resourceTypeVersion: '00000001',
            callbackContext: null,
        });
        expect(first.bearerToken).toMatch(UUID);
        expect(first.stackId).toMatch(/^arn:aws:cloudformation:us-east-1:111122223333:stack\/local-stack\//);
        expect(first.requestData).toEqual({
            callerCredentials: expect.objectContaining({ accessKeyId: expect.any(String), secretAccessKey: expect.any(String) }),
            resourceProperties: TOY_CREATE,
            logicalResourceId: 'MyToy',
            stackTags: {},
            systemTags: {
                'aws:cloudformation:stack-name': 'local-stack',
                'aws:cloudformation:stack-id': first.stackId,
                'aws:cloudformation:logical-id': 'MyToy',
            },
        });
        expect(JSON.stringify(first)).not.toContain('providerCredentials');

        expect(second.bearerToken).toBe(first.bearerToken);
        expect(third.bearerToken).toBe(first.bearerToken);
        expect(second.callbackContext).toEqual(events[0].response.callbackContext);
        expect(second.requestData.resourceProperties).toEqual(events[0].response.resourceModel);
        expect(third.callbackContext).toEqual({ step: 2 });

        // what the handler saw through the real library
        expect(toy.calls.map((c) => c.clientRequestToken)).toEqual([first.bearerToken, first.bearerToken, first.bearerToken]);
        expect(toy.calls.map((c) => c.callbackContext)).toEqual([{}, { step: 1 }, { step: 2 }]);
        expect(toy.calls[2].desired).toEqual({ ...TOY_CREATE, Id: 'toy-00000001' });
        expect(r.bearerToken).toBe(first.bearerToken);
    });

    test('each operation gets a new bearer token', async () => {
        const d = toyDriver();
        const m = await created(d);
        const tokens = [(await d.read(m)).bearerToken, (await d.update(m, TOY_UPDATE)).bearerToken, (await d.delete(m)).bearerToken];
        expect(new Set([...tokens, toy.calls[0].clientRequestToken]).size).toBe(4);
    });

    test('UPDATE sends the identifier in the desired state and the last known properties as previous', async () => {
        const d = toyDriver();
        const m = await created(d);
        const r = await d.update(m, TOY_UPDATE);
        expect(r.status).toBe('SUCCESS');
        expect(r.model).toEqual({ Id: m.Id, Name: 'second', Size: 4, Zone: 'a', Status: 'READY' });
        const call = toy.calls.filter((c) => c.action === 'UPDATE')[0];
        expect(call.desired).toEqual({ ...TOY_UPDATE, Id: m.Id });
        expect(call.previous).toEqual({ ...TOY_CREATE, ...m }); // template (with the write-only Secret) + outputs
        expect(r.events[0].request.requestData.previousStackTags).toEqual({});
    });

    test('READ and DELETE send the identifier plus the last known properties (write-only ones included)', async () => {
        const d = toyDriver();
        const m = await created(d);
        await d.update(m, TOY_UPDATE);
        expect((await d.read({ Id: m.Id })).status).toBe('SUCCESS');
        expect(toy.calls.filter((c) => c.action === 'READ')[0].desired).toMatchObject({ Id: m.Id, Secret: 's3cret-2', Name: 'second' });
        const del = await d.delete({ Id: m.Id });
        expect(del.status).toBe('SUCCESS');
        expect(del.model).toBeUndefined();
        expect(toy.calls.filter((c) => c.action === 'DELETE')[0].desired).toMatchObject({ Id: m.Id, Secret: 's3cret-2' });
    });

    test("the library's own resource.entrypoint plugs in as it is", async () => {
        const r = await toyDriver({ entrypoint: resource.entrypoint }).create(TOY_CREATE);
        expect(r).toMatchObject({ status: 'SUCCESS', model: { Id: 'toy-00000001' } });
    });

    test('a model without the primary identifier is a usage error', async () => {
        await expect(toyDriver().read({ Name: 'x' })).rejects.toThrow(/READ: the model must carry the primary identifier \(Id\)/);
    });
});

describe('validation before the handler is called', () => {
    test('CREATE with invalid properties: FAILED InvalidRequest, handler never called', async () => {
        const r = await toyDriver().create({ Name: '', Secret: 's', Size: 1000, Id: 'toy-00000001', Extra: true });
        expect(r).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest', invokedHandler: false, events: [] });
        expect(r.message).toContain('#/Id: is read-only and must not be supplied');
        expect(r.message).toContain('#/Name: must NOT have fewer than 1 characters');
        expect(r.message).toContain('#/Size: must be <= 100');
        expect(r.message).toContain('#/Extra: is not a property of Local::Test::Toy');
        expect(toy.calls).toEqual([]);
    });

    test('UPDATE validates too, and a createOnly change is NotUpdatable (no replacement)', async () => {
        const d = toyDriver();
        const m = await created(d, { ...TOY_CREATE, Zone: 'b' });
        const bad = await d.update(m, { ...TOY_UPDATE, Zone: 'b', Size: 0 });
        expect(bad).toMatchObject({ status: 'FAILED', errorCode: 'InvalidRequest', invokedHandler: false });
        const moved = await d.update(m, { ...TOY_UPDATE, Zone: 'c' });
        expect(moved).toMatchObject({ status: 'FAILED', errorCode: 'NotUpdatable', invokedHandler: false });
        expect(moved.message).toContain('Zone ("b" -> "c")');
        // leaving a createOnly property out means its default ("a"), which is a change from "b"
        expect((await d.update(m, TOY_UPDATE)).errorCode).toBe('NotUpdatable');
        expect((await d.update(m, { ...TOY_UPDATE, Zone: 'b' })).status).toBe('SUCCESS');
        expect(toy.calls.filter((c) => c.action === 'UPDATE').length).toBe(toy.updateSteps);
    });

    test('absent vs schema default of a createOnly property is no change', async () => {
        const d = toyDriver();
        const m = await created(d); // Zone left out: default "a"
        expect((await d.update(m, { ...TOY_UPDATE, Zone: 'a' })).status).toBe('SUCCESS');
    });
});

describe('IN_PROGRESS loop, time scaling and timeouts', () => {
    test('sleeps callbackDelaySeconds * timeScale between calls; simulated time adds up', async () => {
        toy.delaySeconds = 5;
        const d = toyDriver({ timeScale: 0.02 }); // 2 waits of 5 s -> 2 x 100 ms
        const r = await d.create(TOY_CREATE);
        expect(r.status).toBe('SUCCESS');
        expect(r.elapsedRealMs).toBeGreaterThanOrEqual(195);
        expect(r.elapsedSimSeconds).toBeGreaterThanOrEqual(10);
        expect(r.events[2].elapsedSimSeconds).toBeCloseTo(r.elapsedSimSeconds, 6);
    });

    test('a handler that never stabilizes hits timeoutInMinutes (simulated) and fails loudly', async () => {
        toy.quirks.add('never-stabilizes');
        toy.delaySeconds = 30;
        const lines: string[] = [];
        const t0 = Date.now();
        const r = await toyDriver({ timeScale: 0.005, log: (l) => lines.push(l) }).create(TOY_CREATE); // 30 s -> 150 ms
        expect(Date.now() - t0).toBeLessThan(2000);
        expect(r).toMatchObject({ status: 'FAILED', errorCode: TIMEOUT_ERROR_CODE, timedOut: true });
        expect(r.message).toMatch(/^Timeout: CREATE did not finish within timeoutInMinutes=2 /);
        expect(r.elapsedSimSeconds).toBeGreaterThan(120);
        expect(r.events.length).toBeGreaterThanOrEqual(2);
        expect(r.events.length).toBeLessThanOrEqual(4); // 30 s a round: never more than 120 s of waits
        expect(lines).toEqual([expect.stringContaining('Local::Test::Toy Timeout: CREATE did not finish')]);
    });

    test('handler run time counts too: real ms / timeScale', async () => {
        toy.quirks.add('never-stabilizes');
        toy.delaySeconds = 0;
        const slow = async (ev: unknown, ctx?: unknown): Promise<unknown> => {
            await new Promise((res) => setTimeout(res, 150));
            return entrypoint(ev, ctx);
        };
        const r = await toyDriver({ entrypoint: slow, timeScale: 0.001 }).create(TOY_CREATE); // 150 ms = 150 s > 120 s
        expect(r.timedOut).toBe(true);
        expect(r.events.length).toBe(1);
    });

    test('IN_PROGRESS forever with no delay is stopped by maxInvocations', async () => {
        toy.quirks.add('never-stabilizes');
        toy.delaySeconds = 0;
        const p = toyDriver({ maxInvocations: 5, timeScale: 1 }).create(TOY_CREATE);
        await expect(p).rejects.toThrow(/still IN_PROGRESS after 5 invocations/);
    });
});

describe('LIST follows nextToken', () => {
    test('collects every page (the toy works around the 1.0.6 nextToken drop)', async () => {
        const d = toyDriver();
        for (let i = 0; i < 5; i++) await created(d, { ...TOY_CREATE, Name: `n${i}` });
        const r = await d.list();
        expect(r.status).toBe('SUCCESS');
        expect(r.models!.map((m) => m.Name)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
        expect(r.events.map((e) => e.request.nextToken)).toEqual([undefined, 'page-2', 'page-4']);
        expect(toy.calls.filter((c) => c.action === 'LIST').map((c) => c.nextToken)).toEqual([undefined, 'page-2', 'page-4']);
        expect(new Set(r.events.map((e) => e.request.bearerToken)).size).toBe(1);
    });

    test('an empty list', async () => {
        const r = await toyDriver().list();
        expect(r).toMatchObject({ status: 'SUCCESS', models: [] });
    });
});

describe('contract violations are caught on every response', () => {
    type Case = [ToyViolation, (d: Driver, m: Props) => Promise<OperationResult>, string, (() => void) | null];
    const create = (d: Driver): Promise<OperationResult> => d.create(TOY_CREATE);
    const oneStep = (): void => {
        toy.createSteps = 1;
    };
    const cases: Case[] = [
        ['progress-without-id', create, 'IN_PROGRESS resourceModel must carry the primary identifier (Id)', null],
        ['progress-drops-writeonly', create, 'IN_PROGRESS resourceModel dropped write-only property Secret', null],
        ['progress-with-errorcode', create, 'IN_PROGRESS must not carry an errorCode (got "NotStabilized")', null],
        ['progress-fractional-delay', create, 'IN_PROGRESS callbackDelaySeconds must be an integer >= 0, got 1.5', null],
        ['progress-negative-delay', create, 'IN_PROGRESS callbackDelaySeconds must be an integer >= 0, got -1', null],
        ['status-pending', create, 'status must be one of SUCCESS, FAILED, IN_PROGRESS; got "PENDING"', null],
        ['message-not-string', create, 'message must be a string, got 42', null],
        ['success-with-writeonly', create, 'SUCCESS resourceModel must not contain write-only properties: Secret', oneStep],
        ['success-with-errorcode', create, 'SUCCESS must not carry an errorCode (got "InternalFailure")', oneStep],
        ['success-with-delay', create, 'SUCCESS must have callbackDelaySeconds 0, got 3', oneStep],
        ['success-output-differs', create, 'CREATE SUCCESS resourceModel.Name must equal the input: input "first", output "first-changed"', oneStep],
        ['success-bad-output-type', create, 'CREATE SUCCESS resourceModel does not match the schema: #/Size: must be integer', oneStep],
        ['create-returns-resourceModels', create, 'CREATE SUCCESS must not carry resourceModels', oneStep],
        ['update-changes-id', (d, m) => d.update(m, TOY_UPDATE), 'UPDATE SUCCESS returned a different primary identifier', null],
        ['read-without-id', (d, m) => d.read(m), 'READ SUCCESS resourceModel must carry the primary identifier (Id)', null],
        ['read-returns-writeonly', (d, m) => d.read(m), 'SUCCESS resourceModel must not contain write-only properties: Secret', null],
        ['list-without-id', (d) => d.list(), 'LIST resourceModels[0] must carry the primary identifier (Id)', null],
        ['success-with-writeonly', (d) => d.list(), 'SUCCESS resourceModels[0] must not contain write-only properties: Secret', null],
        ['delete-returns-model', (d, m) => d.delete(m), 'DELETE SUCCESS must not have a resourceModel key at all', null],
        ['failed-bad-code', (d) => d.read({ Id: 'toy-deadbeef' }), 'FAILED errorCode must be one of the HandlerErrorCode values, got "Gone"', null],
        ['failed-without-code', (d) => d.read({ Id: 'toy-deadbeef' }), 'FAILED must carry an errorCode', null],
        ['failed-with-delay', (d) => d.read({ Id: 'toy-deadbeef' }), 'FAILED must have callbackDelaySeconds 0, got 5', null],
        ['failed-empty-message', (d) => d.delete({ Id: 'toy-deadbeef' }), 'FAILED must carry a non-empty message', null],
        ['list-ignores-token', (d) => d.list(), 'LIST returned the nextToken it was called with ("page-2"): paging would loop forever', null],
        ['list-token-cycle', (d) => d.list(), 'LIST nextToken "A" was already returned on page 1: paging would loop forever', null],
    ];

    test.each(cases)('%s', async (violation, run, expected, setup) => {
        const d = toyDriver();
        // a healthy resource (or three, for paging) first, then the switch
        const m = await created(d);
        await created(d, { ...TOY_CREATE, Name: 'b' });
        await created(d, { ...TOY_CREATE, Name: 'c' });
        setup?.();
        toy.violations.add(violation);
        const err = await run(d, m).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ContractViolation);
        const cv = err as ContractViolation;
        expect(cv.violations).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
        expect(cv.message).toContain(expected);
        expect(cv.response).toBeDefined();
    });

    test('a LIST whose nextToken never becomes null is stopped after 1000 pages', async () => {
        toy.violations.add('list-never-ends');
        const err = await toyDriver()
            .list()
            .then(
                () => undefined,
                (e: unknown) => e,
            );
        expect(err).toBeInstanceOf(ContractViolation);
        expect((err as ContractViolation).violations).toEqual(['LIST did not finish within 1000 pages: nextToken never became null']);
        expect(toy.calls.length).toBe(1000);
    }, 30000);

    test('an entrypoint that throws (instead of returning a ProgressEvent) is a violation', async () => {
        toy.quirks.add('entrypoint-throws');
        await expect(toyDriver().create(TOY_CREATE)).rejects.toThrow(
            /entrypoint threw instead of returning a ProgressEvent: TypeError: toy entrypoint exploded/,
        );
    });

    test('the violation carries the action, attempt, request and response', async () => {
        toy.violations.add('progress-without-id');
        const err = (await toyDriver()
            .create(TOY_CREATE)
            .catch((e: unknown) => e)) as ContractViolation;
        expect(err.name).toBe('ContractViolation');
        expect(err.action).toBe('CREATE');
        expect(err.attempt).toBe(1);
        expect((err.request as { action: string }).action).toBe('CREATE');
        expect(err.message).toMatch(/^CREATE \(invocation 1\): handler contract violated:\n {2}- IN_PROGRESS resourceModel must carry/);
    });
});

describe('contractSequence (what cfn test checks)', () => {
    const names = [
        'create',
        'read after create',
        'update',
        'read after update',
        'list contains it',
        'delete',
        'read after delete',
        'update after delete',
        'delete after delete',
        'list after delete',
    ];

    test('a correct handler passes every step', async () => {
        toy.pageSize = 1; // the created one must be found across pages
        const d = toyDriver();
        await created(d, { ...TOY_CREATE, Name: 'other' });
        const report = await d.contractSequence(TOY_CREATE, TOY_UPDATE);
        expect(report.steps.map((s) => s.step)).toEqual(names);
        expect(report.steps.filter((s) => !s.passed)).toEqual([]);
        expect(report.passed).toBe(true);
        expect(report.identifier).toEqual({ Id: 'toy-00000002' });
        expect(report.steps[6].result).toMatchObject({ status: 'FAILED', errorCode: 'NotFound' });
    });

    const quirks: Array<[ToyQuirk, string, RegExp]> = [
        ['read-after-delete-succeeds', 'read after delete', /expected FAILED NotFound, got SUCCESS/],
        ['delete-after-delete-succeeds', 'delete after delete', /expected FAILED NotFound, got SUCCESS/],
        ['list-keeps-deleted', 'list after delete', /LIST still contains the deleted \{"Id":"toy-00000001"\}/],
        ['read-drift', 'read after create', /read model differs from the last written model on Name \("first" vs "drifted"\)/],
    ];
    test.each(quirks)('%s fails step "%s"', async (quirk, stepName, reason) => {
        toy.quirks.add(quirk);
        const report = await toyDriver().contractSequence(TOY_CREATE, TOY_UPDATE);
        expect(report.passed).toBe(false);
        const failed = report.steps.filter((s) => !s.passed);
        expect(failed.map((s) => s.step)).toContain(stepName);
        expect(report.steps.find((s) => s.step === stepName)!.reason).toMatch(reason);
    });

    test('a contract violation fails its step; the steps that depend on it are skipped', async () => {
        toy.violations.add('delete-returns-model');
        const report = await toyDriver().contractSequence(TOY_CREATE, TOY_UPDATE);
        const byName = Object.fromEntries(report.steps.map((s) => [s.step, s]));
        expect(byName['update'].passed).toBe(true);
        expect(byName['delete'].passed).toBe(false);
        expect(byName['delete'].reason).toContain('DELETE SUCCESS must not have a resourceModel key at all');
        for (const n of names.slice(6)) expect(byName[n].skipped).toBe(true);
    });

    test('a create that fails skips everything else', async () => {
        const report = await toyDriver().contractSequence({ Name: 'x' }, TOY_UPDATE);
        expect(report.steps[0]).toMatchObject({ step: 'create', passed: false });
        expect(report.steps[0].reason).toMatch(/expected SUCCESS, got FAILED InvalidRequest: .*#\/Secret: is required/);
        expect(report.steps.slice(1).every((s) => s.skipped)).toBe(true);
    });

    test('the toy schema is the one the driver enforces', () => {
        expect(toySchema.writeOnly).toEqual(['Secret']);
    });
});

describe('the request paths: what a stack, Cloud Control and cfn test each send', () => {
    test('cfn test: exactly the fields resource_client.make_request builds; the token is the logical id', async () => {
        const events: DriverEvent[] = [];
        const d = toyDriver({ onEvent: (e) => events.push(e), path: 'cfntest' });
        const model = await created(d);
        await d.read(model);
        const req = events[events.length - 1].request;
        expect(Object.keys(req).sort()).toEqual(['action', 'awsAccountId', 'bearerToken', 'callbackContext', 'region', 'requestData', 'resourceType']);
        expect(Object.keys(req.requestData).sort()).toEqual([
            'callerCredentials',
            'logicalResourceId',
            'previousResourceProperties',
            'resourceProperties',
            'typeConfiguration',
        ]);
        expect(req.requestData.logicalResourceId).toBe(req.bearerToken);
        expect(req.requestData.resourceProperties).toEqual(model);
    });

    test("cfn test UPDATE: the created model's read-only properties, the update input and the identifier; previous = the created model", async () => {
        const events: DriverEvent[] = [];
        const d = toyDriver({ onEvent: (e) => events.push(e), path: 'cfntest' });
        const model = await created(d);
        const r = await d.update(model, TOY_UPDATE);
        expect(r.status).toBe('SUCCESS');
        const req = events.find((e) => e.action === 'UPDATE')!.request;
        expect(req.requestData.resourceProperties).toEqual({ ...TOY_UPDATE, Id: model.Id, Status: model.Status });
        expect(req.requestData.previousResourceProperties).toEqual(model);
    });

    test('Cloud Control: READ and DELETE carry the identifier only; UPDATE reads first and sends the read model with the patch', async () => {
        const events: DriverEvent[] = [];
        const d = toyDriver({ onEvent: (e) => events.push(e), path: 'cloudcontrol' });
        const model = await created(toyDriver());
        await d.read(model);
        expect(events[0].request.requestData.resourceProperties).toEqual({ Id: model.Id });
        const r = await d.update(model, { Size: 9 });
        expect(r.status).toBe('SUCCESS');
        const actions = events.map((e) => e.action);
        expect(actions.slice(1, 3)).toEqual(['READ', 'UPDATE']);
        const update = events.find((e) => e.action === 'UPDATE')!.request;
        expect(update.requestData.resourceProperties).toEqual({ ...events[1].response.resourceModel, Size: 9 });
        expect(update.requestData.previousResourceProperties).toEqual(events[1].response.resourceModel);
        await d.delete(r.model!);
        expect(events[events.length - 1].request.requestData.resourceProperties).toEqual({ Id: model.Id });
    });
});
