/**
 * Every link in README.md and docs/*.md resolves: a relative link to a file (and heading) in this repository, an
 * absolute one to AWS documentation only. A reader with only the repository can follow all of them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative } from 'path';
import { ROOT } from './support';

const PAGES = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
    heading
        .trim()
        .toLowerCase()
        .replace(/<[^>]+>/g, '')
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');

function anchors(file: string): Set<string> {
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
        const base = slug(m[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n === 0 ? base : `${base}-${n}`);
    }
    return out;
}

/** Markdown links and HTML hrefs outside code blocks and code spans. */
function links(text: string): string[] {
    const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    return [...[...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]), ...[...prose.matchAll(/href="([^"]+)"/g)].map((m) => m[1])];
}

describe.each(PAGES)('%s', (page) => {
    const abs = join(ROOT, page);
    const found = links(readFileSync(abs, 'utf8'));

    test('has links to check', () => expect(found.length).toBeGreaterThan(0));

    test('every absolute link goes to AWS documentation over https', () => {
        const outside = found.filter((l) => /^[a-z]+:/i.test(l) && !/^https:\/\/docs\.aws\.amazon\.com\//.test(l));
        expect(outside).toEqual([]);
    });

    test('every relative link names a file in the repository, and its heading when it has one', () => {
        const broken: string[] = [];
        for (const link of found.filter((l) => !/^[a-z]+:/i.test(l))) {
            const [path, anchor] = link.split('#');
            const target = path === '' ? abs : join(dirname(abs), decodeURIComponent(path));
            if (!target.startsWith(ROOT) || !existsSync(target)) {
                broken.push(`${link} (no such file: ${relative(ROOT, target)})`);
                continue;
            }
            if (anchor && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${link} (no heading #${anchor})`);
            if (anchor && !target.endsWith('.md') && statSync(target).isDirectory()) broken.push(`${link} (anchor on a folder)`);
        }
        expect(broken).toEqual([]);
    });
});
