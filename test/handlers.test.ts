import { entrypoint, resource } from '../src/keystore/handlers';

const filtersOf = () => (resource as unknown as { platformLambdaLogger: { logFilters: unknown[] } }).platformLambdaLogger.logFilters;

test('log filters do not pile up across invocations of a warm container', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the library's module object itself, whose export the test replaces
    const utils = require('@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib/dist/utils');
    const delay = utils.delay;
    utils.delay = async () => undefined;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
        for (let i = 0; i < 5; i++) {
            // READ without an id fails fast with NotFound and makes no AWS call.
            const out = await entrypoint(
                {
                    action: 'READ',
                    awsAccountId: '111122223333',
                    bearerToken: `t${i}`,
                    region: 'us-east-1',
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
