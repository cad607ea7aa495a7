/**
 * Simulated time. `timeScale` is real seconds per simulated second: 0.001 makes a
 * 20-minute connect take 1.2 s of wall time. Simulated time starts at the real time
 * the simulator started and then runs 1/timeScale times as fast.
 */
export class Clock {
  private anchorReal = Date.now();
  private anchorSim = this.anchorReal;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private scale = 1) {
    if (!(scale > 0)) throw new Error(`timeScale must be > 0, got ${scale}`);
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

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.anchorSim + (Date.now() - this.anchorReal) / this.scale;
  }

  /** Simulated epoch seconds (fractional), as the AWS JSON protocols put timestamps on the wire. */
  epochSeconds(ms = this.now()): number {
    return Math.round(ms) / 1000;
  }

  /** Real milliseconds that `simSeconds` of simulated time take. */
  realMs(simSeconds: number): number {
    return Math.max(0, simSeconds * 1000 * this.scale);
  }

  /** Run `fn` after `simSeconds` of simulated time. Cancelled by cancelAll(). */
  after(simSeconds: number, fn: () => void): NodeJS.Timeout {
    return this.afterReal(this.realMs(simSeconds), fn);
  }

  afterReal(realMs: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.min(realMs, 2 ** 31 - 1));
    this.timers.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

export const sleep = (realMs: number): Promise<void> => new Promise((r) => setTimeout(r, realMs));
