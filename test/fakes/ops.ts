/** Shorthands the workflow tests use: one call per CloudFormation operation, and common set-ups. */
import { createWorkflow } from '../../src/keystore/create';
import { deleteWorkflow } from '../../src/keystore/delete';
import { updateWorkflow } from '../../src/keystore/update';
import type { KeyStoreProps } from '../../src/keystore/types';
import { CallRecord, FakeAws, StoreRec } from './aws';
import { drive, DriveOptions, DriveResult } from './drive';
import { CA_PEM, CLUSTER, desiredProps } from './world';

type Extra = Omit<DriveOptions, 'aws' | 'desired'>;

export function createOp(aws: FakeAws, props: KeyStoreProps = desiredProps(), opts: Extra = {}): Promise<DriveResult> {
    return drive(createWorkflow, { aws, desired: props, ...opts });
}

export function updateOp(aws: FakeAws, desired: KeyStoreProps, previous: KeyStoreProps, opts: Extra = {}): Promise<DriveResult> {
    return drive(updateWorkflow, { aws, desired, previous, request: { clientRequestToken: 'c3f1a0e2-5d4b-4a19-8e7f-0a1b2c3d4e5f' }, ...opts });
}

export function deleteOp(aws: FakeAws, desired: KeyStoreProps, opts: Extra = {}): Promise<DriveResult> {
    return drive(deleteWorkflow, { aws, desired, request: { clientRequestToken: '9e8d7c6b-5a49-4838-a727-161514131211' }, ...opts });
}

/**
 * A store a previous create made: CONNECTED on CLUSTER, kmsuser in the cluster with the password KMS holds, and
 * in the clusters of its backup family too (restored from a backup taken since KMS last rotated the password).
 */
export function existingStore(aws: FakeAws, p: Partial<StoreRec> = {}): StoreRec {
    const store = aws.kms.addStore({
        name: 'payments-keystore',
        clusterId: CLUSTER,
        trustAnchor: CA_PEM,
        password: 'rotatedByKms0001',
        state: 'CONNECTED',
        ...p,
    });
    const family = aws.hsm.clusters.get(store.clusterId)?.family;
    for (const cluster of aws.hsm.clusters.values()) {
        if (cluster.id !== store.clusterId && cluster.family !== family) continue;
        cluster.kmsUser = true;
        cluster.kmsUserPassword = store.password;
    }
    return store;
}

/** The model a stack holds for that store (what update and delete get as desired/previous). */
export function stackModel(store: StoreRec, extra: Partial<KeyStoreProps> = {}): KeyStoreProps {
    return desiredProps({ customKeyStoreId: store.id, keyStoreName: store.name, cloudHsmClusterId: store.clusterId, ...extra });
}

/** Mutating calls as "op" or "op:detail" strings, to compare sequences. */
export function sideEffects(calls: CallRecord[]): string[] {
    const out: string[] = [];
    for (const c of calls) {
        if (c.threw) continue;
        switch (c.op) {
            case 'kms.update': {
                const change = c.args[1] as { name?: string; clusterId?: string; password?: string };
                const parts = [
                    change.name !== undefined ? 'name' : '',
                    change.clusterId !== undefined ? 'cluster' : '',
                    change.password !== undefined ? 'password' : '',
                ].filter(Boolean);
                out.push(`kms.update:${parts.join('+')}`);
                break;
            }
            case 'ssm.sendShellScript': {
                const commands = (c.args[0] as { commands: string[] }).commands;
                const action = /^K_ACTION='([a-z]+)'$/.exec(commands.find((l) => l.startsWith('K_ACTION=')) ?? '')?.[1];
                // the create's preflight only reads (user list, the admin secret): it changes nothing in AWS
                if (action !== 'check') out.push(`ssm.sendShellScript:${action}`);
                break;
            }
            case 'kms.createStore':
            case 'kms.connect':
            case 'kms.disconnect':
            case 'kms.deleteStore':
            case 'secrets.create':
            case 'secrets.forceDelete':
                out.push(c.op);
                break;
            default:
                break;
        }
    }
    return out;
}
