// ESLint for the whole repository: typescript-eslint's recommended rules, no import cycles, and the engine
// (src/engine) kept free of every resource type. Formatting is Prettier's (npm run format), not ESLint's.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');
const prettier = require('eslint-config-prettier');

module.exports = tseslint.config(
    { ignores: ['node_modules/', 'dist/', 'build/', 'coverage/', 'src/models.ts', 'src/key/models.ts', 'local/standins/'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        plugins: { 'import-x': importX },
        settings: {
            'import-x/extensions': ['.ts', '.js'],
            'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
            'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
        },
        rules: {
            'import-x/no-cycle': ['error', { ignoreExternal: true }],
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
        },
    },
    {
        files: ['src/engine/**/*.ts'],
        rules: {
            'no-restricted-imports': [
                'error',
                {
                    patterns: [
                        {
                            group: [
                                '**/keystore/**',
                                '**/key/**',
                                '**/custom-resource/**',
                                '**/custom-resource',
                                '**/models',
                                '**/handlers',
                                '**/key-handlers',
                            ],
                            message: 'The engine imports no resource type: a type builds on the engine, never the other way.',
                        },
                    ],
                },
            ],
        },
    },
    {
        files: ['**/*.js'],
        languageOptions: {
            sourceType: 'commonjs',
            globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
        },
        rules: { '@typescript-eslint/no-require-imports': 'off' },
    },
    prettier,
);
