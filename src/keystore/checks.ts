import { KeyStore } from '../aws/kms';

export type Check = { kind: 'ready' } | { kind: 'pending'; detail: string } | { kind: 'failed'; reason: string; connectionErrorCode?: string };

const ready: Check = { kind: 'ready' };

/** Stabilization of a connect: CONNECTED, or on its way, or failed with KMS's reason. */
export function connected(store: KeyStore | undefined): Check {
    if (!store) return { kind: 'failed', reason: 'the key store no longer exists' };
    switch (store.state) {
        case 'CONNECTED':
            return ready;
        case 'CONNECTING':
            return { kind: 'pending', detail: 'CONNECTING' };
        case 'FAILED':
            return { kind: 'failed', reason: 'FAILED', connectionErrorCode: store.connectionErrorCode };
        default:
            // Some configuration errors fail fast and leave the store DISCONNECTED.
            return { kind: 'failed', reason: `the key store is ${store.state} instead of connecting` };
    }
}

export function disconnected(store: KeyStore | undefined): Check {
    if (!store || store.state === 'DISCONNECTED') return ready;
    if (store.state === 'DISCONNECTING') return { kind: 'pending', detail: 'DISCONNECTING' };
    return { kind: 'failed', reason: `the key store is ${store.state} instead of disconnecting` };
}
