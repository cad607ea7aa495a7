/** The registry entry of Custom::KMS::CloudHsmKeyStore: the handlers made from its definition. */
import { registeredType } from '../engine/registered-type';
import { keyStoreDefinition } from './definition';

export const { resource, entrypoint, testEntrypoint } = registeredType(keyStoreDefinition);
