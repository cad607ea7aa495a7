/**
 * The one place that composes the message of a FAILED or SUCCESS event (and of an IN_PROGRESS one): parts
 * written by phases, the error table, the kmsuser result parser and the rollback notes are joined into
 * sentences, each ending with its punctuation and starting with a capital (unless it starts with an
 * identifier such as kmsuser or cks-...), with no sentence repeated, within CloudFormation's length limit.
 */

/**
 * Assumed, not found in the documentation searched (2026-11-29): CloudFormation's RecordHandlerProgress
 * StatusMessage and Cloud Control's ProgressEvent StatusMessage are taken to be limited to 1024 characters.
 */
export const MESSAGE_LIMIT = 1024;

/** First words that are names and keep their case: kmsuser, cloudhsm-cli, aws, ids like cks-... or i-... */
const KEEPS_CASE = /^(kmsuser|cloudhsm-cli|aws|[a-z]+[-_0-9][^\s]*)/;

/** One part as a sentence (or several): trimmed, one line, capitalised, ending with . ! ? or a quote after one. */
export function asSentence(part: string): string {
    let s = part.replace(/\s+/g, ' ').trim();
    if (!s) return '';
    if (/^[a-z]/.test(s) && !KEEPS_CASE.test(s)) s = s[0].toUpperCase() + s.slice(1);
    s = s.replace(/[,;:\s]+$/, '');
    if (!/[.!?]["')\]]?$/.test(s) && !/\.\.\.$/.test(s)) s += '.';
    return s;
}

/** Splits composed text into sentences, for de-duplication (a period inside an id or a number does not split). */
export function sentencesOf(text: string): string[] {
    return text
        .split(/(?<=[.!?])\s+(?=[A-Z"'(`]|kmsuser|cloudhsm-cli|aws )/)
        .map((s) => s.trim())
        .filter(Boolean);
}

const norm = (s: string) =>
    s
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, ' ')
        .trim();

/** Shortens text to at most `max` characters at a word boundary, marking the cut with "...". */
function shorten(text: string, max: number): string {
    if (text.length <= max) return text;
    if (max <= 3) return text.slice(0, Math.max(0, max));
    const cut = text.slice(0, max - 3);
    const space = cut.lastIndexOf(' ');
    return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, '')}...`;
}

/**
 * Joins parts into one message of whole sentences: empty parts dropped, a sentence already said dropped,
 * and, over the limit, the longest sentence (usually a detail the CLI printed) shortened first, so the
 * cause, the remedy and the rollback notes stay.
 */
export function compose(...parts: Array<string | undefined | null | false>): string {
    const seen = new Set<string>();
    const sentences: string[] = [];
    for (const part of parts) {
        if (!part) continue;
        for (const sentence of sentencesOf(asSentence(part))) {
            const key = norm(sentence);
            if (!key || seen.has(key)) continue;
            seen.add(key);
            sentences.push(asSentence(sentence));
        }
    }
    for (let guard = 0; guard < 50; guard++) {
        const total = sentences.join(' ').length;
        if (total <= MESSAGE_LIMIT) break;
        let longest = 0;
        sentences.forEach((s, i) => (s.length > sentences[longest].length ? (longest = i) : undefined));
        const over = total - MESSAGE_LIMIT;
        sentences[longest] = shorten(sentences[longest], Math.max(40, sentences[longest].length - over));
        if (sentences[longest].length <= 40 && sentences.join(' ').length > MESSAGE_LIMIT) sentences.splice(longest, 1);
    }
    return shorten(sentences.join(' '), MESSAGE_LIMIT);
}
