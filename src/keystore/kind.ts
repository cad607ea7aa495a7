import { ResourceModel } from '../models';
import { eventsOf } from '../engine/runner';
import { KeyStoreProps, ResourceKind } from './types';

/** The key store as the runner sees it: its model and its primary identifier. */
export const keyStoreKind: ResourceKind<KeyStoreProps, ResourceModel> = {
    toModel: (props) => new ResourceModel({ ...props }),
    identifier: (props) => props.customKeyStoreId,
};

export const { succeeded, listed } = eventsOf(keyStoreKind);
