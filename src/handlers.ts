/** The Lambda entry module of Custom::KMS::CloudHsmKeyStore (dist/handlers.js in the build); the code is in src/keystore/. */
export { entrypoint, resource, testEntrypoint } from './keystore/handlers';
