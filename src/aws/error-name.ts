/**
 * The AWS error name of anything an SDK client throws. The CloudHSM v2 client does not always throw
 * the modelled class, so code branches on this name, never on instanceof.
 */
export function errorName(err: unknown): string {
    if (err && typeof err === 'object' && 'name' in err && typeof (err as { name: unknown }).name === 'string') {
        return (err as { name: string }).name;
    }
    return 'UnknownError';
}

export function errorMessage(err: unknown): string {
    if (err instanceof Error) return err.message;
    return String(err);
}
