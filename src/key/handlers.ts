/** The registry entry of Custom::KMS::CloudHsmKey: five handlers, each running a workflow with the shared runner. */
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
import { envOf as baseEnvOf } from '../env';
import { entrypointOf, keepNextToken } from '../library-runtime';
import { Env, eventsOf, failed, runOnce, runWorkflow } from '../workflow/runner';
import { createKeyWorkflow } from './create';
import { deleteKeyWorkflow } from './delete';
import { ResourceModel, TypeConfigurationModel } from './models';
import { keyKind, keyPropsOf } from './props';
import { listKeys, readKey } from './read';
import { KeyCtx, KeyProps, KeyWorkflow } from './types';
import { updateKeyWorkflow } from './update';

type Request = ResourceHandlerRequest<ResourceModel>;
type Event = ProgressEvent<ResourceModel>;

const events = eventsOf(keyKind);

function envOf(session: Optional<SessionProxy>, request: Request, logger: LoggerProxy | undefined): Env<KeyProps> {
    const props = { desired: keyPropsOf(request.desiredResourceState), previous: keyPropsOf(request.previousResourceState) };
    return baseEnvOf(session, request, props, logger, 'Key');
}

function run(wf: KeyWorkflow, session: Optional<SessionProxy>, request: Request, ctx: KeyCtx, logger: LoggerProxy): Promise<Event> {
    return runWorkflow(wf, envOf(session, request, logger), ctx);
}

class KeyResource extends BaseResource<ResourceModel> {
    constructor(...args: ConstructorParameters<typeof BaseResource<ResourceModel>>) {
        super(...args);
        keepNextToken(this);
    }

    @handlerEvent(Action.Create)
    public async create(session: Optional<SessionProxy>, request: Request, ctx: KeyCtx, logger: LoggerProxy): Promise<Event> {
        return run(createKeyWorkflow, session, request, ctx, logger);
    }

    @handlerEvent(Action.Update)
    public async update(session: Optional<SessionProxy>, request: Request, ctx: KeyCtx, logger: LoggerProxy): Promise<Event> {
        return run(updateKeyWorkflow, session, request, ctx, logger);
    }

    @handlerEvent(Action.Delete)
    public async delete(session: Optional<SessionProxy>, request: Request, ctx: KeyCtx, logger: LoggerProxy): Promise<Event> {
        return run(deleteKeyWorkflow, session, request, ctx, logger);
    }

    @handlerEvent(Action.Read)
    public async read(session: Optional<SessionProxy>, request: Request): Promise<Event> {
        const env = envOf(session, request, undefined);
        const id = env.desired.keyId;
        return runOnce('read key', async () => {
            const model = await readKey(env.aws.kms, id);
            return model ? events.succeeded(model) : failed<ResourceModel>(HandlerErrorCode.NotFound, `KMS key ${id ?? '(no KeyId)'} was not found in an AWS CloudHSM key store, or is pending deletion.`);
        });
    }

    @handlerEvent(Action.List)
    public async list(session: Optional<SessionProxy>, request: Request): Promise<Event> {
        const env = envOf(session, request, undefined);
        return runOnce('list keys', async () => {
            const page = await listKeys(env.aws.kms, request.nextToken);
            return events.listed(page.models, page.nextToken);
        });
    }
}

export const resource = new KeyResource(ResourceModel.TYPE_NAME, ResourceModel, undefined, undefined, TypeConfigurationModel);

export const entrypoint = entrypointOf(resource);

export const testEntrypoint = resource.testEntrypoint;
