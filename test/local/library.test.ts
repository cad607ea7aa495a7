// Behaviour of the real library 1.0.6 the local tools depend on or work around, measured.
import { scaleLibraryDelay } from '../../local/driver';
import { buildHandlerRequest, newBearerToken } from '../../local/handler-request';
import { entrypoint, libraryLogFilters, resetToy, toy } from './fixtures/toy-resource';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the library's module object itself, whose export the test inspects
const libUtils = require('@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib/dist/utils') as { delay: unknown };
const originalDelay = libUtils.delay;

beforeAll(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(() => jest.restoreAllMocks());
beforeEach(() => resetToy());

const readRequest = () =>
    buildHandlerRequest({
        action: 'READ',
        resourceType: 'Local::Test::Toy',
        bearerToken: newBearerToken(),
        resourceProperties: { Id: 'toy-deadbeef' },
    });

async function timeOneInvocation(): Promise<number> {
    const t0 = performance.now();
    const r = await entrypoint(readRequest(), {});
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'NotFound' });
    return performance.now() - t0;
}

describe('scaleLibraryDelay: the fixed 1 s sleep at the end of every invocation', () => {
    test('unscaled, an invocation takes at least 1 s', async () => {
        expect(await timeOneInvocation()).toBeGreaterThanOrEqual(990);
    });

    test('scaled by 0.2 it takes ~200 ms; by 0 it takes almost nothing; restore puts the original back', async () => {
        const restore = scaleLibraryDelay(0.2);
        const scaled = await timeOneInvocation();
        expect(scaled).toBeGreaterThanOrEqual(195);
        expect(scaled).toBeLessThan(800);
        const restoreZero = scaleLibraryDelay(0); // scales the ORIGINAL: 0, not 0.2 * 0
        expect(await timeOneInvocation()).toBeLessThan(150);
        restoreZero();
        const again = await timeOneInvocation();
        expect(again).toBeGreaterThanOrEqual(195);
        expect(again).toBeLessThan(800);
        restore();
        expect(libUtils.delay).toBe(originalDelay);
    });

    test('scalings do not compound', async () => {
        const r1 = scaleLibraryDelay(0.5);
        const r2 = scaleLibraryDelay(0.15); // 150 ms, not 75 ms
        const t = await timeOneInvocation();
        expect(t).toBeGreaterThanOrEqual(145);
        expect(t).toBeLessThan(450);
        r2();
        r1();
        expect(libUtils.delay).toBe(originalDelay);
    });

    test('rejects a negative or non-finite scale', () => {
        expect(() => scaleLibraryDelay(-1)).toThrow(/finite number >= 0/);
        expect(() => scaleLibraryDelay(Number.NaN)).toThrow(/finite number >= 0/);
    });
});

describe('library 1.0.6 log filter leak (why the toy clears them)', () => {
    test('every entrypoint call adds 2 filters to the shared platform log publisher', async () => {
        const restore = scaleLibraryDelay(0);
        try {
            toy.clearLibraryLogFilters = false;
            libraryLogFilters().length = 0;
            for (let i = 0; i < 5; i++) await entrypoint(readRequest(), {});
            expect(libraryLogFilters().length).toBe(10);
            toy.clearLibraryLogFilters = true;
            await entrypoint(readRequest(), {});
            expect(libraryLogFilters().length).toBe(2);
        } finally {
            restore();
        }
    });
});
