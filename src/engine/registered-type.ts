/**
 * One definition per registered resource type; its handler class and Lambda entry points are made from it
 * here, so a fix to the handler contract is made once for every type. The custom resource provider's type
 * table (src/custom-resource/types.ts) takes its workflows and model conversion from the same definitions.
 */
import {
    Action,
    BaseModel,
    BaseResource,
    HandlerErrorCode,
    handlerEvent,
    LoggerProxy,
    Optional,
    ProgressEvent,
    ResourceHandlerRequest,
    SessionProxy,
} from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import type { Adapters } from '../aws/adapters';
import { entrypointOf, keepNextToken } from '../library-runtime';
import { envOf } from './env';
import { Env, eventsOf, failed, runOnce, runWorkflow } from './runner';
import { RequestInfo, ResourceKind, RunnerCtx, Workflow } from './types';

/** What a generated model class offers (src/models.ts, in the shape `cfn generate` writes). */
export type ModelClass<M extends BaseModel> = (new (...args: never[]) => M) & { readonly TYPE_NAME: string };

export interface TypeDefinition<P, C extends RunnerCtx<P>, M extends BaseModel> {
    model: ModelClass<M>;
    typeConfiguration: new (...args: never[]) => BaseModel;
    kind: ResourceKind<P, M>;
    /** The model CloudFormation sent -> the workflows' props. */
    propsOf(model: M | undefined): P;
    /** Used in names and tokens when a request carries no logical id. */
    defaultLogicalId: string;
    workflows: { create: Workflow<P, C, M>; update: Workflow<P, C, M>; delete: Workflow<P, C, M> };
    read: {
        /** How the action is named in error messages ("read key"). */
        action: string;
        /** `request`: the request's facts (a taggable type reads the stack's tags from it). */
        run(aws: Adapters, props: P, request: RequestInfo): Promise<P | undefined>;
        /** The NotFound message for these props. */
        notFound(props: P): string;
    };
    list: {
        action: string;
        run(aws: Adapters, nextToken: string | undefined): Promise<{ models: P[]; nextToken?: string }>;
    };
}

export interface RegisteredType<M extends BaseModel> {
    resource: BaseResource<M>;
    entrypoint: BaseResource<M>['entrypoint'];
    testEntrypoint: BaseResource<M>['testEntrypoint'];
}

export function registeredType<P, C extends RunnerCtx<P>, M extends BaseModel>(def: TypeDefinition<P, C, M>): RegisteredType<M> {
    type Request = ResourceHandlerRequest<M>;
    type Event = ProgressEvent<M>;
    const events = eventsOf(def.kind);
    const env = (session: Optional<SessionProxy>, request: Request, logger: LoggerProxy | undefined): Env<P> =>
        envOf(
            session,
            request,
            { desired: def.propsOf(request.desiredResourceState), previous: def.propsOf(request.previousResourceState) },
            logger,
            def.defaultLogicalId,
        );
    const run = (wf: Workflow<P, C, M>, session: Optional<SessionProxy>, request: Request, ctx: C, logger: LoggerProxy): Promise<Event> =>
        runWorkflow(wf, env(session, request, logger), ctx);

    class Resource extends BaseResource<M> {
        constructor(...args: ConstructorParameters<typeof BaseResource<M>>) {
            super(...args);
            keepNextToken(this);
        }

        @handlerEvent(Action.Create)
        public async create(session: Optional<SessionProxy>, request: Request, ctx: C, logger: LoggerProxy): Promise<Event> {
            return run(def.workflows.create, session, request, ctx, logger);
        }

        @handlerEvent(Action.Update)
        public async update(session: Optional<SessionProxy>, request: Request, ctx: C, logger: LoggerProxy): Promise<Event> {
            return run(def.workflows.update, session, request, ctx, logger);
        }

        @handlerEvent(Action.Delete)
        public async delete(session: Optional<SessionProxy>, request: Request, ctx: C, logger: LoggerProxy): Promise<Event> {
            return run(def.workflows.delete, session, request, ctx, logger);
        }

        @handlerEvent(Action.Read)
        public async read(session: Optional<SessionProxy>, request: Request): Promise<Event> {
            const e = env(session, request, undefined);
            return runOnce(def.read.action, async () => {
                const props = await def.read.run(e.aws, e.desired, e.request);
                return props ? events.succeeded(props) : failed<M>(HandlerErrorCode.NotFound, def.read.notFound(e.desired));
            });
        }

        @handlerEvent(Action.List)
        public async list(session: Optional<SessionProxy>, request: Request): Promise<Event> {
            const e = env(session, request, undefined);
            return runOnce(def.list.action, async () => {
                const page = await def.list.run(e.aws, request.nextToken);
                return events.listed(page.models, page.nextToken);
            });
        }
    }

    // The library's constructor takes the model classes as the generated code defines them.
    const Model = def.model as unknown as ConstructorParameters<typeof BaseResource<M>>[1];
    const TypeConfiguration = def.typeConfiguration as unknown as ConstructorParameters<typeof BaseResource<M>>[4];
    const resource = new Resource(def.model.TYPE_NAME, Model, undefined, undefined, TypeConfiguration);
    return { resource, entrypoint: entrypointOf(resource), testEntrypoint: resource.testEntrypoint };
}
