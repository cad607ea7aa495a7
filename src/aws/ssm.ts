import {
    DeleteParameterCommand,
    DescribeInstanceInformationCommand,
    GetCommandInvocationCommand,
    GetParameterCommand,
    ListCommandsCommand,
    PutParameterCommand,
    SendCommandCommand,
    SSMClient,
} from '@aws-sdk/client-ssm';
import { errorName } from './error-name';

export type InvocationState = 'pending' | 'success' | 'failed';

export interface Invocation {
    state: InvocationState;
    /** StatusDetails (free text, e.g. ExecutionTimedOut), else Status. */
    status: string;
    /** Status (CommandInvocationStatus: Success, Failed, TimedOut, Cancelled, ...), when known. */
    statusCode?: string;
    stdout: string;
    stderr: string;
}

const PENDING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

export class SsmAdapter {
    constructor(private readonly client: SSMClient) {}

    /** The instance's SSM ping status, or undefined when SSM does not know the instance. */
    async pingStatus(instanceId: string): Promise<string | undefined> {
        try {
            const out = await this.client.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }));
            return out.InstanceInformationList?.find((i) => i.InstanceId === instanceId)?.PingStatus;
        } catch (err) {
            if (errorName(err) === 'InvalidInstanceId') return undefined;
            throw err;
        }
    }

    /**
     * AWS-RunShellScript. `timeoutSeconds` is SendCommand's TimeoutSeconds, the delivery timeout ("If this time is
     * reached and the command hasn't already started running, it won't run"); `executionTimeoutSeconds` the document's
     * executionTimeout, after which the agent stops the script (default: the delivery timeout).
     */
    async sendShellScript(p: {
        instanceId: string;
        commands: string[];
        comment: string;
        timeoutSeconds: number;
        executionTimeoutSeconds?: number;
    }): Promise<string> {
        const out = await this.client.send(
            new SendCommandCommand({
                DocumentName: 'AWS-RunShellScript',
                InstanceIds: [p.instanceId],
                Parameters: { commands: p.commands, executionTimeout: [String(p.executionTimeoutSeconds ?? p.timeoutSeconds)] },
                TimeoutSeconds: p.timeoutSeconds,
                Comment: p.comment,
            }),
        );
        const id = out.Command?.CommandId;
        if (!id) throw new Error('SendCommand returned no CommandId');
        return id;
    }

    /** The newest command sent to the instance with exactly this comment (how a retry finds its own earlier command). */
    async findCommandByComment(instanceId: string, comment: string): Promise<string | undefined> {
        let token: string | undefined;
        do {
            const out = await this.client.send(new ListCommandsCommand({ InstanceId: instanceId, NextToken: token, MaxResults: 50 }));
            const hit = (out.Commands ?? []).find((c) => c.Comment === comment);
            if (hit?.CommandId) return hit.CommandId;
            token = out.NextToken;
        } while (token);
        return undefined;
    }

    /** undefined while SSM has not made the invocation visible yet (InvocationDoesNotExist right after SendCommand). */
    async getInvocation(commandId: string, instanceId: string): Promise<Invocation | undefined> {
        try {
            const out = await this.client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
            const status = out.Status ?? 'Pending';
            return {
                state: PENDING.has(status) ? 'pending' : status === 'Success' ? 'success' : 'failed',
                status: out.StatusDetails ?? status,
                statusCode: status,
                stdout: out.StandardOutputContent ?? '',
                stderr: out.StandardErrorContent ?? '',
            };
        } catch (err) {
            if (errorName(err) === 'InvocationDoesNotExist') return undefined;
            throw err;
        }
    }

    /** A String parameter's value, or undefined when there is none. */
    async getParameter(name: string): Promise<string | undefined> {
        try {
            const out = await this.client.send(new GetParameterCommand({ Name: name }));
            return out.Parameter?.Value;
        } catch (err) {
            if (errorName(err) === 'ParameterNotFound') return undefined;
            throw err;
        }
    }

    /** Creates or overwrites a String parameter. */
    async putParameter(name: string, value: string, description: string): Promise<void> {
        await this.client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true, Description: description }));
    }

    /** Deletes a parameter; one that is already gone is not an error. */
    async deleteParameter(name: string): Promise<void> {
        try {
            await this.client.send(new DeleteParameterCommand({ Name: name }));
        } catch (err) {
            if (errorName(err) !== 'ParameterNotFound') throw err;
        }
    }
}
