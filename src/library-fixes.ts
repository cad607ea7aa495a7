import { BaseResource } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';

/* Workarounds for cloudformation-cli-typescript-lib 1.0.6, shared by the handlers of every type. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyResource = BaseResource<any>;
type WithNextToken = { nextToken?: string };

/** Library 1.0.6 drops HandlerRequest.nextToken in entrypoint, so LIST could never page; put it back. */
export function keepNextToken(resource: AnyResource): void {
    const self = resource as unknown as { castResourceRequest: (event: WithNextToken) => WithNextToken };
    const cast = self.castResourceRequest;
    self.castResourceRequest = (event) => {
        const request = cast.call(resource, event);
        if (event.nextToken && !request.nextToken) request.nextToken = event.nextToken;
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

/** The Lambda entry point of a resource, with the fixes above. */
export function entrypointOf<R extends AnyResource>(resource: R): R['entrypoint'] {
    return (event, context) => {
        clearStaleLogFilters(resource);
        return resource.entrypoint(event, context);
    };
}
