import { DeleteParameterCommand, GetParameterCommand, GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { errorOf, Harness, harness } from './helpers';

let h: Harness;
beforeAll(async () => {
    h = await harness();
});
afterAll(() => h.close());
beforeEach(() => h.sim.control.reset());

const NAME = '/custom-kms-cloudhsmkeystore/key-stores/cks-0123456789abcdef0';

test('PutParameter, GetParameter, overwrite, DeleteParameter: the record round trip with the real SDK', async () => {
    const put = await h.ssm.send(
        new PutParameterCommand({ Name: NAME, Value: '{"ClientInstanceId":"i-0123456789abcdef0"}', Type: 'String', Description: 'record' }),
    );
    expect(put).toMatchObject({ Version: 1, Tier: 'Standard' });
    const got = await h.ssm.send(new GetParameterCommand({ Name: NAME }));
    expect(got.Parameter).toMatchObject({ Name: NAME, Type: 'String', Value: '{"ClientInstanceId":"i-0123456789abcdef0"}', Version: 1, DataType: 'text' });
    expect(got.Parameter?.ARN).toBe(`arn:aws:ssm:us-east-1:111122223333:parameter${NAME}`);
    expect(got.Parameter?.LastModifiedDate).toBeInstanceOf(Date);

    expect(await errorOf(h.ssm.send(new PutParameterCommand({ Name: NAME, Value: 'x', Type: 'String' })))).toMatchObject({ name: 'ParameterAlreadyExists' });
    await h.ssm.send(new PutParameterCommand({ Name: NAME, Value: '{}', Type: 'String', Overwrite: true }));
    expect((await h.ssm.send(new GetParameterCommand({ Name: NAME }))).Parameter).toMatchObject({ Value: '{}', Version: 2 });
    expect((await h.sim.control.state()).parameters).toEqual({ [NAME]: '{}' });

    await h.ssm.send(new DeleteParameterCommand({ Name: NAME }));
    expect(await errorOf(h.ssm.send(new GetParameterCommand({ Name: NAME })))).toMatchObject({ name: 'ParameterNotFound' });
    expect(await errorOf(h.ssm.send(new DeleteParameterCommand({ Name: NAME })))).toMatchObject({ name: 'ParameterNotFound' });
});

test('names: reserved prefixes, characters, and a value over the standard tier are refused', async () => {
    expect(await errorOf(h.ssm.send(new PutParameterCommand({ Name: '/aws/thing', Value: 'x', Type: 'String' })))).toMatchObject({
        name: 'ValidationException',
    });
    expect(await errorOf(h.ssm.send(new PutParameterCommand({ Name: '/has space', Value: 'x', Type: 'String' })))).toMatchObject({
        name: 'ValidationException',
    });
    expect(await errorOf(h.ssm.send(new PutParameterCommand({ Name: NAME, Value: 'x'.repeat(4097), Type: 'String' })))).toMatchObject({
        name: 'ValidationException',
    });
    expect(await errorOf(h.ssm.send(new PutParameterCommand({ Name: NAME, Value: 'x' })))).toMatchObject({ name: 'ValidationException' });
});

test('GetParametersByPath pages through one level', async () => {
    for (let i = 0; i < 12; i++) await h.ssm.send(new PutParameterCommand({ Name: `/p/k${String(i).padStart(2, '0')}`, Value: String(i), Type: 'String' }));
    await h.ssm.send(new PutParameterCommand({ Name: '/p/deeper/x', Value: 'deep', Type: 'String' }));
    const first = await h.ssm.send(new GetParametersByPathCommand({ Path: '/p' }));
    expect(first.Parameters).toHaveLength(10);
    const second = await h.ssm.send(new GetParametersByPathCommand({ Path: '/p', NextToken: first.NextToken }));
    expect(second.Parameters?.map((p) => p.Name)).toEqual(['/p/k10', '/p/k11']);
    expect(second.NextToken).toBeUndefined();
    const all = await h.ssm.send(new GetParametersByPathCommand({ Path: '/p', Recursive: true, MaxResults: 10 }));
    expect(all.NextToken).toBeDefined();
});
