import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { Outcome, Phase, PhaseEnv, RunnerCtx } from './types';

export const next = <C>(ctx: C, to?: string): Outcome<C> => ({ kind: 'next', ctx, to });
export const done = <C>(ctx: C, message?: string): Outcome<C> => ({ kind: 'done', ctx, message });
export const fail = <C>(ctx: C, code: HandlerErrorCode, message: string): Outcome<C> => ({ kind: 'fail', ctx, code, message });

/** A wait that counts towards the phase's budget and backoff. */
export function wait<C extends RunnerCtx<unknown>>(ctx: C, seconds: number, message: string, inline = false): Outcome<C> {
    return {
        kind: 'wait',
        ctx: { ...ctx, attempt: (ctx.attempt ?? 0) + 1, waited: (ctx.waited ?? 0) + seconds },
        seconds,
        message,
        inline,
    };
}

/** 15 s, 30 s, then 60 s: a 20-minute connect costs about 20 invocations. */
export function backoff(attempt: number | undefined, steps: readonly number[] = [15, 30, 60]): number {
    const i = Math.min(attempt ?? 0, steps.length - 1);
    return steps[i];
}

export function withNote<C extends RunnerCtx<unknown>>(ctx: C, note: string): C {
    return { ...ctx, notes: [...(ctx.notes ?? []), note] };
}

/** A phase that runs only when `predicate` holds, and otherwise moves on. */
export function skipUnless<P, C>(predicate: (ctx: Readonly<C>, env: PhaseEnv<P, C>) => boolean, phase: Phase<P, C>): Phase<P, C> {
    return async (env) => (predicate(env.ctx, env) ? phase(env) : next(env.ctx));
}
