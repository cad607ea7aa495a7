/**
 * Time on this machine: one clock shared by the simulator, the drivers, the Lambda endpoint and the handler
 * (installed under HOST_CLOCK, src/engine/clock.ts).
 *
 * - VirtualClock (time scale 0, the default of the tests and `npm run local`): a discrete-event clock. Time
 *   stands still while any party works, however long that takes on this CPU, and jumps to the next timer only
 *   when every party waits on the clock. A 20-minute connect costs no real time, and a loaded machine gives
 *   the same results as an idle one.
 * - ScaledClock (time scale > 0): simulated time is real time divided by the scale. Only for callers that
 *   sleep for real and cannot share a virtual clock: `cfn test` (its Python client sleeps between calls) and
 *   a simulator in another process (`npm run sim`, the bench).
 *
 * A party is a chain of work that waits only through this clock: a driver's operation, a handler invocation,
 * a Lambda invocation, a simulator timer's callback. `run` makes the caller one (or joins the one it is in);
 * `hold` keeps time still around work that is not a party's (a Run Command script executing). A party that
 * sleeps counts as waiting as a whole: work it runs beside its own sleep (a race of a sleep with real I/O) must
 * hold the clock, or wait through an abort signal as the custom resource driver does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Clock, HOST_CLOCK } from '../src/engine/clock';

export interface Timer {
    readonly at: number;
}

export interface SimClock extends Clock {
    /** Real seconds per simulated second; 0 for the virtual clock. */
    readonly timeScale: number;
    readonly virtual: boolean;
    /** Simulated epoch milliseconds. */
    now(): number;
    /** Simulated epoch seconds (fractional), as the AWS JSON protocols put timestamps on the wire. */
    epochSeconds(ms?: number): number;
    /** Waits `ms` simulated milliseconds; an abort ends the wait early. */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
    /** Runs `fn` after `simSeconds`, as a party of its own: time stays still until the promise it returns settles. */
    after(simSeconds: number, fn: () => unknown): Timer;
    cancel(t: Timer | undefined): void;
    /** Cancels every `after` timer (not the waits of parties). */
    cancelAll(): void;
    /** Keeps time still until the returned function is called. */
    hold(): () => void;
    /** Runs `fn` as a party: the caller's own, or a new one when it has none. */
    run<T>(fn: () => Promise<T>): Promise<T>;
    /** Runs `fn` as a new party, whatever party the caller is in. */
    spawn<T>(fn: () => Promise<T> | T): Promise<T>;
}

export function clockFor(timeScale = 0, start = Date.now()): SimClock {
    if (!(timeScale >= 0) || !Number.isFinite(timeScale)) throw new Error(`time scale must be a number >= 0 (0 = virtual time), got ${timeScale}`);
    return timeScale === 0 ? new VirtualClock(start) : new ScaledClock(timeScale, start);
}

/** Makes `clock` the handler's clock (every in-process handler, sources or bundles). Returns the undo. */
export function installHandlerClock(clock: Clock): () => void {
    const g = globalThis as Record<symbol, unknown>;
    const before = g[HOST_CLOCK];
    g[HOST_CLOCK] = clock;
    return () => {
        if (g[HOST_CLOCK] === clock) g[HOST_CLOCK] = before;
    };
}

const epochSeconds = (ms: number): number => Math.round(ms) / 1000;

/** A wait with no finite end would move virtual time to infinity (or NaN) for every party. */
function finite(n: number, what: string): void {
    if (!Number.isFinite(n)) throw new RangeError(`clock.${what} needs a finite duration, got ${n}`);
}

interface Party {
    sleeping: number;
    done: boolean;
}

interface Entry extends Timer {
    readonly seq: number;
    readonly fire: () => void;
    readonly sleeper: boolean;
}

export class VirtualClock implements SimClock {
    readonly timeScale = 0;
    readonly virtual = true;
    private t: number;
    private seq = 0;
    private entries: Entry[] = [];
    /** Parties working (not waiting) plus holds. */
    private busy = 0;
    private sleepers = 0;
    private stepping = false;
    private readonly parties = new AsyncLocalStorage<Party>();

    constructor(start = Date.now()) {
        this.t = Math.round(start);
    }

    now(): number {
        return this.t;
    }

    epochSeconds(ms = this.now()): number {
        return epochSeconds(ms);
    }

    sleep(ms: number, signal?: AbortSignal): Promise<void> {
        finite(ms, 'sleep');
        const party = this.current();
        return new Promise<void>((resolve) => {
            if (signal?.aborted) return resolve();
            const wake = () => {
                signal?.removeEventListener('abort', onAbort);
                this.sleepers--;
                if (!party) this.grace();
                else if (--party.sleeping === 0 && !party.done) this.busy++;
                resolve();
                this.kick();
            };
            const entry = this.add(this.t + Math.max(0, ms || 0), wake, true);
            const onAbort = () => {
                if (this.remove(entry)) wake();
            };
            signal?.addEventListener('abort', onAbort, { once: true });
            this.sleepers++;
            if (party && party.sleeping++ === 0) this.release();
            else this.kick();
        });
    }

    after(simSeconds: number, fn: () => unknown): Timer {
        finite(simSeconds, 'after');
        return this.add(this.t + Math.max(0, simSeconds * 1000), () => void this.spawn(fn).catch(() => undefined), false);
    }

    cancel(t: Timer | undefined): void {
        if (t) this.remove(t as Entry);
    }

    cancelAll(): void {
        this.entries = this.entries.filter((e) => e.sleeper);
    }

    hold(): () => void {
        this.busy++;
        let released = false;
        return () => {
            if (released) return;
            released = true;
            this.release();
        };
    }

    run<T>(fn: () => Promise<T>): Promise<T> {
        return this.current() ? fn() : this.spawn(fn);
    }

    spawn<T>(fn: () => Promise<T> | T): Promise<T> {
        const party: Party = { sleeping: 0, done: false };
        this.busy++;
        return this.parties.run(party, async () => {
            try {
                return await fn();
            } finally {
                party.done = true;
                if (party.sleeping === 0) this.release();
            }
        });
    }

    /** For tests of the clock: how many parties work, how many waits are pending. */
    get state(): { busy: number; sleepers: number; timers: number } {
        return { busy: this.busy, sleepers: this.sleepers, timers: this.entries.length };
    }

    private current(): Party | undefined {
        const p = this.parties.getStore();
        return p && !p.done ? p : undefined;
    }

    private add(at: number, fire: () => void, sleeper: boolean): Entry {
        const e: Entry = { at, seq: this.seq++, fire, sleeper };
        this.entries.push(e);
        return e;
    }

    private remove(e: Entry): boolean {
        const i = this.entries.indexOf(e);
        if (i < 0) return false;
        this.entries.splice(i, 1);
        return true;
    }

    private release(): void {
        this.busy--;
        this.kick();
    }

    /**
     * Code that waited outside any party (a test's polling loop) gets the rest of this turn of the event loop
     * and the next one to act on what it woke up to before time moves on.
     */
    private grace(): void {
        this.busy++;
        this.parties.exit(() => setImmediate(() => setImmediate(() => this.release())));
    }

    /** Time moves only when nobody works and somebody waits for it. */
    private kick(): void {
        if (this.stepping || this.busy > 0 || this.sleepers === 0) return;
        this.stepping = true;
        this.parties.exit(() =>
            setImmediate(() => {
                this.stepping = false;
                this.step();
            }),
        );
    }

    private step(): void {
        if (this.busy > 0 || this.sleepers === 0 || this.entries.length === 0) return;
        let next = this.entries[0];
        for (const e of this.entries) if (e.at < next.at || (e.at === next.at && e.seq < next.seq)) next = e;
        this.remove(next);
        this.t = Math.max(this.t, next.at);
        next.fire();
        this.kick();
    }
}

/** Simulated time runs 1/timeScale times as fast as real time, from the moment the clock was made. */
export class ScaledClock implements SimClock {
    readonly virtual = false;
    private anchorReal = Date.now();
    private anchorSim: number;
    private readonly timers = new Map<Timer, NodeJS.Timeout>();

    constructor(
        private scale: number,
        start = Date.now(),
    ) {
        if (!(scale > 0)) throw new Error(`timeScale must be > 0, got ${scale}`);
        this.anchorSim = start;
    }

    get timeScale(): number {
        return this.scale;
    }

    /** Change the scale without a jump in simulated time. */
    set timeScale(scale: number) {
        if (!(scale > 0)) throw new Error(`timeScale must be > 0, got ${scale}`);
        this.anchorSim = this.now();
        this.anchorReal = Date.now();
        this.scale = scale;
    }

    now(): number {
        return this.anchorSim + (Date.now() - this.anchorReal) / this.scale;
    }

    epochSeconds(ms = this.now()): number {
        return epochSeconds(ms);
    }

    sleep(ms: number, signal?: AbortSignal): Promise<void> {
        return new Promise((resolve) => {
            if (signal?.aborted) return resolve();
            const done = () => {
                clearTimeout(t);
                signal?.removeEventListener('abort', done);
                resolve();
            };
            const t = setTimeout(done, Math.min(Math.max(0, ms) * this.scale, 2 ** 31 - 1));
            signal?.addEventListener('abort', done, { once: true });
        });
    }

    after(simSeconds: number, fn: () => unknown): Timer {
        const timer: Timer = { at: this.now() + simSeconds * 1000 };
        const t = setTimeout(
            () => {
                this.timers.delete(timer);
                void Promise.resolve()
                    .then(fn)
                    .catch(() => undefined);
            },
            Math.min(Math.max(0, simSeconds * 1000 * this.scale), 2 ** 31 - 1),
        );
        this.timers.set(timer, t);
        return timer;
    }

    cancel(t: Timer | undefined): void {
        if (!t) return;
        clearTimeout(this.timers.get(t));
        this.timers.delete(t);
    }

    cancelAll(): void {
        for (const t of this.timers.values()) clearTimeout(t);
        this.timers.clear();
    }

    hold(): () => void {
        return () => undefined;
    }

    run<T>(fn: () => Promise<T>): Promise<T> {
        return fn();
    }

    async spawn<T>(fn: () => Promise<T> | T): Promise<T> {
        return fn();
    }
}
