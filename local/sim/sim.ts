/** The simulator's core object: settings, clock, world, faults and the per-cluster lock shared by all services. */
import { CfnResponses } from './cfn-responses';
import { Clock } from './clock';
import { Faults } from './faults';
import { RequestQuotas } from './quotas';
import { CommandRunner } from './runcommand';
import { buildScenario, ScenarioName } from './scenario';
import { LambdaService } from './lambda';
import { DEFAULT_CONFIG, KeyedMutex, newWorld, SimConfig, World } from './state';

export interface SimOptions {
  timeScale?: number;
  scenario?: ScenarioName;
  config?: Partial<SimConfig>;
  /** Directory holding the `aws` and `cloudhsm-cli` stand-ins (default <repo>/local/standins/bin). */
  standinsDir?: string;
}

export class Sim {
  readonly config: SimConfig;
  readonly clock: Clock;
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
    this.clock = new Clock(this.config.timeScale);
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
    Object.assign(this.config, patch);
    if (patch.timeScale !== undefined) this.clock.timeScale = patch.timeScale;
    return { ...this.config };
  }

  async close(): Promise<void> {
    this.clock.cancelAll();
    this.runner.killAll();
    await this.runner.cleanup();
  }
}
