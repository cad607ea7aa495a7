/**
 * Stands in for `aws-sdk/clients/all` in the bundle (scripts/build.ts aliases it). The library imports that
 * module only to look up `session.client('<Name>')` by string; its own log delivery and metrics import
 * these three clients directly. Keeping only them keeps the other ~400 SDK v2 clients out of the Lambda.
 */
import CloudWatch from 'aws-sdk/clients/cloudwatch';
import CloudWatchLogs from 'aws-sdk/clients/cloudwatchlogs';
import S3 from 'aws-sdk/clients/s3';

export default { CloudWatch, CloudWatchLogs, S3 };
