/** The simulator's core object: settings, clock, world, faults and the per-cluster lock shared by all services. */
import { CfnResponses } from './cfn-responses';
import { clockFor, ScaledClock, SimClock } from '../clock';
import { BadInput, Faults } from './faults';
import { RequestQuotas } from './quotas';
import { CommandRunner } from './runcommand';
import { buildScenario, ScenarioName } from './scenario';
import { LambdaService } from './lambda';
import { DEFAULT_CONFIG, KeyedMutex, newWorld, SimConfig, World } from './state';

export interface SimOptions {
    /** Real seconds per simulated second; 0 (the default) is virtual time (local/clock.ts). */
    timeScale?: number;
    /** The clock to share with the drivers and the handler (default: one made for `timeScale`). */
    clock?: SimClock;
    scenario?: ScenarioName;
    config?: Partial<SimConfig>;
    /** Directory holding the `aws` and `cloudhsm-cli` stand-ins (default <repo>/local/standins/bin). */
    standinsDir?: string;
}

export class Sim {
    readonly config: SimConfig;
    readonly clock: SimClock;
    readonly faults = new Faults();
    /** KMS request quota buckets (used when `config.kmsRequestQuotas` is on). */
    readonly quotas = new RequestQuotas();
    /** Serializes everything that touches one cluster's user table (SSM scripts, KMS connect/disconnect). */
    readonly clusterLock = new KeyedMutex();
    readonly runner: CommandRunner;
    /** Functions registered in process (the custom resource provider) and the responses they PUT. */
    readonly lambda: LambdaService;
    readonly cfnResponses = new CfnResponses();
    world: World = newWorld();

    constructor(opts: SimOptions = {}) {
        this.config = { ...DEFAULT_CONFIG, ...opts.config, ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}) };
        this.clock = opts.clock ?? clockFor(this.config.timeScale);
        this.config.timeScale = this.clock.timeScale;
        this.runner = new CommandRunner(this, opts.standinsDir);
        this.lambda = new LambdaService(this.clock, this.config.region, this.config.accountId);
        this.reset(opts.scenario ?? 'default');
    }

    /** Simulated epoch milliseconds. */
    now(): number {
        return this.clock.now();
    }

    /** Simulated epoch seconds, as timestamps go on the wire. */
    epoch(ms = this.now()): number {
        return this.clock.epochSeconds(ms);
    }

    /** Drop all state, faults, pending timers and running scripts, then load a scenario. Settings are kept. */
    reset(scenario: ScenarioName): void {
        this.clock.cancelAll();
        this.runner.killAll();
        this.faults.clear();
        this.quotas.reset();
        this.cfnResponses.reset();
        this.lambda.reset();
        this.world = newWorld();
        buildScenario(this, scenario);
    }

    setConfig(patch: Partial<SimConfig>): SimConfig {
        if (patch.timeScale !== undefined && patch.timeScale !== this.clock.timeScale) {
            // A virtual clock cannot become a scaled one (or back): the parties that share it would not follow.
            if (!(this.clock instanceof ScaledClock) || !(patch.timeScale > 0))
                throw new BadInput(`the time scale of this simulator is fixed at ${this.clock.timeScale} (0 = virtual time)`);
            this.clock.timeScale = patch.timeScale;
        }
        Object.assign(this.config, patch);
        return { ...this.config };
    }

    async close(): Promise<void> {
        this.clock.cancelAll();
        this.runner.killAll();
        await this.runner.cleanup();
    }
}
