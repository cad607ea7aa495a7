import {
    DescribeInstanceInformationCommand,
    GetCommandInvocationCommand,
    InvalidCommandId,
    InvalidInstanceId,
    InvocationDoesNotExist,
    ListCommandsCommand,
    SendCommandCommand,
    SSMClient,
    SSMServiceException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmAdapter } from '../../src/aws/ssm';

const ssmMock = mockClient(SSMClient);
const ssm = new SsmAdapter(new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } }));
const md = { $metadata: {} };
const I = 'i-0123456789abcdef0';
const CMD = '92853adf-ba41-4cd6-9a88-142d1EXAMPLE';

beforeEach(() => ssmMock.reset());
afterAll(() => ssmMock.restore());

describe('SsmAdapter.pingStatus', () => {
    it('sends DescribeInstanceInformation filtered on InstanceIds and returns the PingStatus', async () => {
        ssmMock.on(DescribeInstanceInformationCommand).resolves({
            InstanceInformationList: [
                { InstanceId: 'i-other000000000000', PingStatus: 'ConnectionLost' },
                { InstanceId: I, PingStatus: 'Online', PlatformType: 'Linux' },
            ],
        });
        await expect(ssm.pingStatus(I)).resolves.toBe('Online');
        expect(ssmMock.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input)).toStrictEqual([
            { Filters: [{ Key: 'InstanceIds', Values: [I] }] },
        ]);
        expect(ssmMock.calls()).toHaveLength(1);
    });

    it('returns ConnectionLost as is', async () => {
        ssmMock.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: I, PingStatus: 'ConnectionLost' }] });
        await expect(ssm.pingStatus(I)).resolves.toBe('ConnectionLost');
    });

    it.each([
        ['an empty list', { InstanceInformationList: [] }],
        ['no list member', {}],
        ['only other instances', { InstanceInformationList: [{ InstanceId: 'i-other000000000000', PingStatus: 'Online' as const }] }],
    ])('returns undefined for %s', async (_label, out) => {
        ssmMock.on(DescribeInstanceInformationCommand).resolves(out);
        await expect(ssm.pingStatus(I)).resolves.toBeUndefined();
    });

    it('maps InvalidInstanceId (real SDK class) to undefined', async () => {
        ssmMock.on(DescribeInstanceInformationCommand).rejects(new InvalidInstanceId({ message: 'bad id', Message: 'bad id', ...md }));
        await expect(ssm.pingStatus(I)).resolves.toBeUndefined();
    });

    it('maps a base-class error named InvalidInstanceId to undefined', async () => {
        ssmMock.on(DescribeInstanceInformationCommand).rejects(new SSMServiceException({ name: 'InvalidInstanceId', $fault: 'client', ...md }));
        await expect(ssm.pingStatus(I)).resolves.toBeUndefined();
    });

    it('propagates other errors unchanged', async () => {
        const err = new SSMServiceException({ name: 'InvalidInstanceInformationFilterValue', $fault: 'client', ...md });
        ssmMock.on(DescribeInstanceInformationCommand).rejects(err);
        await expect(ssm.pingStatus(I)).rejects.toBe(err);
    });
});

describe('SsmAdapter.sendShellScript', () => {
    const p = { instanceId: I, commands: ['set -eu', 'echo hi'], comment: 'kmsuser cks-1 create', timeoutSeconds: 120 };

    it('sends AWS-RunShellScript with InstanceIds, Parameters.commands, TimeoutSeconds and Comment; returns the CommandId', async () => {
        ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: CMD, Status: 'Pending' } });
        await expect(ssm.sendShellScript(p)).resolves.toBe(CMD);
        expect(ssmMock.commandCalls(SendCommandCommand).map((c) => c.args[0].input)).toStrictEqual([
            {
                DocumentName: 'AWS-RunShellScript',
                InstanceIds: [I],
                Parameters: { commands: ['set -eu', 'echo hi'], executionTimeout: ['120'] },
                TimeoutSeconds: 120,
                Comment: 'kmsuser cks-1 create',
            },
        ]);
        expect(ssmMock.calls()).toHaveLength(1);
    });

    it('sends executionTimeout (the run time) apart from TimeoutSeconds (the delivery timeout) when given', async () => {
        ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: CMD, Status: 'Pending' } });
        await ssm.sendShellScript({ ...p, executionTimeoutSeconds: 600 });
        expect(ssmMock.commandCalls(SendCommandCommand)[0].args[0].input).toMatchObject({
            Parameters: { commands: ['set -eu', 'echo hi'], executionTimeout: ['600'] },
            TimeoutSeconds: 120,
        });
    });

    it.each([
        ['no Command', {}],
        ['no CommandId', { Command: { Status: 'Pending' as const } }],
    ])('throws when SendCommand returns %s', async (_label, out) => {
        ssmMock.on(SendCommandCommand).resolves(out);
        await expect(ssm.sendShellScript(p)).rejects.toThrow('SendCommand returned no CommandId');
    });

    it('propagates errors unchanged, InvalidInstanceId included (only pingStatus maps it)', async () => {
        const err = new InvalidInstanceId({ message: 'agent not running', Message: 'agent not running', ...md });
        ssmMock.on(SendCommandCommand).rejects(err);
        await expect(ssm.sendShellScript(p)).rejects.toBe(err);
    });
});

describe('SsmAdapter.findCommandByComment', () => {
    function listInputs() {
        return ssmMock.commandCalls(ListCommandsCommand).map((c) => c.args[0].input);
    }

    it('finds a match on the first page with one call (InstanceId, MaxResults 50, no NextToken)', async () => {
        ssmMock.on(ListCommandsCommand).resolves({
            Commands: [
                { CommandId: 'c-other', Comment: 'kmsuser cks-1 create-other' },
                { CommandId: 'c-hit', Comment: 'kmsuser cks-1 create' },
                { CommandId: 'c-older', Comment: 'kmsuser cks-1 create' },
            ],
            NextToken: 'more',
        });
        await expect(ssm.findCommandByComment(I, 'kmsuser cks-1 create')).resolves.toBe('c-hit');
        expect(listInputs()).toStrictEqual([{ InstanceId: I, NextToken: undefined, MaxResults: 50 }]);
    });

    it('follows NextToken across pages until a match', async () => {
        ssmMock
            .on(ListCommandsCommand)
            .resolvesOnce({ Commands: [{ CommandId: 'a', Comment: 'x' }], NextToken: 't2' })
            .resolvesOnce({ Commands: [], NextToken: 't3' })
            .resolvesOnce({ Commands: [{ CommandId: 'b', Comment: 'wanted' }], NextToken: 't4' });
        await expect(ssm.findCommandByComment(I, 'wanted')).resolves.toBe('b');
        expect(listInputs()).toStrictEqual([
            { InstanceId: I, NextToken: undefined, MaxResults: 50 },
            { InstanceId: I, NextToken: 't2', MaxResults: 50 },
            { InstanceId: I, NextToken: 't3', MaxResults: 50 },
        ]);
    });

    it('returns undefined after the last page (NextToken absent) without a match', async () => {
        ssmMock
            .on(ListCommandsCommand)
            .resolvesOnce({ Commands: [{ CommandId: 'a', Comment: 'x' }], NextToken: 't2' })
            .resolvesOnce({ Commands: [{ CommandId: 'b', Comment: 'WANTED' }] })
            .resolves({ Commands: [{ CommandId: 'never', Comment: 'wanted' }] });
        await expect(ssm.findCommandByComment(I, 'wanted')).resolves.toBeUndefined();
        expect(listInputs()).toHaveLength(2);
    });

    it('returns undefined for an empty answer and stops on an empty NextToken', async () => {
        ssmMock.on(ListCommandsCommand).resolvesOnce({}).resolvesOnce({ Commands: [], NextToken: '' });
        await expect(ssm.findCommandByComment(I, 'wanted')).resolves.toBeUndefined();
        await expect(ssm.findCommandByComment(I, 'wanted')).resolves.toBeUndefined();
        expect(listInputs()).toHaveLength(2);
    });

    it('skips a matching entry without a CommandId', async () => {
        ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ Comment: 'wanted' }] });
        await expect(ssm.findCommandByComment(I, 'wanted')).resolves.toBeUndefined();
    });

    it('propagates errors unchanged', async () => {
        const err = new SSMServiceException({ name: 'InvalidNextToken', $fault: 'client', ...md });
        ssmMock.on(ListCommandsCommand).rejects(err);
        await expect(ssm.findCommandByComment(I, 'wanted')).rejects.toBe(err);
    });
});

describe('SsmAdapter.getInvocation', () => {
    it('sends GetCommandInvocation with CommandId and InstanceId and returns a plain Invocation', async () => {
        ssmMock.on(GetCommandInvocationCommand).resolves({
            CommandId: CMD,
            InstanceId: I,
            Status: 'Success',
            StatusDetails: 'Success',
            ResponseCode: 0,
            StandardOutputContent: '{"ok":true}\n',
            StandardErrorContent: 'warn\n',
        });
        await expect(ssm.getInvocation(CMD, I)).resolves.toStrictEqual({
            state: 'success',
            status: 'Success',
            statusCode: 'Success',
            stdout: '{"ok":true}\n',
            stderr: 'warn\n',
        });
        expect(ssmMock.commandCalls(GetCommandInvocationCommand).map((c) => c.args[0].input)).toStrictEqual([{ CommandId: CMD, InstanceId: I }]);
    });

    it.each([
        ['Pending', 'pending'],
        ['InProgress', 'pending'],
        ['Delayed', 'pending'],
        ['Cancelling', 'pending'],
        ['Success', 'success'],
        ['Failed', 'failed'],
        ['TimedOut', 'failed'],
        ['Cancelled', 'failed'],
    ] as const)('maps Status %s to %s', async (status, state) => {
        ssmMock.on(GetCommandInvocationCommand).resolves({ Status: status });
        await expect(ssm.getInvocation(CMD, I)).resolves.toStrictEqual({ state, status, statusCode: status, stdout: '', stderr: '' });
    });

    it('reports StatusDetails as status when present', async () => {
        ssmMock.on(GetCommandInvocationCommand).resolves({ Status: 'TimedOut', StatusDetails: 'Execution Timed Out' });
        await expect(ssm.getInvocation(CMD, I)).resolves.toMatchObject({ state: 'failed', status: 'Execution Timed Out', statusCode: 'TimedOut' });
    });

    it('treats a missing Status as Pending', async () => {
        ssmMock.on(GetCommandInvocationCommand).resolves({});
        await expect(ssm.getInvocation(CMD, I)).resolves.toStrictEqual({ state: 'pending', status: 'Pending', statusCode: 'Pending', stdout: '', stderr: '' });
    });

    it('maps InvocationDoesNotExist (real SDK class, and base class by name) to undefined', async () => {
        ssmMock
            .on(GetCommandInvocationCommand)
            .rejectsOnce(new InvocationDoesNotExist({ message: 'UnknownError', ...md }))
            .rejectsOnce(new SSMServiceException({ name: 'InvocationDoesNotExist', $fault: 'client', ...md }));
        await expect(ssm.getInvocation(CMD, I)).resolves.toBeUndefined();
        await expect(ssm.getInvocation(CMD, I)).resolves.toBeUndefined();
    });

    it('propagates other errors unchanged (InvalidCommandId, InvalidInstanceId)', async () => {
        const badCmd = new InvalidCommandId({ message: 'Invalid command id.', ...md });
        const badInst = new InvalidInstanceId({ message: 'x', Message: 'x', ...md });
        ssmMock.on(GetCommandInvocationCommand).rejectsOnce(badCmd).rejectsOnce(badInst);
        await expect(ssm.getInvocation(CMD, I)).rejects.toBe(badCmd);
        await expect(ssm.getInvocation(CMD, I)).rejects.toBe(badInst);
    });
});
