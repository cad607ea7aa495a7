// This is a generated file. Modifications will be overwritten.
import { BaseModel, Dict, integer, Integer, Optional, transformValue } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { Exclude, Expose, Type, Transform } from 'class-transformer';

export class ResourceModel extends BaseModel {
    @Exclude()
    public static readonly TYPE_NAME: string = 'Custom::KMS::CloudHsmKeyStore';

    @Exclude()
    protected readonly IDENTIFIER_KEY_CUSTOMKEYSTOREID: string = '/properties/CustomKeyStoreId';

    @Expose({ name: 'CustomKeyStoreId' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'customKeyStoreId', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    customKeyStoreId?: Optional<string>;
    @Expose({ name: 'KeyStoreName' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'keyStoreName', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    keyStoreName?: Optional<string>;
    @Expose({ name: 'CloudHsmClusterId' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'cloudHsmClusterId', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    cloudHsmClusterId?: Optional<string>;
    @Expose({ name: 'CloudHsmCustCaCertSecretName' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'cloudHsmCustCaCertSecretName', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    cloudHsmCustCaCertSecretName?: Optional<string>;
    @Expose({ name: 'CloudHsmAdminPasswordSecretName' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'cloudHsmAdminPasswordSecretName', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    cloudHsmAdminPasswordSecretName?: Optional<string>;
    @Expose({ name: 'CloudHsmAdminUsername' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'cloudHsmAdminUsername', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    cloudHsmAdminUsername?: Optional<string>;
    @Expose({ name: 'ClientInstanceId' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'clientInstanceId', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    clientInstanceId?: Optional<string>;
    @Expose({ name: 'DeleteKeyStoreUponStackDeletion' })
    @Transform(
        ({value, obj}) =>
            transformValue(Boolean, 'deleteKeyStoreUponStackDeletion', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    deleteKeyStoreUponStackDeletion?: Optional<boolean>;
    @Expose({ name: 'AdoptExistingKmsUser' })
    @Transform(
        ({value, obj}) =>
            transformValue(Boolean, 'adoptExistingKmsUser', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    adoptExistingKmsUser?: Optional<boolean>;
    @Expose({ name: 'DesiredConnectionState' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'desiredConnectionState', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    desiredConnectionState?: Optional<string>;
    @Expose({ name: 'ConnectionState' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'connectionState', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    connectionState?: Optional<string>;
    @Expose({ name: 'TrustAnchorCertificate' })
    @Transform(
        ({value, obj}) =>
            transformValue(String, 'trustAnchorCertificate', value, obj, []),
        {
            toClassOnly: true,
        }
    )
    trustAnchorCertificate?: Optional<string>;

    @Exclude()
    public getPrimaryIdentifier(): Dict {
        const identifier: Dict = {};
        if (this.customKeyStoreId != null) {
            identifier[this.IDENTIFIER_KEY_CUSTOMKEYSTOREID] = this.customKeyStoreId;
        }

        // only return the identifier if it can be used, i.e. if all components are present
        return Object.keys(identifier).length === 1 ? identifier : null;
    }

    @Exclude()
    public getAdditionalIdentifiers(): Array<Dict> {
        const identifiers: Array<Dict> = new Array<Dict>();
        // only return the identifiers if any can be used
        return identifiers.length === 0 ? null : identifiers;
    }
}

export class TypeConfigurationModel extends BaseModel {

}
