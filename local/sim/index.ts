/**
 * Loopback AWS simulator (KMS custom key stores, CloudHSM v2, SSM Run Command, Secrets Manager)
 * speaking awsJson1_1, so the real SDK v3 clients run against it. See local/README.md.
 */
import { controlClient, SimControl } from './client';
import { close, listen } from './server';
import { Sim, SimOptions } from './sim';
import type { ScenarioName } from './scenario';
import type { SimConfig } from './state';

export interface StartOptions {
    /** 0 (default) picks a free port. */
    port?: number;
    /** 0 (the default): virtual time (local/clock.ts); > 0: real seconds per simulated second. */
    timeScale?: number;
    scenario?: ScenarioName;
    /** Other settings (connectSeconds, commandRunDelaySeconds, ...). */
    config?: Partial<SimConfig>;
    /** Where the `aws` and `cloudhsm-cli` stand-ins are (default <repo>/local/standins/bin). */
    standinsDir?: string;
}

export interface RunningSimulator {
    /** e.g. http://127.0.0.1:45678 : the endpoint of all four services and of the control API. */
    endpoint: string;
    port: number;
    control: SimControl;
    /** The in-process simulator (state, clock: `sim.now()` is the simulated time in epoch ms). */
    sim: Sim;
    /** Simulated epoch milliseconds. */
    simNow(): number;
    stop(): Promise<void>;
}

export async function startSimulator(opts: StartOptions = {}): Promise<RunningSimulator> {
    const simOpts: SimOptions = { timeScale: opts.timeScale, scenario: opts.scenario, config: opts.config, standinsDir: opts.standinsDir };
    const sim = new Sim(simOpts);
    const { server, port } = await listen(sim, opts.port ?? 0);
    const endpoint = `http://127.0.0.1:${port}`;
    let stopped: Promise<void> | undefined;
    return {
        endpoint,
        port,
        control: controlClient(endpoint),
        sim,
        simNow: () => sim.now(),
        stop: () => (stopped ??= Promise.all([close(server), sim.close()]).then(() => undefined)),
    };
}

export { controlClient } from './client';
export type { SimControl, InstanceSpec, SecretSpec, KeySpec, RequestFilter, SecurityGroupSpec, SubnetSpec } from './client';
export { ControlError } from './client';
export { DEFAULT_SCENARIO } from './scenario';
export type { ScenarioName } from './scenario';
export type { FaultSpec, ApiFault, ConnectFailureFault, CommandResultFault, FaultRecord } from './faults';
export type { ClusterSpec, UserSpec } from './services/cloudhsm';
export type { SimConfig, HsmUser } from './state';
export type {
    SimStateView,
    StoreView,
    ClusterView,
    SecretView,
    KeyView,
    CommandView,
    InvocationView,
    RequestView,
    InstanceView,
    LogGroupView,
    LogStreamView,
    MetricView,
    SecurityGroupView,
    SubnetView,
} from './views';
export { Sim } from './sim';
