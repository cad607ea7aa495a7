/**
 * `npm run local -- --mode custom-resource`: the lifecycle of `npm run local`, but through the literal
 * Custom::KMS::CloudHsmKeyStore custom resource: CloudFormation's requests go to the provider function as
 * asynchronous Lambda invocations, the answers come back as PUTs to pre-signed ResponseURLs.
 */
import { fold, foldJson, formatDuration, terminalWidth, truncate } from './cli-args';
import { CrResult } from './custom-resource-driver';
import { CrHarness, startCustomResourceHarness } from './custom-resource-harness';
import { defaultProperties } from './harness';
import { DEFAULT_SCENARIO } from './sim';
import type { LambdaInvocation } from './sim/lambda';

const out = (line: string) => process.stdout.write(`${line}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(1);
/** Every line fits this width: the terminal's, 160 when not a terminal. */
const WIDTH = terminalWidth();
/** `label: text` under a report line, folded over lines indented below the label's end. */
const block = (label: string, text: string, indent = '       ') => fold(text, WIDTH, `${indent}${label}: `).forEach(out);

/** One line per finished invocation: which request, which hop, where the workflow stood when it began. */
function printInvocation(i: LambdaInvocation): void {
    if (i.endedAt === undefined) return;
    const p = i.payload as {
        RequestType?: string;
        continuationOf?: { RequestType?: string };
        hop?: number;
        workflow?: string;
        callbackContext?: { phase?: string };
    };
    const type = p.continuationOf?.RequestType ?? p.RequestType ?? '?';
    const hop = p.hop === undefined ? 'event' : `hop ${p.hop}`;
    const from = p.callbackContext?.phase ? `from ${p.workflow}/${p.callbackContext.phase}` : '';
    // the error is whole in the step's report (a protocol problem or the reason); here it is cut to the width
    out(
        truncate(
            `  ${type.padEnd(6)} ${hop.padEnd(7)} attempt ${i.attempt}  ${`sim ${formatDuration((i.endedAt - i.startedAt) / 1000)}`.padEnd(10)} ${from}${i.error ? `  ERROR ${i.error}` : ''}`,
            WIDTH,
        ),
    );
}

/** The request's outcome, its reason once, Data and any protocol problem, each folded to the width. */
function report(title: string, r: CrResult, ok: boolean, indent = ''): void {
    const outcome = `${title}: ${r.status}${r.timedOut ? ' (timed out)' : ''} after ${r.invocations.length} invocation(s), ${secs(r.elapsedRealMs)}s real, ${formatDuration(r.elapsedSimSeconds)} simulated; physical id ${r.physicalResourceId ?? '-'}`;
    fold(outcome, WIDTH, `${indent}${(ok ? 'ok' : 'FAILED').padEnd(6)} `).forEach(out);
    const under = `${indent}       `;
    if (r.reason) block('reason', r.reason, under);
    if (r.data)
        foldJson(JSON.stringify({ ...r.data, TrustAnchorCertificate: r.data.TrustAnchorCertificate ? '<PEM>' : undefined }), WIDTH, `${under}Data: `).forEach(
            out,
        );
    for (const problem of r.problems) block('protocol problem', problem, under);
    if (r.followUp)
        report(
            `then ${r.followUp.requestType} of ${r.followUp.request.PhysicalResourceId}`,
            r.followUp,
            r.followUp.status === 'SUCCESS' && !r.followUp.problems.length,
            `${indent}  `,
        );
}

async function lifecycle(h: CrHarness): Promise<boolean> {
    const S = DEFAULT_SCENARIO;
    const results: Array<[string, boolean]> = [];
    const step = async (title: string, run: () => Promise<CrResult>, ok: (r: CrResult) => boolean = (r) => r.status === 'SUCCESS') => {
        out('');
        fold(title, WIDTH, '== ').forEach(out);
        const r = await run();
        const good = ok(r) && r.problems.length === 0 && r.responses === 1;
        report(title, r, good);
        results.push([title, good]);
        return r;
    };
    const check = async (title: string, ok: () => Promise<string | undefined>) => {
        out('');
        fold(title, WIDTH, '== ').forEach(out);
        const problem = await ok();
        fold(`${title}${problem ? `: ${problem}` : ''}`, WIDTH, `${(problem ? 'FAILED' : 'ok').padEnd(6)} `).forEach(out);
        results.push([title, !problem]);
    };
    const storeOf = async (id: string) => (await h.sim.control.state()).stores.find((s) => s.id === id);

    const props = defaultProperties();
    const created = await step('create the key store (kmsuser, store, connect)', () => h.driver.create(props));
    const id = created.physicalResourceId;
    if (created.status !== 'SUCCESS' || !id) return summary(results);
    await check('the store is CONNECTED and Data carries it', async () => {
        const s = await storeOf(id);
        if (s?.connectionState !== 'CONNECTED') return `store ${id} is ${s?.connectionState ?? 'missing'}`;
        return created.data?.CustomKeyStoreId === id && created.data.ConnectionState === 'CONNECTED' ? undefined : `Data is ${JSON.stringify(created.data)}`;
    });
    const renamed = { ...props, KeyStoreName: 'ExampleKeyStoreRenamed' };
    await step(
        'rename it in place',
        () => h.driver.update(id, props, renamed),
        (r) => r.status === 'SUCCESS' && r.physicalResourceId === id,
    );
    const moved = { ...renamed, CloudHsmClusterId: S.relatedClusterId, ClientInstanceId: S.relatedInstanceId };
    await step(
        'move it to a related cluster (disconnect, update, reconnect)',
        () => h.driver.update(id, renamed, moved),
        (r) => r.status === 'SUCCESS' && r.physicalResourceId === id,
    );
    await check('the store is on the related cluster, CONNECTED, under its new name', async () => {
        const s = await storeOf(id);
        return s?.clusterId === S.relatedClusterId && s.connectionState === 'CONNECTED' && s.name === 'ExampleKeyStoreRenamed'
            ? undefined
            : JSON.stringify(s && { ...s, trustAnchor: undefined, password: undefined });
    });
    await step('delete it (disconnect, delete, remove kmsuser)', () => h.driver.delete(id, moved));
    await check('after the delete the store is gone', async () => ((await storeOf(id)) ? `store ${id} still exists` : undefined));
    return summary(results);
}

function summary(results: Array<[string, boolean]>): boolean {
    const failed = results.filter(([, ok]) => !ok);
    out('');
    out(`Summary: ${results.length - failed.length}/${results.length} steps as expected.`);
    for (const [title] of failed) out(truncate(`  unexpected: ${title}`, WIDTH));
    return failed.length === 0;
}

export async function runCustomResourceLifecycle(timeScale: number): Promise<boolean> {
    const h = await startCustomResourceHarness({ timeScale, onInvocation: printInvocation });
    fold(
        `Simulator at ${h.sim.endpoint} (time scale ${timeScale}); provider function ${h.driver.serviceToken}; its logs are kept out of this view.`,
        WIDTH,
    ).forEach(out);
    try {
        return await lifecycle(h);
    } finally {
        await h.stop();
    }
}
