/**
 * `npm run sim -- [--port N] [--time-scale X] [--scenario default|empty]`
 * Prints SIM_ENDPOINT=http://127.0.0.1:N once ready, then serves until SIGINT/SIGTERM.
 */
import { startSimulator } from './index';
import { SCENARIOS, ScenarioName } from './scenario';

function usage(msg: string): never {
  console.error(`${msg}\nusage: npm run sim -- [--port N] [--time-scale X] [--scenario ${SCENARIOS.join('|')}]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let port = 4566;
  let timeScale = 1;
  let scenario: ScenarioName = 'default';
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? args[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--port') {
      port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be 0-65535');
    } else if (flag === '--time-scale') {
      timeScale = Number(value());
      if (!(timeScale > 0)) usage('--time-scale must be a number > 0');
    } else if (flag === '--scenario') {
      scenario = value() as ScenarioName;
      if (!SCENARIOS.includes(scenario)) usage(`--scenario must be one of ${SCENARIOS.join(', ')}`);
    } else if (flag === '--help' || flag === '-h') {
      usage('AWS simulator on 127.0.0.1');
    } else usage(`unknown argument ${flag}`);
  }
  const sim = await startSimulator({ port, timeScale, scenario });
  console.log(`SIM_ENDPOINT=${sim.endpoint}`);
  console.error(`[sim] scenario ${scenario}, timeScale ${timeScale}; control API at ${sim.endpoint}/_sim/state`);
  const stop = (sig: string) => {
    console.error(`[sim] ${sig}: stopping`);
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
