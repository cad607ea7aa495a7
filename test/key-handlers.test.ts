/** The key type's Lambda entry point (src/key/handlers.ts): the shared library fixes apply to it too. */
import { entrypoint, resource } from '../src/key/handlers';

const filtersOf = () => (resource as unknown as { platformLambdaLogger: { logFilters: unknown[] } }).platformLambdaLogger.logFilters;

test('READ or DELETE without a KeyId: FAILED NotFound, no AWS call; log filters do not pile up', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the library's module object itself, whose export the test replaces
    const utils = require('@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib/dist/utils');
    const delay = utils.delay;
    utils.delay = async () => undefined;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
        for (const action of ['READ', 'DELETE', 'READ', 'UPDATE']) {
            const out = await entrypoint(
                {
                    action,
                    awsAccountId: '111122223333',
                    bearerToken: `t-${action}`,
                    region: 'us-east-1',
                    resourceType: 'Custom::KMS::CloudHsmKey',
                    requestData: { callerCredentials: { accessKeyId: 'AKIDX', secretAccessKey: 'secret-x' }, resourceProperties: {} },
                },
                {} as never,
            );
            expect(out).toMatchObject({ status: 'FAILED', errorCode: 'NotFound' });
        }
        expect(filtersOf().length).toBeLessThanOrEqual(2);
    } finally {
        utils.delay = delay;
        log.mockRestore();
    }
});
