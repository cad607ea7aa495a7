/**
 * `npm run sim -- [--port N] [--time-scale X] [--scenario default|empty]`
 * Prints SIM_ENDPOINT=http://127.0.0.1:N once ready, then serves until SIGINT/SIGTERM.
 */
import { parseCli, runMain } from '../cli-args';
import { startSimulator } from './index';
import { SCENARIOS } from './scenario';

const USAGE = `usage: npm run sim -- [--port N] [--time-scale X] [--scenario ${SCENARIOS.join('|')}]
  the AWS simulator on 127.0.0.1 alone; prints SIM_ENDPOINT=http://127.0.0.1:N once ready, serves until SIGINT/SIGTERM
  --port N          0-65535 (default 4566; 0 takes any free port)
  --time-scale X    real seconds per simulated second, a number > 0 (default 1, real time)
  --scenario NAME   what the simulator starts with: ${SCENARIOS.join(' or ')} (default default)
  -h, --help        this text`;

async function main(): Promise<void> {
    const cli = parseCli({
        program: 'sim',
        usage: USAGE,
        options: { port: { type: 'string' }, 'time-scale': { type: 'string' }, scenario: { type: 'string' } },
    });
    const port = cli.integer('port', 4566, { max: 65535 });
    const timeScale = cli.number('time-scale', 1, { above: 0 });
    const scenario = cli.oneOf('scenario', SCENARIOS, 'default');
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

runMain('sim', main);
