import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { listStores, readModel, readStore } from '../../src/keystore/read';
import { encodeRecord, recordName } from '../../src/keystore/record';
import { failed, runOnce } from '../../src/engine/runner';
import { listed, succeeded } from '../../src/keystore/kind';
import { checkEveryDrive } from '../fakes/checks';
import { existingStore } from '../fakes/ops';
import { CA_PEM, CLUSTER, OTHER_CLUSTER, standardWorld } from '../fakes/world';

checkEveryDrive();

describe('readStore', () => {
    test('the model of an AWS_CLOUDHSM store', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'FAILED', connectionErrorCode: 'NETWORK_ERRORS' });
        expect(await readStore(aws.adapters().kms, store.id, undefined)).toEqual({
            customKeyStoreId: store.id,
            keyStoreName: 'payments-keystore',
            cloudHsmClusterId: CLUSTER,
            desiredConnectionState: 'CONNECTED',
            connectionState: 'FAILED',
            trustAnchorCertificate: CA_PEM,
        });
    });

    test('Read reports what was asked (the record) beside the live state; CONNECTED without a record', async () => {
        const aws = standardWorld();
        const store = existingStore(aws, { state: 'DISCONNECTED' });
        expect(await readModel(aws.adapters(), store.id)).toMatchObject({ desiredConnectionState: 'CONNECTED', connectionState: 'DISCONNECTED' });
        aws.ssm.parameters.set(recordName(store.id), encodeRecord({ props: {}, desiredConnectionState: 'DISCONNECTED' }));
        expect(await readModel(aws.adapters(), store.id)).toMatchObject({ desiredConnectionState: 'DISCONNECTED', connectionState: 'DISCONNECTED' });
        expect(await readModel(aws.adapters(), 'cks-0000000000000000a')).toBeUndefined();
    });

    test('no id, a missing store, an external key store: undefined (NotFound)', async () => {
        const aws = standardWorld();
        const xks = aws.kms.addStore({ name: 'xks', clusterId: '', type: 'EXTERNAL_KEY_STORE' });
        const kms = aws.adapters().kms;
        expect(await readStore(kms, undefined, undefined)).toBeUndefined();
        expect(aws.log.length).toBe(0);
        expect(await readStore(kms, 'cks-0000000000000000a', undefined)).toBeUndefined();
        expect(await readStore(kms, xks.id, undefined)).toBeUndefined();
    });
});

describe('listStores', () => {
    test('follows the pages, AWS_CLOUDHSM stores only', async () => {
        const aws = standardWorld();
        aws.kms.storePageSize = 2;
        const a = aws.kms.addStore({ name: 'a', clusterId: CLUSTER });
        aws.kms.addStore({ name: 'x1', clusterId: '', type: 'EXTERNAL_KEY_STORE' });
        aws.kms.addStore({ name: 'x2', clusterId: '', type: 'EXTERNAL_KEY_STORE' });
        aws.kms.addStore({ name: 'x3', clusterId: '', type: 'EXTERNAL_KEY_STORE' });
        const b = aws.kms.addStore({ name: 'b', clusterId: OTHER_CLUSTER, state: 'DISCONNECTED' });
        const c = aws.kms.addStore({ name: 'c', clusterId: 'cluster-elsewhere2345', state: 'FAILED', connectionErrorCode: 'USER_NOT_FOUND' });

        const kms = aws.adapters();
        const pages: Array<{ ids: string[]; next?: string }> = [];
        let token: string | undefined;
        do {
            const page = await listStores(kms, token);
            pages.push({ ids: page.models.map((m) => m.customKeyStoreId as string), next: page.nextToken });
            token = page.nextToken;
        } while (token && pages.length < 10);
        expect(pages).toEqual([
            { ids: [a.id], next: 'stores:2' },
            { ids: [], next: 'stores:4' }, // a page of external stores only: keep going
            { ids: [b.id, c.id], next: undefined },
        ]);
        expect(aws.log.of('kms.listStores').map((x) => x.args[0] ?? null)).toEqual([null, 'stores:2', 'stores:4']);
        const all = await listStores(kms, 'stores:4');
        expect(all.models[1]).toEqual({
            customKeyStoreId: c.id,
            keyStoreName: 'c',
            cloudHsmClusterId: 'cluster-elsewhere2345',
            desiredConnectionState: 'CONNECTED',
            connectionState: 'FAILED',
            trustAnchorCertificate: 'pem',
        });
    });

    test('no stores: one empty page', async () => {
        const aws = standardWorld();
        expect(await listStores(aws.adapters())).toEqual({ models: [], nextToken: undefined });
    });
});

describe('the events Read and List answer with (src/handlers.ts builds them with these)', () => {
    test('READ: SUCCESS carries the model; NotFound otherwise', async () => {
        const aws = standardWorld();
        const store = existingStore(aws);
        const model = await readModel(aws.adapters(), store.id);
        const ok = succeeded(model).serialize();
        expect(ok).toEqual({
            status: 'SUCCESS',
            message: '',
            callbackDelaySeconds: 0,
            resourceModel: {
                CustomKeyStoreId: store.id,
                KeyStoreName: 'payments-keystore',
                CloudHsmClusterId: CLUSTER,
                DesiredConnectionState: 'CONNECTED',
                ConnectionState: 'CONNECTED',
                TrustAnchorCertificate: CA_PEM,
            },
        });
        expect(failed(HandlerErrorCode.NotFound, 'gone').serialize()).toEqual({
            status: 'FAILED',
            errorCode: 'NotFound',
            message: 'Gone.',
            callbackDelaySeconds: 0,
        });
    });

    test('LIST: resourceModels and nextToken', async () => {
        const aws = standardWorld();
        aws.kms.storePageSize = 1;
        const a = aws.kms.addStore({ name: 'a', clusterId: CLUSTER });
        aws.kms.addStore({ name: 'b', clusterId: OTHER_CLUSTER });
        const page = await listStores(aws.adapters());
        const e = listed(page.models, page.nextToken).serialize();
        expect(e).toMatchObject({ status: 'SUCCESS', nextToken: 'stores:1' });
        expect(e.resourceModels).toEqual([
            {
                CustomKeyStoreId: a.id,
                KeyStoreName: 'a',
                CloudHsmClusterId: CLUSTER,
                DesiredConnectionState: 'CONNECTED',
                ConnectionState: 'CONNECTED',
                TrustAnchorCertificate: 'pem',
            },
        ]);
    });

    test('a throttled LIST is FAILED Throttling, never IN_PROGRESS', async () => {
        const aws = standardWorld();
        aws.inject('kms.listStores', 'ThrottlingException');
        const e = await runOnce('list', async () => {
            const page = await listStores(aws.adapters());
            return listed(page.models, page.nextToken);
        });
        expect(e.status).toBe('FAILED');
        expect(e.errorCode).toBe(HandlerErrorCode.Throttling);
        expect(e.message).toContain('List failed with ThrottlingException');
    });
});
