// This is a generated file. Modifications will be overwritten.
import { BaseModel, Dict, integer, Integer, Optional, transformValue } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { Exclude, Expose, Type, Transform } from 'class-transformer';

export class ResourceModel extends BaseModel {
    @Exclude()
    public static readonly TYPE_NAME: string = 'Custom::KMS::CloudHsmKey';

    @Exclude()
    protected readonly IDENTIFIER_KEY_KEYID: string = '/properties/KeyId';
    @Exclude()
    protected readonly IDENTIFIER_KEY_ARN: string = '/properties/Arn';

    @Expose({ name: 'KeyId' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'keyId', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    keyId?: Optional<string>;
    @Expose({ name: 'Arn' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'arn', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    arn?: Optional<string>;
    @Expose({ name: 'KeyState' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'keyState', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    keyState?: Optional<string>;
    @Expose({ name: 'CustomKeyStoreId' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'customKeyStoreId', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    customKeyStoreId?: Optional<string>;
    @Expose({ name: 'Description' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'description', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    description?: Optional<string>;
    @Expose({ name: 'Enabled' })
    @Transform(
        ({value, obj}) =>
            transformValue(Boolean, 'enabled', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    enabled?: Optional<boolean>;
    @Expose({ name: 'KeyPolicy' })
    @Transform(
        ({value, obj}) =>
            transformValue(Object, 'keyPolicy', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    keyPolicy?: Optional<object>;
    @Expose({ name: 'BypassPolicyLockoutSafetyCheck' })
    @Transform(
        ({value, obj}) =>
            transformValue(Boolean, 'bypassPolicyLockoutSafetyCheck', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    bypassPolicyLockoutSafetyCheck?: Optional<boolean>;
    @Expose({ name: 'PendingWindowInDays' })
    @Transform(
        ({value, obj}) =>
            transformValue(Integer, 'pendingWindowInDays', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    pendingWindowInDays?: Optional<integer>;
    @Expose({ name: 'Tags' })
    @Transform(
        ({value, obj}) =>
            transformValue(Tag, 'tags', value, obj, [Set]),
        {
            toClassOnly: true,
        }
    )
    tags?: Optional<Set<Tag>>;
    @Expose({ name: 'KeySpec' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'keySpec', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    keySpec?: Optional<string>;
    @Expose({ name: 'KeyUsage' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'keyUsage', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    keyUsage?: Optional<string>;
    @Expose({ name: 'EnableKeyRotation' })
    @Transform(
        ({value, obj}) =>
            transformValue(Boolean, 'enableKeyRotation', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    enableKeyRotation?: Optional<boolean>;
    @Expose({ name: 'MultiRegion' })
    @Transform(
        ({value, obj}) =>
            transformValue(Boolean, 'multiRegion', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    multiRegion?: Optional<boolean>;

    @Exclude()
    public getPrimaryIdentifier(): Dict {
        const identifier: Dict = {};
        if (this.keyId != null) {
            identifier[this.IDENTIFIER_KEY_KEYID] = this.keyId;
        }

        // only return the identifier if it can be used, i.e. if all components are present
        return Object.keys(identifier).length === 1 ? identifier : null;
    }

    @Exclude()
    public getAdditionalIdentifiers(): Array<Dict> {
        const identifiers: Array<Dict> = new Array<Dict>();
        if (this.getIdentifier_Arn() != null) {
            identifiers.push(this.getIdentifier_Arn());
        }
        // only return the identifiers if any can be used
        return identifiers.length === 0 ? null : identifiers;
    }

    @Exclude()
    public getIdentifier_Arn(): Dict {
        const identifier: Dict = {};
        if ((this as any).arn != null) {
            identifier[this.IDENTIFIER_KEY_ARN] = (this as any).arn;
        }

        // only return the identifier if it can be used, i.e. if all components are present
        return Object.keys(identifier).length === 1 ? identifier : null;
    }
}

export class Tag extends BaseModel {

    @Expose({ name: 'Key' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'key', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    key?: Optional<string>;
    @Expose({ name: 'Value' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'value_', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    value_?: Optional<string>;

}

export class TypeConfigurationModel extends BaseModel {


}

