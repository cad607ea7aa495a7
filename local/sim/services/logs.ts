/**
 * CloudWatch Logs (awsJson1_1, `Logs_20140328.`): the calls the CloudFormation library makes to deliver a
 * handler's log lines with providerCredentials (log-delivery.js): DescribeLogGroups, CreateLogGroup,
 * CreateLogStream, DescribeLogStreams, PutLogEvents. Timestamps are epoch milliseconds, as the API has them.
 */
import type { Sim } from '../sim';
import { LogGroup, LogStream } from '../state';
import { AwsError, Json, Validator } from '../wire';

type Handler = (sim: Sim, body: Json) => Json;

const GROUP_NAME = { min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/, patternText: '[\\.\\-_/#A-Za-z0-9]+' };
const STREAM_NAME = { min: 1, max: 512, pattern: /^[^:*]*$/, patternText: '[^:*]*' };
/** PutLogEvents: events older than 14 days or more than 2 hours ahead are rejected (checked on the real clock). */
const TOO_OLD_MS = 14 * 24 * 3600_000;
const TOO_NEW_MS = 2 * 3600_000;

const arnOf = (sim: Sim, group: string) => `arn:aws:logs:${sim.config.region}:${sim.config.accountId}:log-group:${group}`;

function group(sim: Sim, name: string, message = 'The specified log group does not exist.'): LogGroup {
    const g = sim.world.logGroups.get(name);
    if (!g) throw new AwsError('ResourceNotFoundException', message);
    return g;
}

/** The sequence token is ignored since January 2023 but still returned; any opaque string serves. */
const sequenceToken = (s: LogStream) => String(49_600_000_000 + s.puts).padStart(56, '0');

function DescribeLogGroups(sim: Sim, body: Json): Json {
    const v = new Validator(body);
    const prefix = v.str('logGroupNamePrefix', GROUP_NAME);
    const limit = v.int('limit', { min: 1, max: 50 }) ?? 50;
    v.done();
    const groups = [...sim.world.logGroups.values()].filter((g) => !prefix || g.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
    return {
        logGroups: groups
            .slice(0, limit)
            .map((g) => ({ logGroupName: g.name, creationTime: g.createdAt, metricFilterCount: 0, arn: `${arnOf(sim, g.name)}:*`, storedBytes: 0 })),
    };
}

function CreateLogGroup(sim: Sim, body: Json): Json {
    const v = new Validator(body);
    const name = v.str('logGroupName', { required: true, ...GROUP_NAME });
    v.done();
    if (sim.world.logGroups.has(name!)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
    sim.world.logGroups.set(name!, { name: name!, createdAt: sim.now(), streams: new Map() });
    return {};
}

function CreateLogStream(sim: Sim, body: Json): Json {
    const v = new Validator(body);
    const groupName = v.str('logGroupName', { required: true, ...GROUP_NAME });
    const name = v.str('logStreamName', { required: true, ...STREAM_NAME });
    v.done();
    const g = group(sim, groupName!);
    if (g.streams.has(name!)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    g.streams.set(name!, { name: name!, createdAt: sim.now(), events: [], puts: 0 });
    return {};
}

function DescribeLogStreams(sim: Sim, body: Json): Json {
    const v = new Validator(body);
    const groupName = v.str('logGroupName', { required: true, ...GROUP_NAME });
    const prefix = v.str('logStreamNamePrefix', STREAM_NAME);
    const limit = v.int('limit', { min: 1, max: 50 }) ?? 50;
    v.done();
    const streams = [...group(sim, groupName!).streams.values()]
        .filter((s) => !prefix || s.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name));
    return {
        logStreams: streams.slice(0, limit).map((s) => ({
            logStreamName: s.name,
            creationTime: s.createdAt,
            ...(s.events.length
                ? {
                      firstEventTimestamp: s.events[0].timestamp,
                      lastEventTimestamp: s.events[s.events.length - 1].timestamp,
                      lastIngestionTime: s.events[s.events.length - 1].ingestionTime,
                  }
                : {}),
            uploadSequenceToken: sequenceToken(s),
            arn: `${arnOf(sim, groupName!)}:log-stream:${s.name}`,
            storedBytes: 0,
        })),
    };
}

function PutLogEvents(sim: Sim, body: Json): Json {
    const v = new Validator(body);
    const groupName = v.str('logGroupName', { required: true, ...GROUP_NAME });
    const streamName = v.str('logStreamName', { required: true, ...STREAM_NAME });
    const events = v.list<Json>('logEvents', { required: true, min: 1, max: 10_000 });
    v.done();
    const stream = group(sim, groupName!, 'The specified log group does not exist.').streams.get(streamName!);
    if (!stream) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    const parsed = events!.map((e, i) => {
        const ev = new Validator(e);
        const message = ev.str('message', { required: true, min: 1 }, e.message);
        const timestamp = ev.int('timestamp', { required: true, min: 0 }, e.timestamp);
        ev.done();
        if (i > 0 && timestamp! < (events![i - 1].timestamp as number))
            throw new AwsError('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.');
        return { message: message!, timestamp: timestamp! };
    });
    // Events are in time order, so the too-old ones lead and the too-new ones trail.
    const now = Date.now();
    const oldCount = parsed.filter((e) => e.timestamp < now - TOO_OLD_MS).length;
    const newStart = parsed.findIndex((e) => e.timestamp > now + TOO_NEW_MS);
    const accepted = parsed.slice(oldCount, newStart < 0 ? undefined : newStart);
    stream.events.push(...accepted.map((e) => ({ ...e, ingestionTime: sim.now() })));
    stream.puts++;
    const rejected: Json = {
        ...(oldCount ? { tooOldLogEventEndIndex: oldCount } : {}),
        ...(newStart >= 0 ? { tooNewLogEventStartIndex: newStart } : {}),
    };
    return { nextSequenceToken: sequenceToken(stream), ...(Object.keys(rejected).length ? { rejectedLogEventsInfo: rejected } : {}) };
}

export const logsOperations: Record<string, Handler> = {
    DescribeLogGroups,
    CreateLogGroup,
    CreateLogStream,
    DescribeLogStreams,
    PutLogEvents,
};
