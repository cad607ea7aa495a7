/**
 * The standard account the workflow tests start from: one ACTIVE cluster with two HSMs in two AZs, a
 * related cluster (same backup family) to move to, the admin password and customer CA secrets, and an
 * online client instance. `desiredProps()` is a template's properties for it.
 */
import type { KeyStoreProps } from '../../src/keystore/types';
import { FakeAws } from './aws';

/** A real (self-signed, P-256) CA certificate: the handler parses it with X509Certificate. */
export const CA_PEM = [
    '-----BEGIN CERTIFICATE-----',
    'MIIBjDCCATOgAwIBAgIUNBdW2xLtDFjfLmYRR3W9F0z1M10wCgYIKoZIzj0EAwIw',
    'GzEZMBcGA1UEAwwQVGVzdCBDdXN0b21lciBDQTAgFw0yNjExMjgxMzExMzdaGA8y',
    'MTI2MTEwNDEzMTEzN1owGzEZMBcGA1UEAwwQVGVzdCBDdXN0b21lciBDQTBZMBMG',
    'ByqGSM49AgEGCCqGSM49AwEHA0IABFQ5Pn/gT/QbVHv4D8HXn6942MQKdI/K+T+b',
    'Guby8i4rxzbWnEZZ08W85K8IeJtbzEVlfSxnYtMnuOmSgxLJJDijUzBRMB0GA1Ud',
    'DgQWBBS3eCnEsTxeaLMV5nVlKRqH4xqSjzAfBgNVHSMEGDAWgBS3eCnEsTxeaLMV',
    '5nVlKRqH4xqSjzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIFGF',
    'mdD6y+qtXtxNERxX/qc0ElvQLsz4KufY63nvQRExAiB08rXCvGInYPsDQR+KGHQ/',
    '+caOkA3g/0lcevw/O1GIxA==',
    '-----END CERTIFICATE-----',
].join('\n');

export const CLUSTER = 'cluster-kmsprimary23';
/** Same backup family as CLUSTER: a store may move to it. */
export const RELATED_CLUSTER = 'cluster-kmsrelated45';
/** Another family. */
export const OTHER_CLUSTER = 'cluster-kmsforeign67';
export const INSTANCE = 'i-0123456789abcdef0';
export const ADMIN_SECRET = 'prod/cloudhsm/admin-password';
export const CA_SECRET = 'prod/cloudhsm/customer-ca';
/** Put in the admin secret; must never show up anywhere (the handler never reads it). */
export const ADMIN_PASSWORD = 'Adm1n-P4ss-7f3c9e1d-never-read';

export function standardWorld(): FakeAws {
    const aws = new FakeAws();
    aws.hsm.addCluster({ id: CLUSTER, family: 'family-1' });
    aws.hsm.addCluster({ id: RELATED_CLUSTER, family: 'family-1' });
    aws.hsm.addCluster({ id: OTHER_CLUSTER, family: 'family-2' });
    aws.secrets.put(ADMIN_SECRET, JSON.stringify({ password: ADMIN_PASSWORD }), { neverRead: true });
    aws.secrets.put(CA_SECRET, CA_PEM, { public: true });
    aws.ssm.addInstance(INSTANCE, 'Online');
    return aws;
}

/** A template's properties for the standard account. */
export function desiredProps(extra: Partial<KeyStoreProps> = {}): KeyStoreProps {
    return {
        keyStoreName: 'payments-keystore',
        cloudHsmClusterId: CLUSTER,
        cloudHsmCustCaCertSecretName: CA_SECRET,
        cloudHsmAdminPasswordSecretName: ADMIN_SECRET,
        clientInstanceId: INSTANCE,
        ...extra,
    };
}

export const WRITE_ONLY: ReadonlyArray<keyof KeyStoreProps> = [
    'cloudHsmCustCaCertSecretName',
    'cloudHsmAdminPasswordSecretName',
    'cloudHsmAdminUsername',
    'clientInstanceId',
    'deleteKeyStoreUponStackDeletion',
    'adoptExistingKmsUser',
];
export const READ_ONLY: ReadonlyArray<keyof KeyStoreProps> = ['customKeyStoreId', 'connectionState', 'trustAnchorCertificate'];
