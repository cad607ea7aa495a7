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
import { envOf as baseEnvOf } from './env';
import { entrypointOf, keepNextToken } from './library-runtime';
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
    const props = { desired: propsOf(request.desiredResourceState), previous: propsOf(request.previousResourceState) };
    return baseEnvOf(session, request, props, logger, 'KeyStore');
}

function run(wf: Workflow, session: Optional<SessionProxy>, request: Request, ctx: Ctx, logger?: LoggerProxy): Promise<ProgressEvent<ResourceModel>> {
    return runWorkflow(wf, envOf(session, request, logger), ctx);
}

class Resource extends BaseResource<ResourceModel> {
    constructor(...args: ConstructorParameters<typeof BaseResource<ResourceModel>>) {
        super(...args);
        keepNextToken(this);
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

export const entrypoint = entrypointOf(resource);

export const testEntrypoint = resource.testEntrypoint;
