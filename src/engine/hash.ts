import { createHash } from 'crypto';

/** A stable digest of the request, so a retried invocation derives the same names and tokens. */
export function requestDigest(...parts: string[]): string {
    return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}
