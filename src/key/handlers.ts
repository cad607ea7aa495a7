/** The registry entry of Custom::KMS::CloudHsmKey: the handlers made from its definition. */
import { registeredType } from '../engine/registered-type';
import { keyDefinition } from './definition';

export const { resource, entrypoint, testEntrypoint } = registeredType(keyDefinition);
