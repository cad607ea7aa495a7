/**
 * Does the fake agree with the simulator?
 *
 * AWS is modelled twice. The workflow tests (test/workflow) run the handler's workflows against the in-memory
 * fake (test/fakes/aws.ts): it is fast, and it lets a test inject faults, crash an invocation after any call and
 * replay it. The simulator (local/sim) is the reference: it speaks the AWS wire protocols to the real SDK
 * clients and is reviewed against the AWS service models and documents. Nothing else checks that the fake
 * behaves like the simulator, so a workflow test could pass against behaviour AWS does not have.
 *
 * This suite keeps the fake honest: each scenario (./scenarios.ts) is written once against the handler's
 * `Adapters` and a small `World` (./world.ts) and runs on both backends, the fake seeded like the simulator's
 * default scenario and the simulator through the handler's real adapters. Each run records a normalized
 * transcript (every call's result or error name); the two transcripts must be equal. When they differ, the
 * simulator is the reference: fix the fake.
 */
import { writeFileSync } from 'node:fs';
import { Backend, BackendName, fakeBackend, simBackend, Transcript } from './world';
import { scenarios } from './scenarios';

const transcripts: Record<BackendName, Map<string, Transcript['entries']>> = { fake: new Map(), sim: new Map() };
const names = scenarios.map((s) => s.name);

// AGREEMENT_DUMP=<file>: write both backends' transcripts there (to read a whole transcript, not only a diff)
afterAll(() => {
    const file = process.env.AGREEMENT_DUMP;
    if (file) writeFileSync(file, JSON.stringify({ fake: Object.fromEntries(transcripts.fake), sim: Object.fromEntries(transcripts.sim) }, null, 1));
});

describe.each<[BackendName, () => Promise<Backend>]>([
    ['fake', async () => fakeBackend()],
    ['sim', simBackend],
])('on the %s', (name, start) => {
    let backend: Backend;
    beforeAll(async () => {
        backend = await start();
    });
    afterAll(() => backend?.stop());

    test.each(names)('%s', async (scenario) => {
        const s = scenarios.find((x) => x.name === scenario)!;
        const entries = await backend.run(async (w) => {
            const t = new Transcript(() => w.now());
            await s.run(w, t);
            return t.entries;
        });
        expect(entries.length).toBeGreaterThan(0);
        transcripts[name].set(scenario, entries);
    });
});

describe('the fake answers as the simulator does', () => {
    test.each(names)('%s', (scenario) => {
        const sim = transcripts.sim.get(scenario);
        const fake = transcripts.fake.get(scenario);
        if (!sim || !fake) throw new Error(`the scenario did not run on ${!sim ? 'the simulator' : 'the fake'}`);
        expect(fake).toEqual(sim);
    });
});
