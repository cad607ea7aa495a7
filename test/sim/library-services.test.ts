/**
 * The simulator's CloudWatch Logs, CloudWatch (query protocol) and S3 answers, driven by the same SDK v2 clients
 * the CloudFormation library uses, pointed at it the way the handler does (src/library-runtime.ts).
 */
import CloudWatch from 'aws-sdk/clients/cloudwatch';
import CloudWatchLogs from 'aws-sdk/clients/cloudwatchlogs';
import S3 from 'aws-sdk/clients/s3';
import { RunningSimulator, startSimulator } from '../../local/sim';
import { pointLibraryClientsAtEnv } from '../../src/library-runtime';

let sim: RunningSimulator;
const options = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxRetries: 0 };

beforeAll(async () => {
    sim = await startSimulator({ scenario: 'empty' });
    pointLibraryClientsAtEnv({ AWS_ENDPOINT_URL: sim.endpoint });
});
afterAll(async () => {
    pointLibraryClientsAtEnv({});
    await sim.stop();
});

const code = (p: Promise<unknown>) =>
    p.then(
        () => 'no error',
        (e: { code?: string }) => e.code,
    );

test('CloudWatch Logs: groups, streams and events as the library uses them, with AWS error names', async () => {
    const logs = new CloudWatchLogs(options);
    await logs.createLogGroup({ logGroupName: 'g-logs' }).promise();
    expect(await code(logs.createLogGroup({ logGroupName: 'g-logs' }).promise())).toBe('ResourceAlreadyExistsException');
    expect(await code(logs.createLogStream({ logGroupName: 'nope', logStreamName: 's' }).promise())).toBe('ResourceNotFoundException');
    await logs.createLogStream({ logGroupName: 'g-logs', logStreamName: 'arn__aws__x/Logical' }).promise();
    expect(
        await code(logs.putLogEvents({ logGroupName: 'g-logs', logStreamName: 'other', logEvents: [{ message: 'm', timestamp: Date.now() }] }).promise()),
    ).toBe('ResourceNotFoundException');
    const put = await logs
        .putLogEvents({ logGroupName: 'g-logs', logStreamName: 'arn__aws__x/Logical', logEvents: [{ message: 'one', timestamp: Date.now() }] })
        .promise();
    expect(put.nextSequenceToken).toBeTruthy();
    const old = await logs
        .putLogEvents({
            logGroupName: 'g-logs',
            logStreamName: 'arn__aws__x/Logical',
            logEvents: [
                { message: 'ancient', timestamp: Date.now() - 15 * 86400_000 },
                { message: 'two', timestamp: Date.now() },
            ],
        })
        .promise();
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1 });
    expect(
        await code(
            logs
                .putLogEvents({
                    logGroupName: 'g-logs',
                    logStreamName: 'arn__aws__x/Logical',
                    logEvents: [
                        { message: 'b', timestamp: Date.now() },
                        { message: 'a', timestamp: Date.now() - 1000 },
                    ],
                })
                .promise(),
        ),
    ).toBe('InvalidParameterException');
    const groups = await logs.describeLogGroups({ logGroupNamePrefix: 'g-' }).promise();
    expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual(['g-logs']);
    const streams = await logs.describeLogStreams({ logGroupName: 'g-logs', logStreamNamePrefix: 'arn__aws__x', limit: 1 }).promise();
    expect(streams.logStreams?.[0]).toMatchObject({ logStreamName: 'arn__aws__x/Logical', uploadSequenceToken: expect.any(String) });
    const state = await sim.control.state();
    expect(state.logGroups[0].streams[0].events.map((e) => e.message)).toEqual(['one', 'two']);
});

test('CloudWatch PutMetricData over the query protocol keeps every datum with its dimensions', async () => {
    const cw = new CloudWatch(options);
    const at = new Date();
    await cw
        .putMetricData({
            Namespace: 'AWS/CloudFormation/Acme/KMS/CloudHsmKeyStore',
            MetricData: [
                {
                    MetricName: 'HandlerInvocationCount',
                    Unit: 'Count',
                    Value: 1,
                    Timestamp: at,
                    Dimensions: [
                        { Name: 'DimensionKeyActionType', Value: 'CREATE' },
                        { Name: 'DimensionKeyResourceType', Value: 'Acme::KMS::CloudHsmKeyStore' },
                    ],
                },
            ],
        })
        .promise();
    expect(await code(cw.putMetricData({ Namespace: 'N', MetricData: [] }).promise())).toBe('MissingParameter');
    expect(await code(cw.listMetrics({}).promise())).toBe('InvalidAction');
    const m = (await sim.control.state()).metrics;
    expect(m).toEqual([
        expect.objectContaining({
            namespace: 'AWS/CloudFormation/Acme/KMS/CloudHsmKeyStore',
            metricName: 'HandlerInvocationCount',
            unit: 'Count',
            value: 1,
            dimensions: [
                { name: 'DimensionKeyActionType', value: 'CREATE' },
                { name: 'DimensionKeyResourceType', value: 'Acme::KMS::CloudHsmKeyStore' },
            ],
        }),
    ]);
});

test('S3 denies the library as AWS denies the managed log role, and faults apply to the new services', async () => {
    const s3 = new S3(options);
    expect(await code(s3.listObjectsV2({ Bucket: 'g-logs-111122223333', Prefix: 'folder/' }).promise())).toBe('AccessDenied');
    expect(await code(s3.createBucket({ Bucket: 'g-logs-111122223333' }).promise())).toBe('AccessDenied');
    const ops = (await sim.control.state()).requests.filter((r) => r.service === 's3').map((r) => `${r.operation} ${r.status}`);
    expect(ops).toEqual(['ListObjectsV2 403', 'CreateBucket 403']);
    await sim.control.addFault({ service: 'logs', operation: 'PutLogEvents', error: 'ThrottlingException' });
    const logs = new CloudWatchLogs(options);
    expect(
        await code(
            logs.putLogEvents({ logGroupName: 'g-logs', logStreamName: 'arn__aws__x/Logical', logEvents: [{ message: 'x', timestamp: Date.now() }] }).promise(),
        ),
    ).toBe('ThrottlingException');
});
