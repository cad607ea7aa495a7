/** The Lambda entry module of Custom::KMS::CloudHsmKey (dist/key-handlers.js in the build); the code is in src/key/. */
export { entrypoint, resource, testEntrypoint } from './key/handlers';
