import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { Ctx, Outcome } from './types';

export const next = (ctx: Ctx, to?: string): Outcome => ({ kind: 'next', ctx, to });
export const done = (ctx: Ctx, message?: string): Outcome => ({ kind: 'done', ctx, message });
export const fail = (ctx: Ctx, code: HandlerErrorCode, message: string): Outcome => ({ kind: 'fail', ctx, code, message });

/** A wait that counts towards the phase's budget and backoff. */
export function wait(ctx: Ctx, seconds: number, message: string, inline = false): Outcome {
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

export function withNote(ctx: Ctx, note: string): Ctx {
    return { ...ctx, notes: [...(ctx.notes ?? []), note] };
}
