import { LoggerProxy, Optional, SessionProxy } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { lazyAdapters } from '../aws/adapters';
import { Env } from './runner';

/** The parts of a handler request every type's workflows use. */
export interface RequestLike {
    clientRequestToken: string;
    logicalResourceIdentifier?: string;
    region?: string;
    awsAccountId: string;
    systemTags?: Record<string, string>;
    /** The stack's tags (the library's name for requestData.stackTags). */
    desiredResourceTags?: Record<string, string>;
    stackId?: string;
}

/** A workflow's environment: one adapter per service, the request's facts, and the desired/previous properties. */
export function envOf<P>(
    session: Optional<SessionProxy>,
    request: RequestLike,
    props: { desired: P; previous: P },
    logger: LoggerProxy | undefined,
    defaultLogicalId: string,
): Env<P> {
    return {
        // each SDK client package loads on its first call: a Read loads KMS only
        aws: lazyAdapters(session, request.region),
        request: {
            clientRequestToken: request.clientRequestToken,
            logicalResourceId: request.logicalResourceIdentifier ?? defaultLogicalId,
            stackId: request.systemTags?.['aws:cloudformation:stack-id'] ?? request.stackId,
            region: request.region ?? (session?.configuration as { region?: string } | undefined)?.region ?? '',
            awsAccountId: request.awsAccountId,
            ...(request.desiredResourceTags && Object.keys(request.desiredResourceTags).length ? { stackTags: { ...request.desiredResourceTags } } : {}),
        },
        ...props,
        log: (message) => logger?.log(message),
    };
}
