/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: 'node',
    roots: ['<rootDir>/test'],
    testMatch: ['**/*.test.ts'],
    transform: { '^.+\\.ts$': 'ts-jest' }, // isolatedModules (tsconfig.json): each file transpiled alone, as fast as that
    setupFiles: ['<rootDir>/test/setup-env.ts'],
    testTimeout: 60000,
    // One worker per core: the suites run on virtual time, so they wait on child processes and sockets, not on the clock.
    maxWorkers: '100%',
};
