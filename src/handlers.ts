import {
    Action,
    BaseResource,
    HandlerErrorCode,
    handlerEvent,
    LoggerProxy,
    Optional,
    ProgressEvent,
    ResourceHandlerRequest,
    SessionProxy,
} from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { lazyAdapters } from './aws/adapters';
import { pointLibraryClientsAtEnv, putLogEventsWithoutPacing, waitOnlyForPendingDelivery } from './library-runtime';
import { ResourceModel, TypeConfigurationModel } from './models';
import { createWorkflow } from './workflow/create';
import { deleteWorkflow } from './workflow/delete';
import { listStores, readStore } from './workflow/read';
import { Env, failed, listed, runOnce, runWorkflow, succeeded } from './workflow/runner';
import { propsOf } from './workflow/props';
import { Ctx, Workflow } from './workflow/types';
import { updateWorkflow } from './workflow/update';

type Request = ResourceHandlerRequest<ResourceModel>;

function envOf(session: Optional<SessionProxy>, request: Request, logger: LoggerProxy | undefined): Env {
    return {
        aws: lazyAdapters(session, request.region),
        request: {
            clientRequestToken: request.clientRequestToken,
            logicalResourceId: request.logicalResourceIdentifier ?? 'KeyStore',
            region: request.region ?? (session?.configuration as { region?: string } | undefined)?.region ?? '',
            awsAccountId: request.awsAccountId,
        },
        desired: propsOf(request.desiredResourceState),
        previous: propsOf(request.previousResourceState),
        log: (message) => logger?.log(message),
    };
}

function run(wf: Workflow, session: Optional<SessionProxy>, request: Request, ctx: Ctx, logger?: LoggerProxy): Promise<ProgressEvent<ResourceModel>> {
    return runWorkflow(wf, envOf(session, request, logger), ctx);
}

class Resource extends BaseResource<ResourceModel> {
    constructor(...args: ConstructorParameters<typeof BaseResource<ResourceModel>>) {
        super(...args);
        // Library 1.0.6 drops HandlerRequest.nextToken in entrypoint, so LIST could never page; put it back.
        const self = this as unknown as { castResourceRequest: (event: { nextToken?: string }) => Request };
        const cast = self.castResourceRequest;
        self.castResourceRequest = (event) => {
            const request = cast(event);
            if (event.nextToken && !request.nextToken) request.nextToken = event.nextToken;
            return request;
        };
    }

    @handlerEvent(Action.Create)
    public async create(session: Optional<SessionProxy>, request: Request, ctx: Ctx, logger: LoggerProxy): Promise<ProgressEvent<ResourceModel>> {
        return run(createWorkflow, session, request, ctx, logger);
    }

    @handlerEvent(Action.Update)
    public async update(session: Optional<SessionProxy>, request: Request, ctx: Ctx, logger: LoggerProxy): Promise<ProgressEvent<ResourceModel>> {
        return run(updateWorkflow, session, request, ctx, logger);
    }

    @handlerEvent(Action.Delete)
    public async delete(session: Optional<SessionProxy>, request: Request, ctx: Ctx, logger: LoggerProxy): Promise<ProgressEvent<ResourceModel>> {
        return run(deleteWorkflow, session, request, ctx, logger);
    }

    @handlerEvent(Action.Read)
    public async read(session: Optional<SessionProxy>, request: Request): Promise<ProgressEvent<ResourceModel>> {
        const env = envOf(session, request, undefined);
        const id = env.desired.customKeyStoreId;
        return runOnce('read', async () => {
            const model = await readStore(env.aws.kms, id);
            return model ? succeeded(model) : failed(HandlerErrorCode.NotFound, `Key store ${id ?? '(no CustomKeyStoreId)'} was not found.`);
        });
    }

    @handlerEvent(Action.List)
    public async list(session: Optional<SessionProxy>, request: Request): Promise<ProgressEvent<ResourceModel>> {
        const env = envOf(session, request, undefined);
        return runOnce('list', async () => {
            const page = await listStores(env.aws.kms, request.nextToken);
            return listed(page.models, page.nextToken);
        });
    }
}

export const resource = new Resource(ResourceModel.TYPE_NAME, ResourceModel, undefined, undefined, TypeConfigurationModel);
waitOnlyForPendingDelivery(resource);
putLogEventsWithoutPacing();

/**
 * Library 1.0.6 adds two redaction filters to its shared Lambda log publisher on every invocation and never
 * removes them, so a warm container slows down with every call; the ones left from earlier calls are dropped
 * (the library adds this call's own filters again).
 */
export function clearStaleLogFilters(): void {
    const publisher = (resource as unknown as { platformLambdaLogger?: { logFilters?: unknown[] } }).platformLambdaLogger;
    if (Array.isArray(publisher?.logFilters)) publisher.logFilters.length = 0;
}

export const entrypoint: typeof resource.entrypoint = (event, context) => {
    clearStaleLogFilters();
    pointLibraryClientsAtEnv();
    return resource.entrypoint(event, context);
};

export const testEntrypoint = resource.testEntrypoint;
