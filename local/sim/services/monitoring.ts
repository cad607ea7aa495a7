/**
 * CloudWatch metrics over the query protocol, as SDK v2 sends it (the library's metrics.js): a form-encoded
 * POST `Action=PutMetricData&Version=2010-08-01&Namespace=...&MetricData.member.1.MetricName=...`, answered
 * with XML. Only PutMetricData; the data points are kept for tests (GET /_sim/state -> metrics).
 */
import type { Sim } from '../sim';
import { MetricDatum } from '../state';
import { AwsError, Json } from '../wire';

export const MONITORING_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';

/** `a.member.1.b=x` -> { a: [{ b: 'x' }] }: the query protocol's flattened lists and structures. */
export function parseQuery(raw: string): Json {
    const root: Json = {};
    for (const [key, value] of new URLSearchParams(raw)) {
        const parts = key.split('.');
        let node = root as Record<string, unknown>;
        for (let i = 0; i < parts.length; i++) {
            const part = parts[i];
            if (parts[i + 1] === 'member') {
                const list = (node[part] ??= []) as unknown[];
                const index = Number(parts[i + 2]) - 1;
                if (i + 2 >= parts.length - 1) {
                    list[index] = value;
                    break;
                }
                node = (list[index] ??= {}) as Record<string, unknown>;
                i += 2;
            } else if (i === parts.length - 1) node[part] = value;
            else node = (node[part] ??= {}) as Record<string, unknown>;
        }
    }
    return root;
}

const invalid = (message: string) => new AwsError('InvalidParameterValue', message);

function PutMetricData(sim: Sim, body: Json): Json {
    const namespace = body.Namespace;
    if (typeof namespace !== 'string' || namespace.length < 1 || namespace.length > 255)
        throw new AwsError('MissingParameter', 'The parameter Namespace is required.');
    // AWS documents "AWS/" namespaces as reserved; CloudFormation's own log-and-metrics role does put the library's
    // AWS/CloudFormation/<type> metrics (they appear in customers' accounts), so this prefix is not refused here (assumed).
    const data = body.MetricData;
    if (!Array.isArray(data) || data.length === 0) throw new AwsError('MissingParameter', 'The parameter MetricData is required.');
    if (data.length > 1000) throw invalid('The collection MetricData must not have a size greater than 1000.');
    const received: MetricDatum[] = data.map((d: Json, i: number) => {
        if (typeof d?.MetricName !== 'string' || !d.MetricName)
            throw new AwsError('MissingParameter', `The parameter MetricData.member.${i + 1}.MetricName is required.`);
        const value = d.Value === undefined ? undefined : Number(d.Value);
        if (value !== undefined && !Number.isFinite(value))
            throw invalid(`The value ${String(d.Value)} for parameter MetricData.member.${i + 1}.Value is invalid.`);
        const dims = (Array.isArray(d.Dimensions) ? d.Dimensions : []) as Json[];
        if (dims.length > 30) throw invalid(`The collection MetricData.member.${i + 1}.Dimensions must not have a size greater than 30.`);
        return {
            namespace,
            metricName: d.MetricName,
            dimensions: dims.map((x) => ({ name: String(x.Name), value: String(x.Value) })),
            ...(typeof d.Unit === 'string' ? { unit: d.Unit } : {}),
            ...(value !== undefined ? { value } : {}),
            ...(typeof d.Timestamp === 'string' ? { timestamp: d.Timestamp } : {}),
            receivedAt: sim.now(),
        };
    });
    sim.world.metrics.push(...received);
    return {};
}

export const monitoringOperations: Record<string, (sim: Sim, body: Json) => Json> = { PutMetricData };

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function queryResultXml(operation: string, requestId: string): string {
    return `<${operation}Response xmlns="${MONITORING_XMLNS}"><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
}

export function queryErrorXml(err: AwsError, requestId: string): string {
    const type = err.status >= 500 ? 'Receiver' : 'Sender';
    return `<ErrorResponse xmlns="${MONITORING_XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(err.type)}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
