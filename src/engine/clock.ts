/**
 * The handler's time: what the runner measures its budget with and how it waits. In Lambda it is the real
 * clock. A host that runs the handler in process (the local simulator's harnesses) installs its own clock
 * under HOST_CLOCK on globalThis before it invokes the handler: a global, not a module variable, so that every
 * bundle (dist/handlers.js, dist/key-handlers.js, the custom resource) and the TypeScript sources see the same
 * one. Nothing here reads the environment.
 */
export interface Clock {
    /** Epoch milliseconds. */
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export const HOST_CLOCK = Symbol.for('custom-kms-cloudhsmkeystore.clock');

/** The clock the host installed, else the real one. */
export function handlerClock(): Clock {
    return ((globalThis as Record<symbol, unknown>)[HOST_CLOCK] as Clock | undefined) ?? realClock;
}
