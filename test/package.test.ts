/**
 * `npm run package`: the zips `cfn submit` would upload for both types, each in the TypeScript plugin's layout for
 * its own folder, and the handler inside them answers Reads for both types against the simulator.
 */
import { CreateCustomKeyStoreCommand, KMSClient } from '@aws-sdk/client-kms';
import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { unzipSync } from 'fflate';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { defaultKeyProperties, defaultProperties, startHarness } from '../local/harness';
import { ROOT, TSX } from './support/artifact';

jest.setTimeout(180_000);

const out = mkdtempSync(join(tmpdir(), 'keystore-package-'));
const temporary = [out];
afterAll(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
let stdout: string;
const unzipped: Record<string, Record<string, Uint8Array>> = {};
let handler: Record<string, Uint8Array>;

/** Each type's cfn folder, the zip `cfn submit --dry-run` writes there, its schema and its entry points. */
const TYPES = [
    {
        folder: '.',
        zip: 'custom-kms-cloudhsmkeystore.zip',
        schema: 'custom-kms-cloudhsmkeystore.json',
        typeName: 'Custom::KMS::CloudHsmKeyStore',
        module: 'dist/handlers',
    },
    {
        folder: 'key',
        zip: 'key/custom-kms-cloudhsmkey.zip',
        schema: 'key/custom-kms-cloudhsmkey.json',
        typeName: 'Custom::KMS::CloudHsmKey',
        module: 'dist/key-handlers',
    },
];

beforeAll(() => {
    stdout = execFileSync(TSX, [join(ROOT, 'scripts', 'package.ts'), '--out', out], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' });
    for (const t of TYPES) unzipped[t.zip] = unzipSync(readFileSync(join(out, t.zip)));
    handler = unzipSync(unzipped[TYPES[0].zip]['ResourceProvider.zip']);
});

test('it says where each zip is', () => {
    for (const t of TYPES) expect(stdout).toContain(`${t.typeName}: `);
    expect(stdout).toContain('custom-kms-cloudhsmkeystore.zip');
    expect(stdout).toContain(join('key', 'custom-kms-cloudhsmkey.zip'));
});

test.each(TYPES)('the $typeName submission ($zip) has the layout cfn submit writes in $folder', (t) => {
    const submission = unzipped[t.zip];
    const srcFiles = (readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }) as string[])
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `src/${f}`);
    const inputs = readdirSync(join(ROOT, t.folder, 'inputs')).map((f) => `inputs/${f}`);
    expect(inputs.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(submission).sort()).toEqual(
        ['.cfn_metadata.json', '.rpdk-config', 'ResourceProvider.zip', 'schema.json', ...inputs, ...srcFiles].sort(),
    );
    expect(Buffer.from(submission['schema.json']).equals(readFileSync(join(ROOT, t.schema)))).toBe(true);
    expect(Buffer.from(submission['.rpdk-config']).equals(readFileSync(join(ROOT, t.folder, '.rpdk-config')))).toBe(true);
    for (const i of inputs) expect(Buffer.from(submission[i]).equals(readFileSync(join(ROOT, t.folder, i)))).toBe(true);
    expect(JSON.parse(Buffer.from(submission['.cfn_metadata.json']).toString())).toEqual({ 'cli-version': '0.2.39' });
    const settings = JSON.parse(Buffer.from(submission['.rpdk-config']).toString());
    expect(settings).toMatchObject({
        typeName: t.typeName,
        runtime: 'nodejs22.x',
        entrypoint: `${t.module}.entrypoint`,
        testEntrypoint: `${t.module}.testEntrypoint`,
    });
    expect(JSON.parse(Buffer.from(submission['schema.json']).toString()).typeName).toBe(t.typeName);
    // one handler package for both types
    expect(Buffer.from(submission['ResourceProvider.zip']).equals(Buffer.from(readFileSync(join(out, 'build', 'ResourceProvider.zip'))))).toBe(true);
});

test("the handler package is the bundle alone, at most 2 MB zipped, with both types' entry points", () => {
    // one bundle for every entry point, and a one-line stub per entry point
    expect(Object.keys(handler).sort()).toEqual(['dist/custom-resource.js', 'dist/handlers.js', 'dist/index.js', 'dist/index.js.map', 'dist/key-handlers.js']);
    expect(Object.keys(handler).some((n) => n.includes('node_modules'))).toBe(false);
    expect(readFileSync(join(out, 'build', 'ResourceProvider.zip')).length).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(readFileSync(join(out, 'build', 'custom-resource-provider.zip')).equals(readFileSync(join(out, 'build', 'ResourceProvider.zip')))).toBe(true);
});

test("the handler inside the key's submission answers Reads of both types against the simulator", async () => {
    const unpacked = mkdtempSync(join(tmpdir(), 'keystore-unpacked-'));
    temporary.push(unpacked);
    for (const [name, data] of Object.entries(unzipSync(unzipped['key/custom-kms-cloudhsmkey.zip']['ResourceProvider.zip']))) {
        mkdirSync(dirname(join(unpacked, name)), { recursive: true });
        writeFileSync(join(unpacked, name), data);
    }
    const h = await startHarness({ artifact: unpacked });
    try {
        // the key store type: a store made directly in KMS reads back; a missing one is NotFound
        const state = await h.sim.control.state();
        const cluster = state.clusters.find((c) => c.id === defaultProperties().CloudHsmClusterId)!;
        const kms = new KMSClient({ region: 'us-east-1', endpoint: h.sim.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
        const made = await kms.send(
            new CreateCustomKeyStoreCommand({
                CustomKeyStoreName: 'PackagedRead',
                CloudHsmClusterId: cluster.id,
                TrustAnchorCertificate: cluster.caPem,
                KeyStorePassword: 'Bootstrap1',
            }),
        );
        const read = await h.driver.read({ CustomKeyStoreId: made.CustomKeyStoreId });
        expect(read.status).toBe('SUCCESS');
        expect(read.model).toMatchObject({ CustomKeyStoreId: made.CustomKeyStoreId, KeyStoreName: 'PackagedRead', ConnectionState: 'DISCONNECTED' });
        expect((await h.driver.read({ CustomKeyStoreId: 'cks-0123456789abcdef0' })).errorCode).toBe('NotFound');

        // the key type: a missing key is NotFound; a key made by the packaged key handler (in a store the packaged
        // store handler made and connected, the other store deleted first: one store per cluster) reads back
        expect((await h.keyDriver.read({ KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' })).errorCode).toBe('NotFound');
        expect((await h.driver.delete({ CustomKeyStoreId: made.CustomKeyStoreId })).status).toBe('SUCCESS');
        const store = await h.driver.create(defaultProperties());
        expect(store.status).toBe('SUCCESS');
        const key = await h.keyDriver.create(defaultKeyProperties(store.model!.CustomKeyStoreId as string));
        expect(key.status).toBe('SUCCESS');
        const keyRead = await h.keyDriver.read({ KeyId: key.model!.KeyId });
        expect(keyRead.status).toBe('SUCCESS');
        expect(keyRead.model).toMatchObject({ KeyId: key.model!.KeyId, CustomKeyStoreId: store.model!.CustomKeyStoreId, KeyState: 'Enabled' });
    } finally {
        await h.stop();
    }
});
