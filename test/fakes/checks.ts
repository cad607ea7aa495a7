/**
 * Checks every driven operation of a test must pass, whatever the scenario:
 * - the handler contract of DESIGN.md section 9 on every event;
 * - no secret value (anything the fake Secrets Manager stores, except public values such as the CA
 *   certificate) in any log line, event message, callbackContext, resourceModel, serialized event, or in
 *   the commands/comment of any SendCommand;
 * - no GetSecretValue of a secret the handler must never read (the admin password).
 * `checkEveryDrive()` registers an afterEach that runs them over every world the test made.
 */
import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import type { KeyStoreProps } from '../../src/keystore/types';
import { FakeAws, worldsOfThisTest } from './aws';
import { count } from '../reliability/figures';
import type { DriveResult } from './drive';
import { WRITE_ONLY } from './world';

const CODES = new Set<string>(Object.values(HandlerErrorCode));

export function contractProblems(r: DriveResult): string[] {
    const problems: string[] = [];
    for (const step of r.steps) {
        const e = step.event;
        const s = step.serialized;
        if (!e || !s) continue;
        const at = `${r.workflow} invocation ${step.n} (${e.status})`;
        if (e.status === 'IN_PROGRESS') {
            if (e.errorCode) problems.push(`${at}: has errorCode ${e.errorCode}`);
            if (e.resourceModels) problems.push(`${at}: has resourceModels`);
            if (!e.callbackContext) problems.push(`${at}: has no callbackContext`);
            const model = s.resourceModel as Record<string, unknown> | undefined;
            if (!model || !model.CustomKeyStoreId)
                problems.push(`${at}: resourceModel does not carry the primary identifier CustomKeyStoreId (${JSON.stringify(model)})`);
            const out: Record<string, unknown> = e.resourceModel ? { ...e.resourceModel } : {};
            for (const key of WRITE_ONLY) {
                if (step.desired[key] !== undefined && out[key] !== step.desired[key]) {
                    problems.push(`${at}: write-only ${key} not kept in the model (${String(step.desired[key])} -> ${String(out[key])})`);
                }
            }
        } else if (e.status === 'SUCCESS') {
            if (e.errorCode) problems.push(`${at}: has errorCode ${e.errorCode}`);
            if (e.callbackDelaySeconds) problems.push(`${at}: callbackDelaySeconds ${e.callbackDelaySeconds}`);
            if (r.workflow === 'delete') {
                if ('resourceModel' in s) problems.push(`${at}: a successful DELETE must have no resourceModel key`);
            } else {
                const model = (e.resourceModel ?? {}) as Record<string, unknown>;
                if (!e.resourceModel) problems.push(`${at}: no resourceModel`);
                for (const key of WRITE_ONLY) if (model[key] != null) problems.push(`${at}: write-only ${key} in the SUCCESS model`);
                for (const key of ['keyStoreName', 'cloudHsmClusterId'] as Array<keyof KeyStoreProps>) {
                    if (r.input[key] !== undefined && model[key] !== r.input[key])
                        problems.push(`${at}: ${key} ${String(model[key])} differs from the input ${String(r.input[key])}`);
                }
            }
        } else if (e.status === 'FAILED') {
            if (!e.errorCode || !CODES.has(e.errorCode)) problems.push(`${at}: errorCode ${String(e.errorCode)} is not a HandlerErrorCode`);
            if (e.callbackDelaySeconds) problems.push(`${at}: callbackDelaySeconds ${e.callbackDelaySeconds}`);
            if (e.resourceModels) problems.push(`${at}: has resourceModels`);
        } else {
            problems.push(`${at}: unexpected status`);
        }
    }
    if (r.status === 'CAPPED') problems.push(`${r.workflow}: still IN_PROGRESS after ${r.invocations} invocations`);
    return problems;
}

/** Everything the handler put out during an operation, as text to scan. */
function outputs(r: DriveResult): Array<{ where: string; text: string }> {
    const out: Array<{ where: string; text: string }> = [];
    r.logs.forEach((line, i) => out.push({ where: `log line ${i + 1}`, text: line }));
    for (const step of r.steps) {
        const e = step.event;
        if (!e) continue;
        const at = `${r.workflow} invocation ${step.n}`;
        out.push({ where: `${at} message`, text: e.message ?? '' });
        out.push({ where: `${at} callbackContext`, text: JSON.stringify(e.callbackContext ?? null) });
        out.push({ where: `${at} resourceModel`, text: JSON.stringify(e.resourceModel ?? null) });
        out.push({ where: `${at} serialized`, text: JSON.stringify(step.serialized ?? null) });
    }
    return out;
}

export function leakProblems(aws: FakeAws, drives: DriveResult[]): string[] {
    const problems: string[] = [];
    const secrets = [...new Set(aws.secrets.secretValues())].filter((v) => v.length > 0);
    const texts = drives.flatMap(outputs);
    for (const c of aws.log.of('ssm.sendShellScript')) {
        const p = c.args[0] as { commands: string[]; comment: string };
        texts.push({ where: `SendCommand #${c.seq} commands`, text: p.commands.join('\n') });
        texts.push({ where: `SendCommand #${c.seq} comment`, text: p.comment });
    }
    for (const c of aws.log.of('ssm.putParameter')) texts.push({ where: `PutParameter #${c.seq}`, text: JSON.stringify(c.args) });
    count('secretProbes', secrets.length * texts.length);
    for (const { where, text } of texts) {
        for (const value of secrets) {
            if (text.includes(value)) problems.push(`a secret value appears in ${where}`);
            // a JSON-held secret's inner password too
            const inner = innerPassword(value);
            if (inner && text.includes(inner)) problems.push(`a secret's password appears in ${where}`);
        }
    }
    for (const c of aws.log.of('secrets.getString')) {
        const rec = aws.secrets.find(String(c.args[0]));
        if (rec?.neverRead) problems.push(`GetSecretValue of ${rec.name}, which the handler must never read`);
    }
    return problems;
}

function innerPassword(value: string): string | undefined {
    try {
        const parsed = JSON.parse(value) as { password?: unknown };
        return typeof parsed?.password === 'string' ? parsed.password : undefined;
    } catch {
        return undefined;
    }
}

/** Registers an afterEach that applies the contract and leak checks to every operation driven in the test. */
export function checkEveryDrive(): void {
    afterEach(() => {
        const worlds = worldsOfThisTest.splice(0);
        const problems: string[] = [];
        for (const aws of worlds) {
            const drives = aws.drives as DriveResult[];
            for (const r of drives) problems.push(...contractProblems(r));
            const leaks = leakProblems(aws, drives);
            count('leaksFound', leaks.length);
            problems.push(...leaks);
        }
        if (problems.length) throw new Error(`After-test checks failed:\n- ${[...new Set(problems)].join('\n- ')}`);
    });
}
