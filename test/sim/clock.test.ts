/** local/clock.ts's VirtualClock: the discrete-event clock the simulator suites run on. */
import { VirtualClock } from '../../local/clock';

const START = 1_800_000_000_000;
/** Real time: only to give the event loop turns in which the clock could (wrongly) move. */
const realDelay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const burnCpu = (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        /* busy */
    }
};
/** True once `p` has settled, checked after a few turns of the event loop. */
const settled = async (p: Promise<unknown>) => {
    let done = false;
    void p.then(() => (done = true));
    await realDelay(20);
    return done;
};

test('time does not move while a party works, even with another party waiting for it', async () => {
    const c = new VirtualClock(START);
    const waiter = c.spawn(async () => {
        await c.sleep(1000);
        return c.now();
    });
    await c.run(async () => {
        // 200 ms of CPU in slices, with real waits between them: the event loop has every chance to move the clock.
        for (let i = 0; i < 10; i++) {
            burnCpu(20);
            await realDelay(5);
            await new Promise((r) => setImmediate(r));
            expect(c.now()).toBe(START);
        }
    });
    expect(await waiter).toBe(START + 1000);
    expect(c.now()).toBe(START + 1000);
    expect(c.state).toEqual({ busy: 0, sleepers: 0, timers: 0 });
});

test('a sleeping party lets time jump to its wake-up at once', async () => {
    const c = new VirtualClock(START);
    const t0 = Date.now();
    await c.run(() => c.sleep(86_400_000));
    expect(c.now()).toBe(START + 86_400_000);
    expect(Date.now() - t0).toBeLessThan(10_000); // a simulated day, not a real one (generous for a loaded machine)
});

test('two parties sleeping 10 s and 5 s wake in the order of their wake-up times, at exactly those times', async () => {
    const c = new VirtualClock(START);
    const woke: [string, number][] = [];
    const sleep = (name: string, ms: number) =>
        c.spawn(async () => {
            await c.sleep(ms);
            woke.push([name, c.now() - START]);
        });
    await Promise.all([sleep('ten', 10_000), sleep('five', 5_000)]);
    expect(woke).toEqual([
        ['five', 5_000],
        ['ten', 10_000],
    ]);
});

test('an `after` timer fires when the clock passes it, as a party that time waits for', async () => {
    const c = new VirtualClock(START);
    const fired: number[] = [];
    c.after(3, async () => {
        fired.push(c.now());
        await realDelay(30); // real work in the timer's callback: time stays at 3 s until it is done
        fired.push(c.now());
    });
    await realDelay(20);
    expect(fired).toEqual([]); // nobody sleeps on the clock: time stands still, the timer waits
    expect(c.now()).toBe(START);
    await c.run(async () => {
        await c.sleep(2999);
        expect(fired).toEqual([]);
        await c.sleep(1); // the timer was armed first, so it fires before this sleeper wakes at the same time
        expect(fired).toEqual([START + 3000, START + 3000]);
        await c.sleep(1000);
    });
    expect(c.now()).toBe(START + 4000);
    // A cancelled timer never fires.
    const t = c.after(1, () => fired.push(-1));
    c.cancel(t);
    await c.run(() => c.sleep(5000));
    expect(fired).toHaveLength(2);
});

test('hold() keeps time still until released', async () => {
    const c = new VirtualClock(START);
    const release = c.hold();
    const sleeper = c.spawn(() => c.sleep(1000));
    expect(await settled(sleeper)).toBe(false);
    expect(c.now()).toBe(START);
    release();
    release(); // a second release is harmless
    await sleeper;
    expect(c.now()).toBe(START + 1000);
    expect(c.state).toEqual({ busy: 0, sleepers: 0, timers: 0 });
});

test('an aborted sleep resolves at once, without moving time', async () => {
    const c = new VirtualClock(START);
    const release = c.hold(); // so that only the abort can end the sleep
    await c.run(async () => {
        const ac = new AbortController();
        const p = c.sleep(60_000, ac.signal);
        expect(await settled(p)).toBe(false);
        ac.abort();
        await p;
        expect(c.now()).toBe(START);
        await c.sleep(60_000, ac.signal); // an already aborted signal: no wait at all
        expect(c.now()).toBe(START);
    });
    release();
    expect(c.state).toEqual({ busy: 0, sleepers: 0, timers: 0 });
});
