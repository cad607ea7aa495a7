/**
 * SSM Run Command, for real: the AWS-RunShellScript `commands` run under bash in a temp
 * dir, with the stand-in `aws` / `cloudhsm-cli` on PATH acting on the instance's cluster.
 *
 * File contract with the stand-ins (local/standins/bin):
 *  - SIM_HSM_STATE   {"clusterId","users":[{username,role,password,locked,failedLogins,loggedIn,ownsKeys}],"quorum"}
 *                    written before the script, read back into the cluster's user table after it.
 *  - SIM_SECRETS_FILE {"secrets":[{name,arn,secretString,deleted}]} (AWSCURRENT values), read-only.
 *  - SIM_CALLS_FILE   one line "<tool> <simulated seconds charged>" per stand-in call (the modelled duration).
 * The stand-ins also get the modelled costs (SIM_BASE_SECONDS, SIM_COST_CLI_SECONDS, SIM_COST_AWS_SECONDS), the
 * executionTimeout (SIM_EXECUTION_TIMEOUT_SECONDS) and the script's process group (SIM_SCRIPT_PGID): the call that
 * would run past the executionTimeout kills the script there, as the SSM agent does (local/standins/bin).
 * Scripts on one cluster run one at a time (the cluster lock, shared with KMS connect/disconnect).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Sim } from './sim';
import type { Command, Instance, Invocation, InvocationStatus } from './state';

const OUTPUT_CAP = 1 << 20;
/** The stand-ins run on `#!/usr/bin/env node`: when node is not in /usr/bin or /bin, its dir goes last on PATH. */
const NODE_DIR = ['/usr/bin', '/bin'].includes(dirname(process.execPath)) ? '' : `:${dirname(process.execPath)}`;
export const TERMINAL: InvocationStatus[] = ['Success', 'Failed', 'TimedOut', 'Cancelled'];

interface ScriptResult {
    code: number;
    stdout: string;
    stderr: string;
    reason?: 'timeout' | 'cancel';
    /** Simulated milliseconds the script takes on AWS (see SimConfig.commandBaseSeconds). */
    modelledMs: number;
    executionTimeoutSeconds: number;
}

export class CommandRunner {
    readonly standinsDir: string;
    private readonly children = new Set<ChildProcess>();
    /** Scripts that ran and wait for their modelled end. */
    private readonly waits = new Set<AbortController>();
    private root?: Promise<string>;

    constructor(
        private readonly sim: Sim,
        standinsDir?: string,
    ) {
        this.standinsDir = standinsDir ?? resolve(__dirname, '..', 'standins', 'bin');
    }

    /** Arm the delivery timeout and the delivery of each invocation of a new command. */
    dispatch(cmd: Command): void {
        const { clock, config } = this.sim;
        for (const inv of cmd.invocations) {
            clock.after(cmd.timeoutSeconds, () => {
                // Once the agent has it (running, or queued behind another script on the cluster) delivery cannot time out.
                if (this.live(cmd) && inv.status === 'Pending' && !inv.delivered) this.finish(inv, 'TimedOut', 'DeliveryTimedOut', -1);
            });
            clock.after(config.commandRunDelaySeconds, () => this.deliver(cmd, inv));
        }
    }

    /** An instance came (back) online: deliver what is waiting for it. */
    instanceOnline(instanceId: string): void {
        const due = this.sim.now() - this.sim.config.commandRunDelaySeconds * 1000;
        for (const cmd of this.sim.world.commands.values()) {
            if (cmd.requestedAt > due) continue;
            for (const inv of cmd.invocations) if (inv.instanceId === instanceId) void this.sim.clock.spawn(() => this.deliver(cmd, inv));
        }
    }

    /** Stop an invocation (CancelCommand). */
    cancel(inv: Invocation): void {
        if (inv.kill) inv.kill('cancel');
        else if (inv.status === 'Pending') this.finish(inv, 'Cancelled', 'Cancelled', -1);
    }

    killAll(): void {
        for (const c of this.children) killGroup(c);
        this.children.clear();
        for (const w of this.waits) w.abort();
        this.waits.clear();
    }

    async cleanup(): Promise<void> {
        const root = this.root;
        this.root = undefined;
        if (root) await rm(await root, { recursive: true, force: true });
    }

    private live(cmd: Command): boolean {
        return this.sim.world.commands.get(cmd.id) === cmd;
    }

    private finish(inv: Invocation, status: InvocationStatus, details: string, code: number, out = '', err = ''): void {
        inv.status = status;
        inv.statusDetails = details;
        inv.responseCode = code;
        // An invocation that never started (delivery timeout, cancelled while pending) has no execution times.
        if (inv.delivered) {
            inv.startedAt ??= this.sim.now();
            inv.endedAt = this.sim.now();
        }
        inv.stdout = out;
        inv.stderr = err;
        delete inv.kill;
    }

    /**
     * Runs the script now, with simulated time standing still while it executes, then reports its result when its
     * modelled duration has passed (commandBaseSeconds and so much per stand-in call), however long it took here.
     */
    private deliver(cmd: Command, inv: Invocation): Promise<void> {
        const inst = this.sim.world.instances.get(inv.instanceId);
        if (!this.live(cmd) || inv.status !== 'Pending' || inv.delivered || inst?.pingStatus !== 'Online') return Promise.resolve();
        inv.delivered = true;
        const fault = this.sim.faults.takeCommandResult(inv.instanceId);
        if (fault) {
            if (fault.status === 'Failed')
                this.finish(inv, 'Failed', 'Failed', fault.responseCode ?? 1, fault.stdout ?? '', fault.stderr ?? 'simulated failure (injected fault)\n');
            else this.finish(inv, 'TimedOut', 'ExecutionTimedOut', -1, fault.stdout ?? '', fault.stderr ?? '');
            return Promise.resolve();
        }
        const lockKey = inst.clusterId ?? `instance:${inst.id}`;
        return this.sim.clusterLock
            .run(lockKey, () => this.execute(cmd, inv, inst))
            .then((result) => result && this.report(cmd, inv, result))
            .catch((e: unknown) => {
                if (TERMINAL.includes(inv.status)) return;
                this.finish(inv, 'Failed', 'Failed', 1, '', `simulator error running the script: ${String(e)}\n`);
            });
    }

    /** The result once the script's modelled time is over; the execution timeout ends it earlier. A cancel ends the wait. */
    private async report(cmd: Command, inv: Invocation, r: ScriptResult): Promise<void> {
        const started = inv.startedAt ?? this.sim.now();
        const limit = r.executionTimeoutSeconds * 1000;
        const killed = r.modelledMs > limit;
        const abort = new AbortController();
        let cancelled = false;
        inv.kill = (why) => {
            if (why === 'cancel') cancelled = true;
            abort.abort();
        };
        this.waits.add(abort);
        try {
            await this.sim.clock.sleep(started + Math.min(r.modelledMs, limit) - this.sim.now(), abort.signal);
        } finally {
            this.waits.delete(abort);
            delete inv.kill;
        }
        if (!this.live(cmd) || TERMINAL.includes(inv.status)) return;
        if (cancelled) this.finish(inv, 'Cancelled', 'Cancelled', -1, r.stdout, r.stderr);
        // Over its executionTimeout: the stand-in call that would have run past it killed the script (local/standins/bin),
        // so the output stops there and that call had no effect; reported TimedOut at the moment the timeout ran out.
        // (Assumed: a call SSM kills midway leaves nothing behind; on an HSM it may have been applied on some HSMs only.)
        else if (killed) this.finish(inv, 'TimedOut', 'ExecutionTimedOut', -1, r.stdout, r.stderr);
        else if (r.reason === 'timeout') this.finish(inv, 'TimedOut', 'ExecutionTimedOut', -1, r.stdout, r.stderr);
        else if (r.reason === 'cancel') this.finish(inv, 'Cancelled', 'Cancelled', -1, r.stdout, r.stderr);
        else if (r.code === 0) this.finish(inv, 'Success', 'Success', 0, r.stdout, r.stderr);
        else this.finish(inv, 'Failed', 'Failed', r.code, r.stdout, r.stderr);
    }

    private tmpRoot(): Promise<string> {
        this.root ??= mkdtemp(join(tmpdir(), 'aws-sim-')).then(async (dir) => {
            // PATH for an instance without cloudhsm-cli: only the aws stand-in.
            await mkdir(join(dir, 'aws-only'));
            await symlink(join(this.standinsDir, 'aws'), join(dir, 'aws-only', 'aws'));
            return dir;
        });
        return this.root;
    }

    private async execute(cmd: Command, inv: Invocation, inst: Instance): Promise<ScriptResult | undefined> {
        const sim = this.sim;
        if (!this.live(cmd) || inv.status !== 'Pending') return undefined;
        const world = sim.world;
        const cluster = inst.clusterId ? world.clusters.get(inst.clusterId) : undefined;
        const root = await this.tmpRoot();
        const dir = await mkdtemp(join(root, 'cmd-'));
        try {
            const work = join(dir, 'work');
            const simDir = join(dir, 'sim');
            await mkdir(work);
            await mkdir(simDir);
            const hsmFile = join(simDir, 'hsm-state.json');
            const secretsFile = join(simDir, 'secrets.json');
            const scriptFile = join(simDir, '_script.sh');
            const state = { clusterId: inst.clusterId ?? '', users: cluster?.users ?? [], quorum: cluster?.quorum ?? 1 };
            await writeFile(hsmFile, JSON.stringify(state, null, 2));
            await writeFile(secretsFile, JSON.stringify({ secrets: this.secretsView() }, null, 2));
            await writeFile(scriptFile, (cmd.parameters.commands ?? []).join('\n') + '\n');
            if (!this.live(cmd) || inv.status !== 'Pending') return undefined;

            const wd = cmd.parameters.workingDirectory?.[0];
            const binDir = inst.hasCloudHsmCli ? this.standinsDir : join(root, 'aws-only');
            const env: Record<string, string> = {
                PATH: `${binDir}:/usr/bin:/bin${NODE_DIR}`,
                HOME: work,
                LANG: 'C.UTF-8',
                SIM_HSM_STATE: hsmFile,
                SIM_SECRETS_FILE: secretsFile,
                SIM_INSTANCE_ID: inst.id,
                SIM_CLUSTER_ID: inst.clusterId ?? '',
                SIM_CLI_CONFIG: inst.cliConfig ?? 'single',
            };
            // AWS-RunShellScript's executionTimeout parameter: "The time in seconds for a command to complete before it is
            // considered to have failed. Default is 3600" (the document's parameter description).
            const execSeconds = Number(cmd.parameters.executionTimeout?.[0]) || 3600;
            // Real time only guards against a stuck script; under a scaled clock the scaled timeout counts too.
            const limitMs = Math.max(execSeconds * 1000 * sim.clock.timeScale, sim.config.commandTimeoutFloorMs);
            const callsFile = join(simDir, 'calls.log');
            const c = sim.config;
            Object.assign(env, {
                SIM_CALLS_FILE: callsFile,
                SIM_EXECUTION_TIMEOUT_SECONDS: String(execSeconds),
                SIM_BASE_SECONDS: String(c.commandBaseSeconds),
                SIM_COST_CLI_SECONDS: String(c.commandSecondsPerCliCall),
                SIM_COST_AWS_SECONDS: String(c.commandSecondsPerAwsCall),
            });

            inv.status = 'InProgress';
            inv.statusDetails = 'InProgress';
            inv.startedAt = sim.now();
            const result = await this.spawnScript(scriptFile, wd && existsSync(wd) ? wd : work, env, limitMs, inv);
            if (!this.live(cmd) || world !== sim.world) return undefined;

            let stderr = result.stderr;
            if (cluster && world.clusters.get(cluster.id) === cluster) {
                try {
                    const back = JSON.parse(await readFile(hsmFile, 'utf8')) as { users?: unknown; quorum?: unknown };
                    if (Array.isArray(back.users)) cluster.users = back.users as typeof cluster.users;
                    if (typeof back.quorum === 'number') cluster.quorum = back.quorum;
                } catch (e) {
                    stderr += `[simulator] could not read back SIM_HSM_STATE: ${String(e)}\n`;
                }
            }
            // Each call as the stand-in charged it ("<tool> <seconds>"; a call a `timeout` stopped is charged its limit).
            const calls = (await readFile(callsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
            const costOf = (line: string) => {
                const [tool, seconds] = line.split(' ');
                const charged = Number(seconds);
                if (seconds !== undefined && Number.isFinite(charged)) return charged;
                return tool === 'cloudhsm-cli' ? c.commandSecondsPerCliCall : tool === 'aws' ? c.commandSecondsPerAwsCall : 0;
            };
            const modelledMs = 1000 * calls.reduce((sum, line) => sum + costOf(line), c.commandBaseSeconds);
            return { ...result, stderr, modelledMs, executionTimeoutSeconds: execSeconds };
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    }

    private secretsView() {
        return this.sim.world.secrets.map((s) => {
            const cur = s.versions.find((v) => v.stages.includes('AWSCURRENT'));
            return {
                name: s.name,
                arn: s.arn,
                ...(cur ? { versionId: cur.versionId, createdDate: new Date(cur.createdAt).toISOString().replace(/\.\d{3}Z$/, '+00:00') } : {}),
                ...(cur?.secretString !== undefined ? { secretString: cur.secretString } : {}),
                ...(cur?.secretBinary !== undefined ? { secretBinary: cur.secretBinary } : {}),
                deleted: s.deletedAt !== undefined,
            };
        });
    }

    private spawnScript(
        scriptFile: string,
        cwd: string,
        env: Record<string, string>,
        limitMs: number,
        inv: Invocation,
    ): Promise<{ code: number; stdout: string; stderr: string; reason?: 'timeout' | 'cancel' }> {
        return new Promise((done) => {
            // bash in a process group of its own (as the agent starts it: Setpgid, agent/executers), which the stand-ins
            // learn as SIM_SCRIPT_PGID to kill it at the executionTimeout; `exec` keeps the pid, so it is the group's id.
            const child = spawn('/bin/bash', ['-c', 'SIM_SCRIPT_PGID=$$; export SIM_SCRIPT_PGID; exec /bin/bash "$0"', scriptFile], {
                cwd,
                env,
                detached: true,
                stdio: ['ignore', 'pipe', 'pipe'],
            });
            this.children.add(child);
            let stdout = '';
            let stderr = '';
            let reason: 'timeout' | 'cancel' | undefined;
            child.stdout!.setEncoding('utf8').on('data', (d: string) => {
                if (stdout.length < OUTPUT_CAP) stdout += d;
            });
            child.stderr!.setEncoding('utf8').on('data', (d: string) => {
                if (stderr.length < OUTPUT_CAP) stderr += d;
            });
            inv.kill = (why) => {
                reason ??= why;
                killGroup(child);
            };
            const timer = setTimeout(() => inv.kill?.('timeout'), limitMs);
            let settled = false;
            const settle = (code: number) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                killGroup(child); // nothing the script left in the background outlives it
                this.children.delete(child);
                delete inv.kill;
                done({ code, stdout, stderr, reason });
            };
            child.on('error', (e) => {
                stderr += `${String(e)}\n`;
                settle(127);
            });
            // 'close' waits for the pipes; a background process that keeps them open gets 1 s after bash exits.
            child.on('close', (code, signal) => settle(code ?? (signal ? 128 + signalNumber(signal) : 1)));
            child.on('exit', (code, signal) => {
                setTimeout(() => {
                    child.stdout?.destroy();
                    child.stderr?.destroy();
                    settle(code ?? (signal ? 128 + signalNumber(signal) : 1));
                }, 1000).unref();
            });
        });
    }
}

function killGroup(c: ChildProcess): void {
    if (c.pid === undefined) return;
    try {
        process.kill(-c.pid, 'SIGKILL');
    } catch {
        try {
            c.kill('SIGKILL');
        } catch {
            /* already gone */
        }
    }
}

const signalNumber = (s: NodeJS.Signals): number => (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 }) as Record<string, number>)[s] ?? 0;
