import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';

/** One problem found while validating, with the code it maps to. */
export interface Problem {
    code: HandlerErrorCode;
    message: string;
}

export const invalid = (message: string): Problem => ({ code: HandlerErrorCode.InvalidRequest, message });
