/** Custom::KMS::CloudHsmKeyStore as one definition: its handlers, entry points and custom resource type come from it. */
import { TypeDefinition } from '../engine/registered-type';
import { ResourceModel, TypeConfigurationModel } from '../models';
import { createWorkflow } from './create';
import { deleteWorkflow } from './delete';
import { keyStoreKind } from './kind';
import { propsOf } from './props';
import { listStores, readModel } from './read';
import { Ctx, KeyStoreProps } from './types';
import { updateWorkflow } from './update';

export const keyStoreDefinition: TypeDefinition<KeyStoreProps, Ctx, ResourceModel> = {
    model: ResourceModel,
    typeConfiguration: TypeConfigurationModel,
    kind: keyStoreKind,
    propsOf,
    defaultLogicalId: 'KeyStore',
    workflows: { create: createWorkflow, update: updateWorkflow, delete: deleteWorkflow },
    read: {
        action: 'read',
        run: (aws, props) => readModel(aws, props.customKeyStoreId),
        notFound: (props) => `Key store ${props.customKeyStoreId ?? '(no CustomKeyStoreId)'} was not found.`,
    },
    list: { action: 'list', run: (aws, nextToken) => listStores(aws, nextToken) },
};
