import { DeleteParameterCommand, GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmAdapter } from '../../src/aws/ssm';

const ssmMock = mockClient(SSMClient);
const ssm = new SsmAdapter(new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } }));
const md = { $metadata: {} };
const NAME = '/custom-kms-cloudhsmkeystore/key-stores/cks-0123456789abcdef0';

beforeEach(() => ssmMock.reset());
afterAll(() => ssmMock.restore());

describe('SsmAdapter: the key store record in Parameter Store', () => {
    it('getParameter returns the value, and undefined for ParameterNotFound', async () => {
        ssmMock
            .on(GetParameterCommand)
            .resolvesOnce({ Parameter: { Name: NAME, Value: '{"a":1}', Type: 'String' } })
            .rejectsOnce(new ParameterNotFound({ message: 'no', ...md }));
        await expect(ssm.getParameter(NAME)).resolves.toBe('{"a":1}');
        await expect(ssm.getParameter(NAME)).resolves.toBeUndefined();
        expect(ssmMock.commandCalls(GetParameterCommand)[0].args[0].input).toStrictEqual({ Name: NAME });
    });

    it('getParameter passes any other error on', async () => {
        ssmMock.on(GetParameterCommand).rejects(new SSMServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'denied', ...md }));
        await expect(ssm.getParameter(NAME)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    });

    it('putParameter writes a String parameter, overwriting', async () => {
        ssmMock.on(PutParameterCommand).resolves({ Version: 2 });
        await ssm.putParameter(NAME, '{}', 'record');
        expect(ssmMock.commandCalls(PutParameterCommand)[0].args[0].input).toStrictEqual({
            Name: NAME,
            Value: '{}',
            Type: 'String',
            Overwrite: true,
            Description: 'record',
        });
    });

    it('deleteParameter treats ParameterNotFound as done and passes other errors on', async () => {
        ssmMock
            .on(DeleteParameterCommand)
            .rejectsOnce(new ParameterNotFound({ message: 'gone', ...md }))
            .rejectsOnce(new SSMServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'slow', ...md }));
        await expect(ssm.deleteParameter(NAME)).resolves.toBeUndefined();
        await expect(ssm.deleteParameter(NAME)).rejects.toMatchObject({ name: 'ThrottlingException' });
    });
});
