import { ResourceModel } from '../models';
import { KeyStoreProps } from './types';

const PROPS: ReadonlyArray<keyof KeyStoreProps> = [
    'customKeyStoreId',
    'keyStoreName',
    'cloudHsmClusterId',
    'cloudHsmCustCaCertSecretName',
    'cloudHsmAdminPasswordSecretName',
    'cloudHsmAdminUsername',
    'clientInstanceId',
    'deleteKeyStoreUponStackDeletion',
    'adoptExistingKmsUser',
    'desiredConnectionState',
    'connectionState',
    'trustAnchorCertificate',
];

/** A plain, unfrozen copy of the model's set properties. */
export function propsOf(model: ResourceModel | undefined | null): KeyStoreProps {
    const out: Record<string, unknown> = {};
    for (const key of PROPS) if (model?.[key] != null) out[key] = model[key];
    return out as KeyStoreProps;
}
