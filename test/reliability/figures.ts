/**
 * The reliability figures `npm run test:reliability` prints: each test counts what it really exercised
 * (a fault case, a replayed invocation, a crash point, a secret probe, a bad input, a race) and what it
 * found left behind or leaked, by appending to the file named in RELIABILITY_FIGURES_FILE. Outside that
 * run (plain `npm test`) nothing is written.
 */
import { appendFileSync } from 'fs';

export const FIGURES = ['faultCases', 'replayedInvocations', 'crashPoints', 'secretProbes', 'badInputs', 'races', 'leftoversFound', 'leaksFound'] as const;
export type Figure = (typeof FIGURES)[number];

export function count(figure: Figure, n = 1): void {
    const file = process.env.RELIABILITY_FIGURES_FILE;
    if (!file || n <= 0) return;
    appendFileSync(file, `${JSON.stringify({ figure, n })}\n`);
}

/** Sums a figures file. */
export function sumFigures(text: string): Record<Figure, number> {
    const totals = Object.fromEntries(FIGURES.map((f) => [f, 0])) as Record<Figure, number>;
    for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        const { figure, n } = JSON.parse(line) as { figure: Figure; n: number };
        if (figure in totals) totals[figure] += n;
    }
    return totals;
}
