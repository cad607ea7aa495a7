/**
 * Run-time adjustments to cloudformation-cli-typescript-lib 1.0.6, which ships as it is (no fork), shared by
 * the handlers of every type (entrypointOf): its own AWS calls (SDK v2: log delivery, metrics) follow the
 * endpoint variables SDK v3 honours; an invocation waits only for log delivery that is really pending: no fixed
 * second at the end, no fixed quarter second before each log line; LIST gets its nextToken; log filters do not
 * pile up in a warm container.
 */
import { BaseResource, CloudWatchLogPublisher } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import AWS from 'aws-sdk/global';

/** SDK v2 service identifier -> the SDK v3 service id's endpoint variable (AWS_ENDPOINT_URL_<ID>). */
const LIBRARY_SERVICES: Record<string, string> = {
    cloudwatchlogs: 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
    cloudwatch: 'AWS_ENDPOINT_URL_CLOUDWATCH',
    s3: 'AWS_ENDPOINT_URL_S3',
};

/**
 * SDK v2 has no AWS_ENDPOINT_URL support (the service-specific endpoint variables are an SDK v3 and CLI v2
 * feature: AWS SDKs and Tools reference guide, "Service-specific endpoints"), so the library's clients would always
 * go to AWS. Mirror SDK v3's rule (service variable, then AWS_ENDPOINT_URL) through v2's per-service
 * global config, which every client the library makes picks up. Lambda sets none of these variables,
 * so in AWS this changes nothing.
 */
export function pointLibraryClientsAtEnv(env: NodeJS.ProcessEnv = process.env): void {
    const config = AWS.config as unknown as Record<string, unknown>;
    const ignore = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true';
    for (const [service, variable] of Object.entries(LIBRARY_SERVICES)) {
        const endpoint = ignore ? undefined : env[variable] || env.AWS_ENDPOINT_URL;
        // Path-style S3, since a custom endpoint (an address, not a domain) has no bucket subdomains.
        if (endpoint) config[service] = { endpoint, ...(service === 's3' ? { s3ForcePathStyle: true } : {}) };
        else delete config[service];
    }
}

interface Tracked {
    waitCompletion(): Promise<boolean>;
}
interface LibraryInternals {
    loggerProxy?: Tracked;
    platformLoggerProxy: Tracked;
    lambdaLogger: { log(message: string): void };
    log(message: string): void;
    workerPool?: { shutdown(): Promise<void> };
    waitRunningProcesses(): Promise<void>;
}

/**
 * The library ends every invocation with `await delay(1)` before waiting for its log trackers, and logs
 * "Log delivery completed." to CloudWatch Logs only after the wait, so that line was still queued when
 * the invocation returned. Its trackers count each line synchronously when it is logged, so waiting on
 * them alone covers every pending delivery: no sleep when nothing is pending, no line left behind.
 */
export function waitOnlyForPendingDelivery(resource: object): void {
    const r = resource as unknown as LibraryInternals;
    r.waitRunningProcesses = async function (this: LibraryInternals): Promise<void> {
        this.log('Waiting for log delivery to finish...');
        if (this.loggerProxy) await this.loggerProxy.waitCompletion();
        await this.platformLoggerProxy.waitCompletion();
        this.lambdaLogger.log('Log delivery completed.');
        if (this.workerPool) await this.workerPool.shutdown();
    };
}

interface LogPublisherInternals {
    logGroupName: string;
    logStreamName: string;
    client: {
        makeRequestPromise(
            op: string,
            input: unknown,
            headers?: Record<string, string>,
        ): Promise<{ nextSequenceToken?: string; rejectedLogEventsInfo?: unknown } | undefined>;
    };
    platformLogger: { log(message: string, ...params: unknown[]): void };
}

/**
 * The library sleeps 0.25 s before each PutLogEvents (one call per log line, one at a time), which made every
 * invocation of a registered type (always with a logging configuration) ~2 s slower. That pacing dates from
 * the 5-requests-per-second-per-stream quota, which CloudWatch Logs removed in 2023 (PutLogEvents is now
 * throttled per account and Region, thousands per second; the library still retries ThrottlingException).
 * Same call, same retries and errors, without the sleep.
 */
export function putLogEventsWithoutPacing(): void {
    const proto = CloudWatchLogPublisher.prototype as unknown as { putLogEvents(record: unknown, sequenceToken?: string | null): Promise<string | null> };
    proto.putLogEvents = async function (this: LogPublisherInternals, record: unknown, sequenceToken?: string | null): Promise<string | null> {
        const response = await this.client.makeRequestPromise(
            'putLogEvents',
            { logGroupName: this.logGroupName, logStreamName: this.logStreamName, logEvents: [record], sequenceToken },
            { 'X-Amzn-Logs-Format': 'json/emf' },
        );
        this.platformLogger.log('Response from "putLogEvents"', response);
        if (response?.rejectedLogEventsInfo) throw new Error(JSON.stringify(response.rejectedLogEventsInfo));
        return response?.nextSequenceToken || null;
    };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any type's resource: these patches do not depend on its model
type AnyResource = BaseResource<any>;
type WithNextToken = { nextToken?: string; stackId?: string };

/** Library 1.0.6 drops HandlerRequest.nextToken (so LIST could never page) and stackId in entrypoint; put them back. */
export function keepNextToken(resource: AnyResource): void {
    const self = resource as unknown as { castResourceRequest: (event: WithNextToken) => WithNextToken };
    const cast = self.castResourceRequest;
    self.castResourceRequest = (event) => {
        const request = cast.call(resource, event);
        if (event.nextToken && !request.nextToken) request.nextToken = event.nextToken;
        // The library's request has no stackId either; it is carried along for the key store's record.
        if (event.stackId) request.stackId = event.stackId;
        return request;
    };
}

/**
 * Library 1.0.6 adds two redaction filters to its shared Lambda log publisher on every invocation and never
 * removes them, so a warm container slows down with every call; the ones left from earlier calls are dropped
 * (the library adds this call's own filters again).
 */
export function clearStaleLogFilters(resource: AnyResource): void {
    const publisher = (resource as unknown as { platformLambdaLogger?: { logFilters?: unknown[] } }).platformLambdaLogger;
    if (Array.isArray(publisher?.logFilters)) publisher.logFilters.length = 0;
}

/** The Lambda entry point of one resource type's handlers, with every adjustment in this file. */
export function entrypointOf<R extends AnyResource>(resource: R): R['entrypoint'] {
    waitOnlyForPendingDelivery(resource);
    putLogEventsWithoutPacing();
    return (event, context) => {
        clearStaleLogFilters(resource);
        pointLibraryClientsAtEnv();
        return resource.entrypoint(event, context);
    };
}
