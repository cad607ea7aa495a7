/**
 * The key store's record: what delete, repair and a cluster move need but KMS cannot tell, the write-only
 * properties (DESIGN section 5). Cloud Control and `cfn test` send only the identifier (or the read model)
 * to delete and update, so the handler keeps these names and ids itself, one SSM Parameter Store String
 * parameter per key store it manages. Names and ids only: never a secret value.
 */
import { ADMIN_USERNAME_RE, INSTANCE_ID_RE, SECRET_ID_RE } from '../kmsuser/script';
import type { KeyStoreProps } from './types';

/** Who made the kmsuser the key store logs in as: CREATED ones are removed with the store. */
export type KmsUserOrigin = 'CREATED' | 'ADOPTED';

export interface KeyStoreRecord {
    props: Pick<
        KeyStoreProps,
        | 'clientInstanceId'
        | 'cloudHsmAdminPasswordSecretName'
        | 'cloudHsmAdminUsername'
        | 'cloudHsmCustCaCertSecretName'
        | 'deleteKeyStoreUponStackDeletion'
        | 'adoptExistingKmsUser'
    >;
    kmsUser?: KmsUserOrigin;
    /** The stack's logical id of the resource that made the store. */
    logicalResourceId?: string;
    /** The stack (its ARN) that made the store: with the logical id, what proves a leftover store is this resource's own. */
    stackId?: string;
    /** A digest of the create request (token and logical id) that made the store: a replayed invocation of that request finds its own store by it. */
    createdBy?: string;
    /** The ARN of the bootstrap secret of the create that made the store: a resumed create deletes it if it is left. */
    bootstrapSecretArn?: string;
    /**
     * The DesiredConnectionState of the last create or update: what Read reports (Cloud Control reads with the
     * identifier alone). Not among `props`: an update that leaves the property out asks for the default, CONNECTED.
     */
    desiredConnectionState?: DesiredConnectionState;
}

export type DesiredConnectionState = 'CONNECTED' | 'DISCONNECTED';

/** The schema's default for DesiredConnectionState. */
export const DEFAULT_CONNECTION_STATE: DesiredConnectionState = 'CONNECTED';

/** What a request (or a record) asks of the connection: anything but DISCONNECTED is the default. */
export const desiredStateOf = (value: unknown): DesiredConnectionState => (value === 'DISCONNECTED' ? 'DISCONNECTED' : DEFAULT_CONNECTION_STATE);

/**
 * Where the records live. Fixed, like the bootstrap secrets' prefix, rather than derived from the type name:
 * a type renamed for registration and the custom resource find the same records, and IAM policies can name it.
 */
export const RECORD_PREFIX = '/custom-kms-cloudhsmkeystore/key-stores/';

export const recordName = (storeId: string): string => `${RECORD_PREFIX}${storeId}`;

/** The record's JSON uses the schema's property names, so a person reading the parameter recognises them. */
export function encodeRecord(record: KeyStoreRecord): string {
    const p = record.props;
    return JSON.stringify({
        ClientInstanceId: p.clientInstanceId,
        CloudHsmAdminPasswordSecretName: p.cloudHsmAdminPasswordSecretName,
        CloudHsmAdminUsername: p.cloudHsmAdminUsername,
        CloudHsmCustCaCertSecretName: p.cloudHsmCustCaCertSecretName,
        DeleteKeyStoreUponStackDeletion: p.deleteKeyStoreUponStackDeletion,
        AdoptExistingKmsUser: p.adoptExistingKmsUser,
        KmsUser: record.kmsUser,
        LogicalResourceId: record.logicalResourceId,
        StackId: record.stackId,
        CreatedBy: record.createdBy,
        BootstrapSecretArn: record.bootstrapSecretArn,
        DesiredConnectionState: record.desiredConnectionState,
    });
}

/** arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id> */
const STACK_ID_RE = /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:[0-9]{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[A-Za-z0-9-]{1,64}$/;

/**
 * Whether a record proves its store was made by this resource: the same logical id in the same stack. Requests
 * without a stack (Cloud Control, `cfn test`) never prove it, so their creates never adopt a store.
 */
export function madeByThisResource(record: KeyStoreRecord | undefined, request: { logicalResourceId: string; stackId?: string }): boolean {
    return Boolean(record?.stackId && request.stackId && record.stackId === request.stackId && record.logicalResourceId === request.logicalResourceId);
}

const text = (v: unknown, re: RegExp): string | undefined => (typeof v === 'string' && re.test(v) ? v : undefined);
const flag = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/**
 * Reads a record back. Anyone with ssm:PutParameter could have edited it, so every value is checked
 * against the schema's pattern and one that fails is ignored, as if the record did not have it.
 */
export function decodeRecord(value: string | undefined): KeyStoreRecord | undefined {
    if (!value) return undefined;
    let raw: Record<string, unknown>;
    try {
        raw = JSON.parse(value) as Record<string, unknown>;
    } catch {
        return undefined;
    }
    if (!raw || typeof raw !== 'object') return undefined;
    const props: KeyStoreRecord['props'] = {
        clientInstanceId: text(raw.ClientInstanceId, INSTANCE_ID_RE),
        cloudHsmAdminPasswordSecretName: text(raw.CloudHsmAdminPasswordSecretName, SECRET_ID_RE),
        cloudHsmAdminUsername: text(raw.CloudHsmAdminUsername, ADMIN_USERNAME_RE),
        cloudHsmCustCaCertSecretName: text(raw.CloudHsmCustCaCertSecretName, SECRET_ID_RE),
        deleteKeyStoreUponStackDeletion: flag(raw.DeleteKeyStoreUponStackDeletion),
        adoptExistingKmsUser: flag(raw.AdoptExistingKmsUser),
    };
    for (const key of Object.keys(props) as Array<keyof typeof props>) if (props[key] === undefined) delete props[key];
    const kmsUser = raw.KmsUser === 'CREATED' || raw.KmsUser === 'ADOPTED' ? raw.KmsUser : undefined;
    const logicalResourceId = typeof raw.LogicalResourceId === 'string' ? raw.LogicalResourceId.slice(0, 256) : undefined;
    const stackId = typeof raw.StackId === 'string' && STACK_ID_RE.test(raw.StackId) ? raw.StackId : undefined;
    const bootstrapSecretArn = text(raw.BootstrapSecretArn, SECRET_ID_RE);
    const createdBy = typeof raw.CreatedBy === 'string' && /^[0-9a-f]{64}$/.test(raw.CreatedBy) ? raw.CreatedBy : undefined;
    const desiredConnectionState =
        raw.DesiredConnectionState === 'CONNECTED' || raw.DesiredConnectionState === 'DISCONNECTED' ? raw.DesiredConnectionState : undefined;
    return {
        props,
        ...(kmsUser ? { kmsUser } : {}),
        ...(logicalResourceId ? { logicalResourceId } : {}),
        ...(stackId ? { stackId } : {}),
        ...(createdBy ? { createdBy } : {}),
        ...(bootstrapSecretArn ? { bootstrapSecretArn } : {}),
        ...(desiredConnectionState ? { desiredConnectionState } : {}),
    };
}
