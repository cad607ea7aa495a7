/**
 * Minimal X.509 builder (ECDSA P-256 / SHA-256), so the simulated clusters have a real,
 * parseable customer CA (the KMS trust anchor) and a cluster certificate it signs.
 */
import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';

function len(n: number): Buffer {
    if (n < 0x80) return Buffer.from([n]);
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...p: Buffer[]) => tlv(0x30, ...p);
const set = (...p: Buffer[]) => tlv(0x31, ...p);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (b: boolean) => tlv(0x01, Buffer.from([b ? 0xff : 0]));
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);

function oid(dotted: string): Buffer {
    const [a, b, ...rest] = dotted.split('.').map(Number);
    const out = [40 * a! + b!];
    for (const n of rest) {
        const groups: number[] = [];
        let v = n;
        do {
            groups.unshift(v & 0x7f);
            v = Math.floor(v / 128);
        } while (v > 0);
        for (let i = 0; i < groups.length - 1; i++) groups[i]! |= 0x80;
        out.push(...groups);
    }
    return tlv(0x06, Buffer.from(out));
}

function integer(b: Buffer): Buffer {
    let v = b;
    while (v.length > 1 && v[0] === 0 && v[1]! < 0x80) v = v.subarray(1);
    if (v[0]! >= 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return tlv(0x02, v);
}

function time(d: Date): Buffer {
    const p = (n: number) => String(n).padStart(2, '0');
    const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
    const y = d.getUTCFullYear();
    return y < 2050 ? tlv(0x17, Buffer.from(`${String(y).slice(2)}${body}`)) : tlv(0x18, Buffer.from(`${y}${body}`));
}

const name = (cn: string, org: string) => seq(set(seq(oid('2.5.4.10'), utf8(org))), set(seq(oid('2.5.4.3'), utf8(cn))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export interface Issued {
    pem: string;
    key: KeyObject;
    subject: { cn: string; org: string };
}

/** Issue a certificate; self-signed when `issuer` is omitted (then it is a CA). */
export function issueCertificate(cn: string, org: string, issuer?: Issued, years = 20): Issued {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signer = issuer ?? { key: privateKey, subject: { cn, org } };
    const now = new Date();
    const notBefore = new Date(now.getTime() - 86_400_000);
    const notAfter = new Date(Date.UTC(now.getUTCFullYear() + years, now.getUTCMonth(), 1));
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const ski = createHash('sha1').update(spki).digest();
    const exts = [seq(oid('2.5.29.14'), octets(octets(ski)))];
    if (!issuer) {
        exts.push(seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))));
        exts.push(seq(oid('2.5.29.15'), bool(true), octets(bits(Buffer.from([0x06]))))); // keyCertSign | cRLSign
    }
    const tbs = seq(
        explicit(0, integer(Buffer.from([2]))),
        integer(randomBytes(16)),
        ECDSA_SHA256,
        name(signer.subject.cn, signer.subject.org),
        seq(time(notBefore), time(notAfter)),
        name(cn, org),
        spki,
        explicit(3, seq(...exts)),
    );
    const signature = sign('sha256', tbs, signer.key);
    const der = seq(tbs, ECDSA_SHA256, bits(signature));
    const b64 = der
        .toString('base64')
        .replace(/(.{64})/g, '$1\n')
        .trimEnd();
    return { pem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`, key: privateKey, subject: { cn, org } };
}

/** Compare two PEM strings the way a certificate comparison would: ignore line endings and surrounding blanks. */
export function samePem(a: string, b: string): boolean {
    const norm = (s: string) => s.replace(/\r\n/g, '\n').replace(/\s+/g, '');
    return norm(a) === norm(b);
}
