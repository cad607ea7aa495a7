/**
 * The payloads CloudFormation (and SAM) send to a resource type's Lambda function.
 *
 * - `HandlerRequestPayload`: what CloudFormation sends to `TypeFunction` (the library's `entrypoint`).
 *   `providerCredentials` and `providerLogGroupName` only when asked for (`providerLogging`), as for a type
 *   registered with a logging configuration: the 1.0.6 library then delivers logs and metrics with SDK v2,
 *   which reaches the simulator only through AWS_ENDPOINT_URL (src/library-runtime.ts).
 * - `TestEventPayload`: the SAM test-event shape `testEntrypoint` takes.
 */
import { randomUUID } from 'crypto';

export type CfnAction = 'CREATE' | 'READ' | 'UPDATE' | 'DELETE' | 'LIST';
export const CFN_ACTIONS: readonly CfnAction[] = ['CREATE', 'READ', 'UPDATE', 'DELETE', 'LIST'];

export interface CallerCredentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
}

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT_ID = '111122223333';
/** Dummy credentials: the simulator accepts any SigV4 signature; real AWS would reject these. */
export const TEST_CREDENTIALS: CallerCredentials = {
    accessKeyId: 'AKIALOCALTEST0000000',
    secretAccessKey: 'localTestSecretKey0000000000000000000000',
    sessionToken: 'localTestSessionToken',
};
export const RESOURCE_TYPE_VERSION = '00000001';

export interface HandlerRequestPayload {
    action: CfnAction;
    awsAccountId: string;
    bearerToken: string;
    region: string;
    resourceType: string;
    /** absent on the `cfn test` path */
    resourceTypeVersion?: string;
    stackId?: string;
    callbackContext: Record<string, unknown> | null;
    nextToken?: string | null;
    requestData: {
        callerCredentials: CallerCredentials;
        providerCredentials?: CallerCredentials;
        providerLogGroupName?: string;
        resourceProperties: Record<string, unknown>;
        previousResourceProperties?: Record<string, unknown>;
        logicalResourceId?: string;
        stackTags?: Record<string, string>;
        previousStackTags?: Record<string, string>;
        systemTags?: Record<string, string>;
        typeConfiguration?: Record<string, unknown> | null;
    };
}

export interface TestEventPayload {
    credentials: CallerCredentials;
    action: CfnAction;
    region: string;
    callbackContext: Record<string, unknown> | null;
    request: {
        clientRequestToken: string;
        desiredResourceState: Record<string, unknown>;
        previousResourceState?: Record<string, unknown>;
        desiredResourceTags: Record<string, string>;
        previousResourceTags?: Record<string, string>;
        systemTags: Record<string, string>;
        awsAccountId: string;
        awsPartition: string;
        logicalResourceIdentifier: string;
        nextToken?: string;
        region: string;
    };
}

export interface BuildRequestOptions {
    action: CfnAction;
    resourceType: string;
    bearerToken: string;
    resourceProperties: Record<string, unknown>;
    previousResourceProperties?: Record<string, unknown>;
    callbackContext?: Record<string, unknown> | null;
    nextToken?: string | null;
    region?: string;
    accountId?: string;
    credentials?: CallerCredentials;
    stackId?: string;
    logicalResourceId?: string;
    stackTags?: Record<string, string>;
    previousStackTags?: Record<string, string>;
    /** The type's logging configuration: the log-delivery role's credentials and the log group. */
    providerLogging?: ProviderLogging;
}

export interface ProviderLogging {
    credentials: CallerCredentials;
    logGroupName: string;
}

export function newBearerToken(): string {
    return randomUUID();
}

export function defaultStackId(region = DEFAULT_REGION, accountId = DEFAULT_ACCOUNT_ID, stackName = 'local-stack'): string {
    return `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/${randomUUID()}`;
}

export function partitionOf(region: string): string {
    if (region.startsWith('cn-')) return 'aws-cn';
    if (region.startsWith('us-gov')) return 'aws-us-gov';
    return 'aws';
}

function stackNameOf(stackId: string): string {
    const m = /:stack\/([^/]+)\//.exec(stackId);
    return m ? m[1] : 'local-stack';
}

/** Deep copy through JSON, the way the payload crosses the Lambda wire. */
export function jsonClone<T>(v: T): T {
    return v === undefined ? v : JSON.parse(JSON.stringify(v));
}

/** The HandlerRequest CloudFormation sends for one invocation. */
export function buildHandlerRequest(o: BuildRequestOptions): HandlerRequestPayload {
    const region = o.region ?? DEFAULT_REGION;
    const accountId = o.accountId ?? DEFAULT_ACCOUNT_ID;
    const stackId = o.stackId ?? defaultStackId(region, accountId);
    const logicalResourceId = o.logicalResourceId ?? 'MyResource';
    const req: HandlerRequestPayload = {
        action: o.action,
        awsAccountId: accountId,
        bearerToken: o.bearerToken,
        region,
        resourceType: o.resourceType,
        resourceTypeVersion: RESOURCE_TYPE_VERSION,
        stackId,
        callbackContext: o.callbackContext ?? null,
        requestData: {
            callerCredentials: { ...(o.credentials ?? TEST_CREDENTIALS) },
            resourceProperties: jsonClone(o.resourceProperties),
            previousResourceProperties: o.previousResourceProperties === undefined ? undefined : jsonClone(o.previousResourceProperties),
            logicalResourceId,
            stackTags: { ...(o.stackTags ?? {}) },
            systemTags: {
                'aws:cloudformation:stack-name': stackNameOf(stackId),
                'aws:cloudformation:stack-id': stackId,
                'aws:cloudformation:logical-id': logicalResourceId,
            },
            typeConfiguration: undefined,
        },
    };
    if (o.providerLogging) {
        req.requestData.providerCredentials = { ...o.providerLogging.credentials };
        req.requestData.providerLogGroupName = o.providerLogging.logGroupName;
    }
    if (o.action === 'UPDATE') req.requestData.previousStackTags = { ...(o.previousStackTags ?? o.stackTags ?? {}) };
    if (o.nextToken != null) req.nextToken = o.nextToken;
    return req;
}

/**
 * The request `cfn test` sends, field for field as `rpdk/core/contract/resource_client.py` `make_request`
 * builds it: no stack, no tags, and the operation's token as both bearerToken and logicalResourceId.
 */
export function buildContractTestRequest(o: BuildRequestOptions): HandlerRequestPayload {
    const req: HandlerRequestPayload = {
        requestData: {
            callerCredentials: { ...(o.credentials ?? TEST_CREDENTIALS) },
            resourceProperties: jsonClone(o.resourceProperties),
            previousResourceProperties: o.previousResourceProperties === undefined ? undefined : jsonClone(o.previousResourceProperties),
            logicalResourceId: o.bearerToken,
            typeConfiguration: null,
        },
        region: o.region ?? DEFAULT_REGION,
        awsAccountId: o.accountId ?? DEFAULT_ACCOUNT_ID,
        action: o.action,
        callbackContext: o.callbackContext ?? null,
        bearerToken: o.bearerToken,
        resourceType: o.resourceType,
    };
    if (o.nextToken != null) req.nextToken = o.nextToken;
    return req;
}

/** The same invocation in the SAM test-event shape (`testEntrypoint`). */
export function toTestEvent(req: HandlerRequestPayload): TestEventPayload {
    const ev: TestEventPayload = {
        credentials: { ...req.requestData.callerCredentials },
        action: req.action,
        region: req.region,
        callbackContext: req.callbackContext,
        request: {
            clientRequestToken: req.bearerToken,
            desiredResourceState: jsonClone(req.requestData.resourceProperties),
            previousResourceState: jsonClone(req.requestData.previousResourceProperties),
            desiredResourceTags: { ...(req.requestData.stackTags ?? {}) },
            previousResourceTags: req.requestData.previousStackTags ? { ...req.requestData.previousStackTags } : undefined,
            systemTags: { ...(req.requestData.systemTags ?? {}) },
            awsAccountId: req.awsAccountId,
            awsPartition: partitionOf(req.region),
            logicalResourceIdentifier: req.requestData.logicalResourceId ?? '',
            region: req.region,
        },
    };
    if (req.nextToken != null) ev.request.nextToken = req.nextToken;
    return ev;
}

/** A Lambda-like context object (the library only logs awsRequestId / functionVersion / memoryLimitInMB). */
export function lambdaContext(functionName = 'TypeFunction'): Record<string, unknown> {
    return {
        awsRequestId: randomUUID(),
        functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:${DEFAULT_REGION}:${DEFAULT_ACCOUNT_ID}:function:${functionName}`,
        memoryLimitInMB: '256',
        logGroupName: `/aws/lambda/${functionName}`,
        logStreamName: 'local',
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => 900000,
    };
}
