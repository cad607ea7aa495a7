/**
 * The resource types the custom resource provider serves, one descriptor each: its schema's rules, what its
 * physical id looks like, its workflows (the registered types' own), and how the protocol's JSON becomes
 * the workflows' props and their model becomes the response. Everything else in src/custom-resource is
 * the same for every type.
 */
import { BaseModel } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import type { Adapters } from '../aws/adapters';
import { TypeDefinition } from '../engine/registered-type';
import { RunnerCtx } from '../engine/types';
import { keyDefinition } from '../key/definition';
import { ResourceModel as KeyModel } from '../key/models';
import { keyPropsOf } from '../key/props';
import { isManagedKey } from '../key/read';
import { KeyCtx, KeyProps } from '../key/types';
import { keyStoreDefinition } from '../keystore/definition';
import { Ctx, KeyStoreProps } from '../keystore/types';
import { ResourceModel } from '../models';
import { CfnRequest, STORE_ID } from './event';
import { PropertyRules, ResourceSchema, STORE_RULES, toKeyStoreProps } from './props';

export interface ProviderType<P, C extends RunnerCtx<P>, M extends BaseModel> {
    /** How messages name one resource of the type ("key store"). */
    noun: string;
    /** How messages name the type's physical ids ("key store id (cks-...)"). */
    idKind: string;
    /** What a Delete of a resource that is gone says after the noun and id. */
    gone: string;
    /** What a person does with a resource a failed replacement could not remove. */
    removeByHand(id: string): string;
    rules: PropertyRules;
    /** A physical id of this type; anything else is the id of a failed create. */
    idPattern: RegExp;
    /** The registered type's own definition: its workflows and how its model becomes props. */
    definition: TypeDefinition<P, C, M>;
    /** Coerced template properties (PascalCase) -> the workflows' props, as the registered type's handler receives them. */
    toProps(props: Record<string, unknown>): P;
    withId(props: P, id: string | undefined): P;
    /** What Fn::GetAtt reads: the registered type's read-only properties. */
    dataOf(props: P): Record<string, string>;
    /** Whether the resource is still there for CloudFormation to delete; may throw when AWS cannot tell. */
    exists(aws: Adapters, id: string): Promise<boolean>;
}

/** What Fn::GetAtt reads of a key store. */
function storeData(model: KeyStoreProps): Record<string, string> {
    const data: Record<string, string> = {};
    if (model.customKeyStoreId) data.CustomKeyStoreId = model.customKeyStoreId;
    if (model.connectionState) data.ConnectionState = model.connectionState;
    if (model.trustAnchorCertificate) data.TrustAnchorCertificate = model.trustAnchorCertificate;
    return data;
}

export const keyStoreType: ProviderType<KeyStoreProps, Ctx, ResourceModel> = {
    noun: 'key store',
    idKind: 'key store id (cks-...)',
    gone: 'no longer exists',
    removeByHand: () => 'delete it by hand',
    rules: STORE_RULES,
    idPattern: STORE_ID,
    definition: keyStoreDefinition,
    toProps: toKeyStoreProps,
    withId: (props, id) => ({ ...props, customKeyStoreId: id }),
    dataOf: storeData,
    exists: async (aws, id) => Boolean(await aws.kms.describeStore(id)),
};

// The key type's schema, bundled with the function like the key store's.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the schema is bundled as required, and read at run time
const KEY_SCHEMA = require('../../key/custom-kms-cloudhsmkey.json') as ResourceSchema;

/** KMS key ids of single-Region keys: "1234abcd-12ab-34cd-56ef-1234567890ab" (KMS key-id documentation). */
export const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Through the generated model, as the registered handler gets them: Tags become {key, value}, the integer
 * arrives as a number. A Delete's properties are not validated (it must succeed whatever they are), so a value
 * the model refuses is left out rather than failing the whole request.
 */
function toKeyProps(props: Record<string, unknown>): KeyProps {
    try {
        return keyPropsOf(KeyModel.deserialize(props));
    } catch {
        const each = Object.entries(props).map(([name, value]) => {
            try {
                return keyPropsOf(KeyModel.deserialize({ [name]: value }));
            } catch {
                return {};
            }
        });
        return Object.assign({}, ...each) as KeyProps;
    }
}

export const keyType: ProviderType<KeyProps, KeyCtx, KeyModel> = {
    noun: 'KMS key',
    idKind: 'KMS key id',
    gone: 'no longer exists or is already pending deletion',
    removeByHand: (id) => `schedule its deletion by hand (aws kms schedule-key-deletion --key-id ${id})`,
    rules: new PropertyRules(KEY_SCHEMA),
    idPattern: KEY_ID,
    definition: keyDefinition,
    toProps: toKeyProps,
    withId: (props, id) => ({ ...props, keyId: id }),
    dataOf: (p) => {
        const data: Record<string, string> = {};
        if (p.keyId) data.KeyId = p.keyId;
        if (p.arn) data.Arn = p.arn;
        if (p.keyState) data.KeyState = p.keyState;
        return data;
    },
    // A key pending deletion is gone for CloudFormation, as for AWS::KMS::Key.
    exists: async (aws, id) => isManagedKey(await aws.kms.describeKey(id)),
};

/**
 * The literal names templates use. These are not the registered type names (npm run rename changes those,
 * never these): a custom resource is named by the template, and the provider keeps serving this name.
 */
export const KEY_RESOURCE_TYPE = 'Custom::KMS::CloudHsmKey';

// The descriptors differ in their props and models; the code that uses them is generic over both.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one descriptor of any type; the code that uses it is generic over all of them
export type AnyProviderType = ProviderType<any, any, any>;

/** The type a request is for: the key by its ResourceType, everything else (as before the key existed) the key store. */
export function providerTypeOf(r: Pick<CfnRequest, 'ResourceType'>): AnyProviderType {
    return r.ResourceType === KEY_RESOURCE_TYPE ? keyType : keyStoreType;
}
