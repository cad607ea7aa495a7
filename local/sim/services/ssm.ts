/**
 * SSM: managed-instance information and Run Command (AWS-RunShellScript only). The script
 * really runs: see runcommand.ts.
 */
import { randomUUID } from 'node:crypto';
import { TERMINAL } from '../runcommand';
import type { Sim } from '../sim';
import type { Command, Instance, Invocation } from '../state';
import { AwsError, decodeToken, encodeToken, Json, page, Validator } from '../wire';

type Handler = (sim: Sim, body: Json) => Json;

export const INSTANCE_ID_RE = /(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/;
const INSTANCE_ID = { min: 10, max: 20, pattern: INSTANCE_ID_RE };
const COMMAND_ID = { min: 36, max: 36 };
const PLUGIN = 'aws:runShellScript';
const RUN_SHELL_PARAMS = ['commands', 'workingDirectory', 'executionTimeout'];

const iso = (ms?: number) => (ms === undefined ? '' : new Date(ms).toISOString());

function instanceInfo(sim: Sim, i: Instance): Json {
    const online = i.pingStatus === 'Online';
    return {
        InstanceId: i.id,
        PingStatus: i.pingStatus,
        LastPingDateTime: sim.epoch(online ? sim.now() : i.lastPingAt),
        AgentVersion: '3.3.1142.0',
        IsLatestVersion: true,
        PlatformType: 'Linux',
        PlatformName: 'Amazon Linux',
        PlatformVersion: '2023',
        ResourceType: i.id.startsWith('mi-') ? 'ManagedInstance' : 'EC2Instance',
        IPAddress: i.ipAddress,
        ComputerName: `ip-${i.ipAddress.replace(/\./g, '-')}.ec2.internal`,
        SourceId: i.id,
        SourceType: i.id.startsWith('mi-') ? 'AWS::SSM::ManagedInstance' : 'AWS::EC2::Instance',
    };
}

const DescribeInstanceInformation: Handler = (sim, body) => {
    const v = new Validator(body);
    const filters = v.list<{ Key?: unknown; Values?: unknown }>('Filters');
    const legacy = v.list<{ key?: unknown; valueSet?: unknown }>('InstanceInformationFilterList');
    const max = v.int('MaxResults', { min: 5, max: 50 }) ?? 10;
    const token = v.str('NextToken');
    v.done();
    if (filters && legacy) throw new AwsError('ValidationException', 'You can use either InstanceInformationFilterList or Filters, not both.');
    const conds: [string, string[]][] = [
        ...(filters ?? []).map((f) => [f?.Key, f?.Values] as [unknown, unknown]),
        ...(legacy ?? []).map((f) => [f?.key, f?.valueSet] as [unknown, unknown]),
    ].map(([key, values]) => {
        if (typeof key !== 'string' || !Array.isArray(values) || values.some((x) => typeof x !== 'string'))
            throw new AwsError('SerializationException', 'A filter needs a string key and a list of string values.');
        if (!['InstanceIds', 'PingStatus', 'PlatformTypes', 'ResourceType'].includes(key))
            throw new AwsError(
                'InvalidFilterKey',
                `The filter key ${key} is not supported by the simulator (InstanceIds, PingStatus, PlatformTypes, ResourceType).`,
            );
        if (values.length === 0) throw new AwsError('InvalidInstanceInformationFilterValue', `The filter ${key} needs at least one value.`);
        if (key === 'InstanceIds') {
            const bad = (values as string[]).filter((x) => !INSTANCE_ID_RE.test(x));
            if (bad.length) throw new AwsError('InvalidInstanceInformationFilterValue', `The following filter values are invalid: ${bad.join(', ')}`);
            // "If you specify a node ID that isn't valid or a node that you don't own, you receive an error" (API reference,
            // DescribeInstanceInformation): InvalidInstanceId, the operation's modelled error. The wording is assumed.
            const unknown = (values as string[]).filter((x) => !sim.world.instances.has(x));
            if (unknown.length)
                throw new AwsError('InvalidInstanceId', `Instances [[${unknown.join(', ')}]] are not valid managed nodes of account ${sim.config.accountId}.`);
        }
        return [key, values as string[]];
    });
    const field = (i: Instance, key: string) =>
        key === 'InstanceIds'
            ? i.id
            : key === 'PingStatus'
              ? i.pingStatus
              : key === 'PlatformTypes'
                ? 'Linux'
                : i.id.startsWith('mi-')
                  ? 'ManagedInstance'
                  : 'EC2Instance';
    const all = [...sim.world.instances.values()].filter((i) => conds.every(([k, vals]) => vals.includes(field(i, k))));
    const p = page(all, decodeToken(token, 'InvalidNextToken', 'The specified token is not valid.'), max);
    return { InstanceInformationList: p.items.map((i) => instanceInfo(sim, i)), ...(p.next !== undefined ? { NextToken: encodeToken(p.next) } : {}) };
};

export function commandStatus(cmd: Command): { status: string; details: string } {
    const st = cmd.invocations.map((i) => i.status);
    if (st.every((s) => TERMINAL.includes(s))) {
        const s = (['Failed', 'TimedOut', 'Cancelled'] as const).find((x) => st.includes(x)) ?? 'Success';
        const details = s === 'TimedOut' && cmd.invocations.every((i) => i.statusDetails === 'DeliveryTimedOut') ? 'DeliveryTimedOut' : s;
        return { status: s, details };
    }
    const s = st.some((x) => x !== 'Pending') ? 'InProgress' : 'Pending';
    return { status: s, details: s };
}

function commandShape(sim: Sim, cmd: Command): Json {
    const { status, details } = commandStatus(cmd);
    const invs = cmd.invocations;
    return {
        CommandId: cmd.id,
        DocumentName: cmd.documentName,
        DocumentVersion: '$DEFAULT',
        Comment: cmd.comment,
        ExpiresAfter: sim.epoch(cmd.requestedAt + cmd.timeoutSeconds * 1000),
        Parameters: cmd.parameters,
        InstanceIds: [...cmd.instanceIds],
        Targets: [],
        RequestedDateTime: sim.epoch(cmd.requestedAt),
        Status: status,
        StatusDetails: details,
        OutputS3Region: sim.config.region,
        OutputS3BucketName: '',
        OutputS3KeyPrefix: '',
        MaxConcurrency: '50',
        MaxErrors: '0',
        TargetCount: invs.length,
        CompletedCount: invs.filter((i) => TERMINAL.includes(i.status)).length,
        ErrorCount: invs.filter((i) => i.status === 'Failed').length,
        DeliveryTimedOutCount: invs.filter((i) => i.statusDetails === 'DeliveryTimedOut').length,
        ServiceRole: '',
        NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
        CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
        TimeoutSeconds: cmd.timeoutSeconds,
    };
}

const SendCommand: Handler = (sim, body) => {
    const v = new Validator(body);
    const doc = v.str('DocumentName', { required: true, pattern: /^[a-zA-Z0-9_\-.:/]{3,128}$/, patternText: '^[a-zA-Z0-9_\\-.:/]{3,128}$' });
    const ids = v.list<unknown>('InstanceIds', { max: 50 }) ?? [];
    const targets = v.list('Targets', { max: 5 });
    const timeout = v.int('TimeoutSeconds', { min: 30, max: 2592000 }) ?? 3600;
    const comment = v.str('Comment', { max: 100 }) ?? '';
    const params = v.obj('Parameters') ?? {};
    ids.forEach((id, n) => v.str(`InstanceIds.${n + 1}`, INSTANCE_ID, id));
    v.done();
    if (doc !== 'AWS-RunShellScript') throw new AwsError('InvalidDocument', `Document ${doc} does not exist (the simulator runs only AWS-RunShellScript).`);
    if (ids.length === 0)
        throw new AwsError(
            targets ? 'InvalidParameters' : 'ValidationException',
            targets ? 'The simulator supports only InstanceIds, not Targets.' : 'Specify InstanceIds or Targets.',
        );
    const instanceIds = ids as string[];
    if (new Set(instanceIds).size !== instanceIds.length) throw new AwsError('DuplicateInstanceId', 'Instance Id is duplicated in the request.');
    const unknown = instanceIds.filter((id) => !sim.world.instances.has(id));
    if (unknown.length) throw new AwsError('InvalidInstanceId', `Instances [[${unknown.join(', ')}]] not in a valid state for account ${sim.config.accountId}`);
    for (const [k, val] of Object.entries(params)) {
        if (!RUN_SHELL_PARAMS.includes(k)) throw new AwsError('InvalidParameters', `Parameter "${k}" is not defined in document AWS-RunShellScript.`);
        if (!Array.isArray(val) || val.some((x) => typeof x !== 'string'))
            throw new AwsError('SerializationException', `Parameter ${k} must be a list of strings`);
    }
    const parameters = params as Record<string, string[]>;
    if (!parameters.commands?.length) throw new AwsError('InvalidParameters', 'Parameter "commands" is required by document AWS-RunShellScript.');
    const now = sim.now();
    const visibleAt = now + sim.config.commandVisibilitySeconds * 1000;
    const cmd: Command = {
        id: randomUUID(),
        documentName: doc!,
        comment,
        parameters,
        instanceIds,
        timeoutSeconds: timeout,
        requestedAt: now,
        invocations: instanceIds.map((instanceId): Invocation => ({
            instanceId,
            status: 'Pending',
            statusDetails: 'Pending',
            responseCode: -1,
            visibleAt,
            stdout: '',
            stderr: '',
        })),
    };
    sim.world.commands.set(cmd.id, cmd);
    sim.runner.dispatch(cmd);
    return { Command: commandShape(sim, cmd) };
};

function getCommand(sim: Sim, id: string | undefined): Command {
    const cmd = id === undefined ? undefined : sim.world.commands.get(id);
    if (!cmd) throw new AwsError('InvalidCommandId', 'Invalid command id.');
    return cmd;
}

const LIST_FILTERS = ['InvokedAfter', 'InvokedBefore', 'Status', 'ExecutionStage', 'DocumentName'];

const ListCommands: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('CommandId', COMMAND_ID);
    const instanceId = v.str('InstanceId', INSTANCE_ID);
    const max = v.int('MaxResults', { min: 1, max: 50 }) ?? 50;
    const token = v.str('NextToken');
    const filters = v.list<{ key?: unknown; value?: unknown }>('Filters', { min: 1, max: 5 }) ?? [];
    v.done();
    // "The Run Command API follows an eventual consistency model" (SSM API reference, GetCommandInvocation): a command
    // is listed, like its invocations, only commandVisibilitySeconds after SendCommand (assumed to be the same lag).
    const now = sim.now();
    const listed = (c: Command) => now >= c.requestedAt + sim.config.commandVisibilitySeconds * 1000;
    let cmds = [...sim.world.commands.values()].filter(listed);
    if (id !== undefined) cmds = [getCommand(sim, id)].filter(listed);
    if (instanceId !== undefined) cmds = cmds.filter((c) => c.instanceIds.includes(instanceId));
    for (const f of filters) {
        if (typeof f?.key !== 'string' || typeof f.value !== 'string')
            throw new AwsError('SerializationException', 'A command filter needs a string key and value.');
        const { key, value } = f as { key: string; value: string };
        if (!LIST_FILTERS.includes(key)) throw new AwsError('InvalidFilterKey', `The filter key ${key} is not valid.`);
        const t = Date.parse(value);
        if ((key === 'InvokedAfter' || key === 'InvokedBefore') && Number.isNaN(t))
            throw new AwsError('ValidationException', `The filter value ${value} is not a valid date.`);
        cmds = cmds.filter((c) => {
            const st = commandStatus(c).status;
            if (key === 'InvokedAfter') return c.requestedAt >= t;
            if (key === 'InvokedBefore') return c.requestedAt <= t;
            if (key === 'Status') return st === value;
            if (key === 'DocumentName') return c.documentName === value;
            return value === (['Pending', 'InProgress'].includes(st) ? 'Executing' : 'Complete');
        });
    }
    cmds.sort((a, b) => b.requestedAt - a.requestedAt);
    const p = page(cmds, decodeToken(token, 'InvalidNextToken', 'The specified token is not valid.'), max);
    return { Commands: p.items.map((c) => commandShape(sim, c)), ...(p.next !== undefined ? { NextToken: encodeToken(p.next) } : {}) };
};

const GetCommandInvocation: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('CommandId', { required: true, ...COMMAND_ID });
    const instanceId = v.str('InstanceId', { required: true, ...INSTANCE_ID });
    const plugin = v.str('PluginName', { min: 4 });
    v.done();
    const cmd = getCommand(sim, id);
    if (plugin !== undefined && plugin !== PLUGIN)
        throw new AwsError('InvalidPluginName', `The plugin name ${plugin} is not valid for document ${cmd.documentName}.`);
    const inv = cmd.invocations.find((i) => i.instanceId === instanceId);
    if (!inv || sim.now() < inv.visibleAt) throw new AwsError('InvocationDoesNotExist'); // no message, as in AWS
    const done = TERMINAL.includes(inv.status);
    const elapsed = inv.startedAt !== undefined && inv.endedAt !== undefined ? `PT${((inv.endedAt - inv.startedAt) / 1000).toFixed(3)}S` : '';
    return {
        CommandId: cmd.id,
        InstanceId: inv.instanceId,
        Comment: cmd.comment,
        DocumentName: cmd.documentName,
        DocumentVersion: '$DEFAULT',
        PluginName: PLUGIN,
        ResponseCode: inv.responseCode,
        ExecutionStartDateTime: iso(inv.startedAt),
        ExecutionElapsedTime: elapsed,
        ExecutionEndDateTime: iso(inv.endedAt),
        Status: inv.status,
        StatusDetails: inv.statusDetails,
        StandardOutputContent: done ? inv.stdout.slice(0, 24000) : '',
        StandardOutputUrl: '',
        StandardErrorContent: done ? inv.stderr.slice(0, 8000) : '',
        StandardErrorUrl: '',
        CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
};

const CancelCommand: Handler = (sim, body) => {
    const v = new Validator(body);
    const id = v.str('CommandId', { required: true, ...COMMAND_ID });
    const ids = v.list<string>('InstanceIds', { max: 50 });
    v.done();
    const cmd = getCommand(sim, id);
    for (const inv of cmd.invocations) {
        if ((!ids || ids.includes(inv.instanceId)) && !TERMINAL.includes(inv.status)) sim.runner.cancel(inv);
    }
    return {};
};

export const ssmOperations: Record<string, Handler> = {
    DescribeInstanceInformation,
    SendCommand,
    ListCommands,
    GetCommandInvocation,
    CancelCommand,
};
