import { LoggerProxy, Optional, SessionProxy } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { buildClients } from './aws/clients';
import { CloudHsmAdapter } from './aws/cloudhsm';
import { KmsAdapter } from './aws/kms';
import { SecretsAdapter } from './aws/secrets';
import { SsmAdapter } from './aws/ssm';
import { Env } from './workflow/runner';

/** The parts of a handler request every type's workflows use. */
export interface RequestLike {
    clientRequestToken: string;
    logicalResourceIdentifier?: string;
    region?: string;
    awsAccountId: string;
    systemTags?: Record<string, string>;
    stackId?: string;
}

/** A workflow's environment: one adapter per service, the request's facts, and the desired/previous properties. */
export function envOf<P>(
    session: Optional<SessionProxy>,
    request: RequestLike,
    props: { desired: P; previous: P },
    logger: LoggerProxy | undefined,
    defaultLogicalId: string,
): Env<P> {
    const clients = buildClients(session, request.region);
    return {
        aws: {
            kms: new KmsAdapter(clients.kms),
            hsm: new CloudHsmAdapter(clients.hsm),
            ssm: new SsmAdapter(clients.ssm),
            secrets: new SecretsAdapter(clients.secrets),
        },
        request: {
            clientRequestToken: request.clientRequestToken,
            logicalResourceId: request.logicalResourceIdentifier ?? defaultLogicalId,
            stackId: request.systemTags?.['aws:cloudformation:stack-id'] ?? request.stackId,
            region: request.region ?? (session?.configuration as { region?: string } | undefined)?.region ?? '',
            awsAccountId: request.awsAccountId,
        },
        ...props,
        log: (message) => logger?.log(message),
    };
}
