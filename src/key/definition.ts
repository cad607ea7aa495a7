/** Custom::KMS::CloudHsmKey as one definition: its handlers, entry points and custom resource type come from it. */
import { TypeDefinition } from '../engine/registered-type';
import { createKeyWorkflow } from './create';
import { deleteKeyWorkflow } from './delete';
import { ResourceModel, TypeConfigurationModel } from './models';
import { keyKind, keyPropsOf } from './props';
import { listKeys, readKey } from './read';
import { modelTags } from './tags';
import { KeyCtx, KeyProps } from './types';
import { updateKeyWorkflow } from './update';

export const keyDefinition: TypeDefinition<KeyProps, KeyCtx, ResourceModel> = {
    model: ResourceModel,
    typeConfiguration: TypeConfigurationModel,
    kind: keyKind,
    propsOf: keyPropsOf,
    defaultLogicalId: 'Key',
    workflows: { create: createKeyWorkflow, update: updateKeyWorkflow, delete: deleteKeyWorkflow },
    read: {
        action: 'read key',
        run: async (aws, props, request) => {
            const model = await readKey(aws.kms, props.keyId);
            return model && { ...model, tags: modelTags(model.tags ?? [], props.tags, request) };
        },
        notFound: (props) => `KMS key ${props.keyId ?? '(no KeyId)'} was not found in an AWS CloudHSM key store, or is pending deletion.`,
    },
    list: { action: 'list keys', run: (aws, nextToken) => listKeys(aws.kms, nextToken) },
};
