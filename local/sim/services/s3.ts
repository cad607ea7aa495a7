/**
 * S3 as the CloudFormation library meets it in AWS. With providerCredentials the library first tries S3 log
 * delivery (ListObjectsV2, then CreateBucket and PutObject in bucket `<providerLogGroupName>-<account>`), but
 * the managed LogAndMetricsDeliveryRole that `cfn submit` registers (stack CloudFormationManagedUploadInfrastructure)
 * allows CloudWatch Logs and metrics only, no S3,
 * so every such call is denied: that is what this models. The library then logs only to CloudWatch Logs.
 */

/** The S3 operation of a path-style request, for the request log. */
export function s3Operation(method: string, pathname: string, query: URLSearchParams): string {
    const [bucket, ...key] = pathname.replace(/^\/+/, '').split('/');
    if (!bucket) return method === 'GET' ? 'ListBuckets' : `${method}Service`;
    if (key.length === 0 || key.join('/') === '') {
        if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
        if (method === 'PUT') return 'CreateBucket';
        if (method === 'HEAD') return 'HeadBucket';
        if (method === 'DELETE') return 'DeleteBucket';
    }
    return { GET: 'GetObject', PUT: 'PutObject', HEAD: 'HeadObject', DELETE: 'DeleteObject', POST: 'PostObject' }[method] ?? method;
}

export function s3ErrorXml(code: string, message: string, requestId: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
}
