import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Continuation } from './event';

let client: LambdaClient | undefined;

/**
 * Hands the operation to a new invocation of this same function (InvocationType Event: Lambda queues it
 * and answers 202), so a long wait outlives one invocation's timeout without Step Functions. The role may
 * invoke only this function (examples/custom-resource-provider.yaml).
 */
export async function invokeSelf(functionName: string, payload: Continuation, region?: string): Promise<void> {
    client ??= new LambdaClient({ region: region ?? process.env.AWS_REGION, maxAttempts: 5 });
    const out = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    if (out.StatusCode !== 202) throw new Error(`Lambda did not queue the continuation of ${functionName} (HTTP ${out.StatusCode}).`);
}
