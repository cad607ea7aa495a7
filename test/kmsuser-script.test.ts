/**
 * Runs the kmsuser script from buildKmsUserCommands for real, under /bin/sh (dash here) and bash, against
 * the project's stand-in `aws` and `cloudhsm-cli` (local/standins/bin), and checks markers, the resulting
 * cluster state, and that no password ever shows up in the script text, stdout or stderr.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
    buildKmsUserCommands,
    CLI_FALLBACK,
    KMSUSER_AWS_TIMEOUT_SECONDS,
    KMSUSER_CLI_TIMEOUT_SECONDS,
    KMSUSER_SCRIPT_MAX_SECONDS,
    KmsUserScriptParams,
} from '../src/kmsuser/script';
import { parseKmsUserResult } from '../src/kmsuser/result';
import type { HsmUser } from '../local/sim/state';

const STANDINS = path.resolve(__dirname, '..', 'local', 'standins', 'bin');
const CLUSTER = 'cluster-abcdefghij2';
const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
/** Shell metacharacters on purpose: quotes, $, backtick, command substitution, backslash, glob. */
const ADMIN_PW = 'p@ss\'w"o$rd!`$(id)`\\*';
const BOOT_PW = 'Bq7Zr2Kx9Lm4Np6Qs8Tv1Wy3Ac5Ef0Gh'.slice(0, 32);
const ADMIN_SECRET = 'cloudhsm/admin-password';
const BOOT_SECRET = 'kms-cks-bootstrap-abc123';
const arnOf = (name: string, suffix = 'AbCdEf') => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`;

/** The stand-ins' user record is the simulator's. */
type SimUser = HsmUser;
interface SimSecret {
    name: string;
    arn: string;
    secretString?: string;
    deleted: boolean;
}
interface SimState {
    clusterId: string;
    users: SimUser[];
    quorum: number;
}

const user = (username: string, role: string, password: string, extra: Partial<SimUser> = {}): SimUser => ({
    username,
    role,
    password,
    locked: false,
    failedLogins: 0,
    loggedIn: false,
    ownsKeys: false,
    ...extra,
});
const ADMIN = (extra: Partial<SimUser> = {}) => user('admin', 'admin', ADMIN_PW, extra);
const KMSUSER = (extra: Partial<SimUser> = {}) => user('kmsuser', 'crypto-user', 'OldKmsPassw0rd', extra);
const secret = (name: string, secretString: string | undefined, deleted = false): SimSecret => ({
    name,
    arn: arnOf(name),
    ...(secretString === undefined ? {} : { secretString }),
    deleted,
});
const DEFAULT_SECRETS = () => [secret(ADMIN_SECRET, ADMIN_PW), secret(BOOT_SECRET, BOOT_PW)];

let root: string;
let caseNo = 0;
beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kmsuser-script-'));
});
afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
});

interface Fixture {
    dir: string;
    bin: string;
    /** The client's cloudhsm-cli configuration the stand-in models (SIM_CLI_CONFIG). */
    config: 'single' | 'multi';
    stateFile: string;
    secretsFile: string;
    state(): SimState;
}

function fixture(
    opts: { users?: SimUser[]; secrets?: SimSecret[]; quorum?: number; clusterId?: string; tools?: string[]; config?: 'single' | 'multi' } = {},
): Fixture {
    const dir = path.join(root, `case-${++caseNo}`);
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    for (const tool of opts.tools ?? ['aws', 'cloudhsm-cli']) fs.symlinkSync(path.join(STANDINS, tool), path.join(bin, tool));
    const stateFile = path.join(dir, 'hsm.json');
    const secretsFile = path.join(dir, 'secrets.json');
    const state: SimState = { clusterId: opts.clusterId ?? CLUSTER, users: opts.users ?? [ADMIN()], quorum: opts.quorum ?? 1 };
    fs.writeFileSync(stateFile, JSON.stringify(state));
    fs.writeFileSync(secretsFile, JSON.stringify({ secrets: opts.secrets ?? DEFAULT_SECRETS() }));
    return { dir, bin, config: opts.config ?? 'single', stateFile, secretsFile, state: () => JSON.parse(fs.readFileSync(stateFile, 'utf8')) as SimState };
}

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
    script: string;
}

function params(over: Partial<KmsUserScriptParams> = {}): KmsUserScriptParams {
    return {
        action: 'create',
        adopt: false,
        clusterId: CLUSTER,
        region: REGION,
        adminUsername: 'admin',
        adminSecretId: ADMIN_SECRET,
        bootstrapSecretId: BOOT_SECRET,
        ...over,
    };
}

/** Every password any test uses: none may appear in the script text, stdout or stderr. */
const SECRETS_TO_HIDE = [ADMIN_PW, BOOT_PW, 'OldKmsPassw0rd', 'WrongPassword1', 'päss€word'];

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Omit<Run, 'script'>> {
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
}

async function runScript(
    f: Fixture,
    p: KmsUserScriptParams,
    opts: { shell?: string[]; extraSecrets?: string[]; cliFallback?: string; limits?: { cli: number; aws: number } } = {},
): Promise<Run> {
    let script = buildKmsUserCommands(p).join('\n');
    // The fallback location (/opt/cloudhsm/bin) is a parameter of the script: a test points it at a temp dir.
    if (opts.cliFallback) script = script.replace(`K_CLI_FALLBACK='${CLI_FALLBACK}'`, `K_CLI_FALLBACK='${opts.cliFallback}'`);
    // So are the limits on each call (KMSUSER_CLI_TIMEOUT_SECONDS, KMSUSER_AWS_TIMEOUT_SECONDS): a test makes them short.
    if (opts.limits) {
        script = script
            .replace(`K_CLI_SECONDS=${KMSUSER_CLI_TIMEOUT_SECONDS}`, `K_CLI_SECONDS=${opts.limits.cli}`)
            .replace(`K_AWS_SECONDS=${KMSUSER_AWS_TIMEOUT_SECONDS}`, `K_AWS_SECONDS=${opts.limits.aws}`);
    }
    const file = path.join(f.dir, `script-${++caseNo}.sh`);
    fs.writeFileSync(file, script);
    const [shell, ...shellArgs] = opts.shell ?? ['/bin/sh'];
    const env = { PATH: `${f.bin}:/usr/bin:/bin`, SIM_HSM_STATE: f.stateFile, SIM_SECRETS_FILE: f.secretsFile, SIM_CLI_CONFIG: f.config };
    const r = await exec(shell, [...shellArgs, file], env, f.dir);
    for (const s of [...SECRETS_TO_HIDE, ...(opts.extraSecrets ?? [])]) {
        expect(script).not.toContain(s);
        expect(r.stdout).not.toContain(s);
        expect(r.stderr).not.toContain(s);
    }
    // The protocol: the final line is the one KMSUSER_RESULT line; at most one detail line before it.
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines[lines.length - 1]).toMatch(/^KMSUSER_RESULT=[A-Z_]+$/);
    expect(lines.filter((l) => l.startsWith('KMSUSER_RESULT=')).length).toBe(1);
    const details = lines.filter((l) => l.startsWith('KMSUSER_DETAIL='));
    expect(details.length).toBeLessThanOrEqual(1);
    for (const d of details) expect(Buffer.byteLength(d.slice('KMSUSER_DETAIL='.length))).toBeLessThanOrEqual(500);
    return { ...r, script };
}

function expectOk(r: Run, outcome: string): void {
    expect({ code: r.code, stderr: r.stderr, result: parseKmsUserResult(r.stdout, r.stderr) }).toEqual({
        code: 0,
        stderr: '',
        result: { ok: true, outcome },
    });
    expect(r.stdout).toBe(`KMSUSER_RESULT=${outcome}\n`);
}

function expectFailure(r: Run, failure: string, detail?: RegExp): string {
    const parsed = parseKmsUserResult(r.stdout, r.stderr);
    expect(parsed).toMatchObject({ ok: false, failure });
    expect(r.code).not.toBe(0);
    const d = parsed.ok ? '' : parsed.detail;
    expect(d.length).toBeGreaterThan(0);
    if (detail) expect(d).toMatch(detail);
    return d;
}

const kms = (s: SimState) => s.users.find((u) => u.username === 'kmsuser');
const admin = (s: SimState) => s.users.find((u) => u.username === 'admin')!;

describe('create', () => {
    test.each([
        ['/bin/sh (dash)', ['/bin/sh']],
        ['bash', ['/bin/bash']],
        ['bash --posix (sh on Amazon Linux)', ['/bin/bash', '--posix']],
    ])('absent kmsuser is created with the bootstrap password under %s', async (_name, shell) => {
        const f = fixture();
        expectOk(await runScript(f, params(), { shell }), 'CREATED');
        expect(kms(f.state())).toEqual(user('kmsuser', 'crypto-user', BOOT_PW));
        expect(admin(f.state()).failedLogins).toBe(0);
    });

    test('the admin secret in JSON form {"password": ...} (other keys ignored), by full ARN', async () => {
        const f = fixture({
            secrets: [secret(ADMIN_SECRET, JSON.stringify({ username: 'ignored', password: ADMIN_PW, port: 2223 })), secret(BOOT_SECRET, BOOT_PW)],
        });
        expectOk(await runScript(f, params({ adminSecretId: arnOf(ADMIN_SECRET) }), { shell: ['/bin/bash'] }), 'CREATED');
        expect(kms(f.state())?.password).toBe(BOOT_PW);
    });

    test('JSON admin secret with \\u escapes (UTF-8), secrets by partial ARN', async () => {
        const pw = 'päss€word';
        const f = fixture({
            users: [user('admin', 'admin', pw)],
            secrets: [secret(ADMIN_SECRET, '{ "password" : "p\\u00e4ss\\u20acword" }'), secret(BOOT_SECRET, BOOT_PW)],
        });
        const partial = (n: string) => arnOf(n).slice(0, -7);
        expectOk(await runScript(f, params({ adminSecretId: partial(ADMIN_SECRET), bootstrapSecretId: partial(BOOT_SECRET) })), 'CREATED');
        expect(kms(f.state())?.password).toBe(BOOT_PW);
    });

    test('an existing kmsuser fails with KMSUSER_EXISTS and is left alone (no secret read, no login)', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER()], secrets: [] });
        const d = expectFailure(await runScript(f, params()), 'KMSUSER_EXISTS', /kmsuser.*already exists.*AdoptExistingKmsUser/);
        expect(d).toContain(CLUSTER);
        expect(kms(f.state())).toEqual(KMSUSER());
    });

    test('adopt: an existing (locked) kmsuser gets the bootstrap password and is unlocked -> ADOPTED', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER({ locked: true, failedLogins: 5 })] });
        expectOk(await runScript(f, params({ adopt: true })), 'ADOPTED');
        expect(kms(f.state())).toEqual(user('kmsuser', 'crypto-user', BOOT_PW));
    });

    test('adopt while KMS is logged in as kmsuser -> KMSUSER_LOGGED_IN', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER({ loggedIn: true })] });
        expectFailure(await runScript(f, params({ adopt: true })), 'KMSUSER_LOGGED_IN', /logged in/);
        expect(kms(f.state())?.password).toBe('OldKmsPassw0rd');
    });

    test('adopt=true with an absent kmsuser simply creates it', async () => {
        const f = fixture();
        expectOk(await runScript(f, params({ adopt: true })), 'CREATED');
    });
});

describe('reset', () => {
    test('present -> password reset to the bootstrap one -> RESET', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER()] });
        expectOk(await runScript(f, params({ action: 'reset' }), { shell: ['/bin/bash'] }), 'RESET');
        expect(kms(f.state())?.password).toBe(BOOT_PW);
    });

    test('absent -> created -> CREATED', async () => {
        const f = fixture();
        expectOk(await runScript(f, params({ action: 'reset' })), 'CREATED');
        expect(kms(f.state())?.password).toBe(BOOT_PW);
    });

    test('kmsuser logged in -> KMSUSER_LOGGED_IN', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER({ loggedIn: true })] });
        expectFailure(await runScript(f, params({ action: 'reset' })), 'KMSUSER_LOGGED_IN', /currently logged in/);
    });

    test('a kmsuser with another role is not touched -> UNEXPECTED_OUTPUT', async () => {
        const f = fixture({ users: [ADMIN(), user('kmsuser', 'admin', 'OldKmsPassw0rd')] });
        expectFailure(await runScript(f, params({ action: 'reset' })), 'UNEXPECTED_OUTPUT', /role 'admin', not crypto-user/);
        expect(kms(f.state())?.password).toBe('OldKmsPassw0rd');
    });
});

describe('a kmsuser KMS cannot use is left untouched: MFA, or not on every HSM', () => {
    const cases: Array<[string, Partial<SimUser>, string, RegExp]> = [
        ['with MFA', { mfa: [{ strategy: 'token-sign', status: 'enabled' }] }, 'KMSUSER_MFA', /multi-factor authentication registered \(1 entry/],
        ['on some HSMs only', { clusterCoverage: 'inconsistent' }, 'KMSUSER_PARTIAL', /cluster-coverage 'inconsistent', not 'full'/],
    ];
    test.each(cases)('%s: the check (adopt), the adoption and a reset refuse it, under dash', async (_name, extra, failure, detail) => {
        for (const p of [params({ action: 'check', adopt: true }), params({ adopt: true }), params({ action: 'reset' })]) {
            const f = fixture({ users: [ADMIN(), KMSUSER(extra)] });
            const d = expectFailure(await runScript(f, p, { shell: ['/bin/sh'] }), failure, detail);
            expect(d).toContain(CLUSTER);
            expect(d).toContain('left untouched');
            expect(kms(f.state())).toEqual(KMSUSER(extra));
            expect(admin(f.state()).failedLogins).toBe(0);
        }
    });

    test('without AdoptExistingKmsUser it is still KMSUSER_EXISTS; cluster-coverage full and an empty mfa list are fine', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER({ mfa: [{ strategy: 'token-sign', status: 'enabled' }] })] });
        expectFailure(await runScript(f, params()), 'KMSUSER_EXISTS', /AdoptExistingKmsUser is false/);
        const g = fixture({ users: [ADMIN(), KMSUSER({ mfa: [], clusterCoverage: 'full' })] });
        expectOk(await runScript(g, params({ adopt: true })), 'ADOPTED');
    });
});

describe('time limits', () => {
    /** A test-only cloudhsm-cli (or aws) that answers `user list` through the stand-in and hangs on anything else, or on everything. */
    function hangingTool(f: Fixture, tool: 'cloudhsm-cli' | 'aws', hangOnList: boolean): void {
        const file = path.join(f.bin, tool);
        fs.rmSync(file, { force: true });
        const passList = tool === 'cloudhsm-cli' && !hangOnList;
        fs.writeFileSync(
            file,
            [
                '#!/usr/bin/env node',
                passList
                    ? `if (process.argv[3] === 'list') { require('child_process').execFileSync(${JSON.stringify(path.join(STANDINS, tool))}, process.argv.slice(2), { stdio: 'inherit' }); process.exit(0); }`
                    : '',
                'setTimeout(() => process.exit(0), 30000);',
            ].join('\n'),
            { mode: 0o755 },
        );
    }

    test('the script ends within its own limits, below the SSM executionTimeout the handler sends', () => {
        // list, list, admin secret, bootstrap secret, user create: the most calls any action makes
        expect(KMSUSER_SCRIPT_MAX_SECONDS).toBeGreaterThanOrEqual(3 * KMSUSER_CLI_TIMEOUT_SECONDS + 2 * KMSUSER_AWS_TIMEOUT_SECONDS);
        const script = buildKmsUserCommands(params()).join('\n');
        expect(script).toContain(`K_CLI_SECONDS=${KMSUSER_CLI_TIMEOUT_SECONDS}`);
        expect(script).toContain(`K_AWS_SECONDS=${KMSUSER_AWS_TIMEOUT_SECONDS}`);
    });

    test('a cloudhsm-cli user create that does not answer is stopped -> TIMED_OUT naming the call, under dash', async () => {
        const f = fixture();
        hangingTool(f, 'cloudhsm-cli', false);
        const r = await runScript(f, params(), { shell: ['/bin/sh'], limits: { cli: 1, aws: 5 } });
        expectFailure(r, 'TIMED_OUT', /cloudhsm-cli user create did not answer within 1 s, so the script stopped it/);
    });

    test('a cloudhsm-cli that does not even list users: TIMED_OUT at once, no second probe', async () => {
        const f = fixture();
        hangingTool(f, 'cloudhsm-cli', true);
        const started = Date.now();
        const r = await runScript(f, params({ action: 'check' }), { limits: { cli: 1, aws: 5 } });
        expectFailure(r, 'TIMED_OUT', /cloudhsm-cli user list did not answer within 1 s/);
        expect(Date.now() - started).toBeLessThan(10_000);
    });

    test('an aws CLI that does not answer -> TIMED_OUT naming the secret', async () => {
        const f = fixture();
        hangingTool(f, 'aws', true);
        const r = await runScript(f, params({ action: 'check' }), { limits: { cli: 5, aws: 1 } });
        expectFailure(r, 'TIMED_OUT', new RegExp(`get-secret-value of the admin password secret '${ADMIN_SECRET}' did not answer within 1 s`));
    });
});

describe('delete', () => {
    test('present -> DELETED (no bootstrap secret needed)', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER()], secrets: [secret(ADMIN_SECRET, ADMIN_PW)] });
        expectOk(await runScript(f, params({ action: 'delete', bootstrapSecretId: undefined }), { shell: ['/bin/bash'] }), 'DELETED');
        expect(kms(f.state())).toBeUndefined();
        expect(admin(f.state())).toEqual(ADMIN());
    });

    test('absent -> ABSENT without reading any secret', async () => {
        const f = fixture({ secrets: [] });
        expectOk(await runScript(f, params({ action: 'delete', bootstrapSecretId: undefined })), 'ABSENT');
    });

    test('kmsuser owns keys -> KMSUSER_OWNS_KEYS, user kept', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER({ ownsKeys: true })] });
        expectFailure(await runScript(f, params({ action: 'delete' })), 'KMSUSER_OWNS_KEYS', /owns keys/);
        expect(kms(f.state())).toBeDefined();
    });

    test('kmsuser logged in -> KMSUSER_LOGGED_IN, user kept', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER({ loggedIn: true })] });
        expectFailure(await runScript(f, params({ action: 'delete' })), 'KMSUSER_LOGGED_IN');
        expect(kms(f.state())).toBeDefined();
    });
});

describe('missing tools', () => {
    test('no cloudhsm-cli -> CLI_MISSING', async () => {
        const f = fixture({ tools: ['aws'] });
        expectFailure(await runScript(f, params()), 'CLI_MISSING', /cloudhsm-cli.*not found/);
    });

    test('no aws -> AWS_CLI_MISSING', async () => {
        const f = fixture({ tools: ['cloudhsm-cli'] });
        expectFailure(await runScript(f, params({ action: 'delete' })), 'AWS_CLI_MISSING', /aws.*not found/);
    });
});

describe('secrets', () => {
    test('admin secret missing -> SECRET_UNREADABLE naming the secret, nothing created', async () => {
        const f = fixture({ secrets: [secret(BOOT_SECRET, BOOT_PW)] });
        const d = expectFailure(await runScript(f, params()), 'SECRET_UNREADABLE', /ResourceNotFoundException/);
        expect(d).toContain(`admin password secret '${ADMIN_SECRET}'`);
        expect(kms(f.state())).toBeUndefined();
    });

    test('admin secret is JSON without a password -> SECRET_UNREADABLE', async () => {
        const f = fixture({ secrets: [secret(ADMIN_SECRET, '{"username":"admin","pass":"x"}'), secret(BOOT_SECRET, BOOT_PW)] });
        expectFailure(await runScript(f, params()), 'SECRET_UNREADABLE', /JSON without a "password" key/);
        expect(admin(f.state()).failedLogins).toBe(0);
    });

    test.each([
        ['not valid JSON', '{"password": "abc",}', /not valid JSON/],
        ['a non-string password', '{"password": 12345678}', /not a string/],
        ['an empty password', '{"password": ""}', /empty/],
        ['no SecretString (binary secret)', undefined, /no SecretString/],
    ])('admin secret with %s -> SECRET_UNREADABLE', async (_n, value, re) => {
        const f = fixture({ secrets: [secret(ADMIN_SECRET, value), secret(BOOT_SECRET, BOOT_PW)] });
        expectFailure(await runScript(f, params()), 'SECRET_UNREADABLE', re);
        expect(admin(f.state()).failedLogins).toBe(0);
    });

    test('bootstrap secret marked for deletion -> SECRET_UNREADABLE', async () => {
        const f = fixture({ secrets: [secret(ADMIN_SECRET, ADMIN_PW), secret(BOOT_SECRET, BOOT_PW, true)] });
        const d = expectFailure(await runScript(f, params()), 'SECRET_UNREADABLE', /InvalidRequestException.*marked for deletion/);
        expect(d).toContain(`bootstrap password secret '${BOOT_SECRET}'`);
        expect(kms(f.state())).toBeUndefined();
    });
});

describe('admin login', () => {
    test('wrong admin password -> ADMIN_LOGIN_FAILED; five failures lock the admin, then even the right one fails', async () => {
        const wrong = fixture({ secrets: [secret(ADMIN_SECRET, 'WrongPassword1'), secret(BOOT_SECRET, BOOT_PW)] });
        for (let i = 1; i <= 5; i++) {
            expectFailure(await runScript(wrong, params()), 'ADMIN_LOGIN_FAILED', /admin login as 'admin' refused/);
            expect(admin(wrong.state())).toMatchObject({ failedLogins: i, locked: i >= 5 });
        }
        fs.writeFileSync(wrong.secretsFile, JSON.stringify({ secrets: DEFAULT_SECRETS() }));
        expectFailure(await runScript(wrong, params()), 'ADMIN_LOGIN_FAILED', /locked/);
        expect(kms(wrong.state())).toBeUndefined();
    });

    test('a successful login resets the failure counter', async () => {
        const f = fixture({ users: [ADMIN({ failedLogins: 3 })] });
        expectOk(await runScript(f, params()), 'CREATED');
        expect(admin(f.state()).failedLogins).toBe(0);
    });

    test('unknown admin username -> ADMIN_LOGIN_FAILED', async () => {
        const f = fixture();
        expectFailure(await runScript(f, params({ adminUsername: 'someone_else' })), 'ADMIN_LOGIN_FAILED');
    });
});

describe('unexpected output', () => {
    test('a multi-cluster configuration without this cluster -> UNEXPECTED_OUTPUT with both answers of the cli', async () => {
        const f = fixture({ clusterId: 'cluster-zzzzzzzzzz7', config: 'multi' });
        expectFailure(
            await runScript(f, params()),
            'UNEXPECTED_OUTPUT',
            /user list failed.*--cluster-id.*with --cluster-id cluster-abcdefghij2: .*cluster-abcdefghij2 is not configured/,
        );
    });

    test('quorum approval required -> UNEXPECTED_OUTPUT (not a login failure)', async () => {
        const f = fixture({ quorum: 2 });
        expectFailure(await runScript(f, params()), 'UNEXPECTED_OUTPUT', /[Qq]uorum approval required/);
        expect(kms(f.state())).toBeUndefined();
    });

    test('a cli that echoes the passwords: both are scrubbed (raw and JSON-escaped), detail capped at 500 bytes', async () => {
        const f = fixture({ tools: ['aws'] });
        // Test-only fake: `user list` is answered by the stand-in; anything else echoes the PIN and argv.
        const fake = path.join(f.bin, 'cloudhsm-cli');
        fs.writeFileSync(
            fake,
            [
                '#!/usr/bin/env node',
                `if (process.argv[3] === 'list') { require('child_process').execFileSync(${JSON.stringify(path.join(STANDINS, 'cloudhsm-cli'))}, process.argv.slice(2), { stdio: 'inherit' }); process.exit(0); }`,
                "const msg = 'weird failure: env ' + process.env.CLOUDHSM_PIN + ' argv ' + process.argv.slice(2).filter((a) => a !== '--password').join(' ') + ' ' + 'x'.repeat(2000);",
                "process.stdout.write(JSON.stringify({ error_code: 7, data: msg }) + '\\n');",
                "process.stderr.write('raw ' + process.env.CLOUDHSM_PIN + '\\n');",
                'process.exit(9);',
            ].join('\n'),
            { mode: 0o755 },
        );
        const r = await runScript(f, params(), { extraSecrets: [JSON.stringify(ADMIN_PW).slice(1, -1)] });
        const d = expectFailure(r, 'UNEXPECTED_OUTPUT', /user create failed \(exit 9, error_code 7\)/);
        expect(d).toContain('env admin:***');
        expect(d).toContain('crypto-user ***');
        expect(d.length).toBeLessThanOrEqual(500);
        expect(d.endsWith('...')).toBe(true);
    });

    test('tracing is off: sh -x shows no password', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER()] });
        const r = await runScript(f, params({ action: 'reset' }), { shell: ['/bin/sh', '-x'] });
        expect(parseKmsUserResult(r.stdout, r.stderr)).toEqual({ ok: true, outcome: 'RESET' });
        expect(r.stderr).toContain('set +x');
    });
});

describe('parameters', () => {
    test.each<[string, Partial<KmsUserScriptParams>]>([
        ['adminSecretId', { adminSecretId: "x'; rm -rf /" }],
        ['bootstrapSecretId', { bootstrapSecretId: 'a$(reboot)' }],
        ['bootstrapSecretId', { bootstrapSecretId: undefined }],
        ['clusterId', { clusterId: 'cluster-abc' }],
        ['clusterId', { clusterId: "cluster-abcdefghij2'" }],
        ['region', { region: 'us-east-1; id' }],
        ['adminUsername', { adminUsername: 'admin user' }],
        ['adminUsername', { adminUsername: 'a'.repeat(32) }],
        ['adminSecretId', { adminSecretId: 'arn:aws:secretsmanager:us-east-1:1234:secret:x' }],
        ['action', { action: 'drop' as never }],
        ['adopt', { adopt: 'yes' as never }],
    ])('rejects a bad %s and never echoes the value', (name, over) => {
        let err: unknown;
        try {
            buildKmsUserCommands(params(over));
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(Error);
        const msg = (err as Error).message;
        expect(msg).toContain(name);
        for (const v of Object.values(over)) if (typeof v === 'string') expect(msg).not.toContain(v);
    });

    test('accepts names and ARNs; values appear only single-quoted', () => {
        const lines = buildKmsUserCommands(
            params({ adminSecretId: arnOf('a/b_c+d=e.f@g-h'), bootstrapSecretId: 'x', adminUsername: 'Admin_1', region: 'us-gov-west-1' }),
        );
        const text = lines.join('\n');
        expect(text).toContain(`K_ADMIN_SECRET='${arnOf('a/b_c+d=e.f@g-h')}'`);
        expect(text).toContain(`K_CLUSTER='${CLUSTER}'`);
        expect(text).toContain("K_ADMIN_USER='Admin_1'");
        expect(text).toContain("K_REGION='us-gov-west-1'");
        expect(lines.every((l) => !l.includes('\r'))).toBe(true);
        expect(text).not.toMatch(/set -e\b/);
        expect(text).not.toMatch(/set -x\b/);
        expect(lines.slice(0, 4)).toContain('set +x');
        // SSM resolves {{ssm:...}} / {{resolve:...}} references in command parameters: none may appear.
        expect(text).not.toContain('{{');
        expect(Buffer.byteLength(text)).toBeLessThan(24 * 1024);
    });

    test('delete needs no bootstrap secret', () => {
        expect(() => buildKmsUserCommands(params({ action: 'delete', bootstrapSecretId: undefined }))).not.toThrow();
    });
});

describe('stand-ins', () => {
    const env = (f: Fixture, extra: NodeJS.ProcessEnv = {}) => ({
        PATH: '/usr/bin:/bin',
        SIM_HSM_STATE: f.stateFile,
        SIM_SECRETS_FILE: f.secretsFile,
        ...extra,
    });
    const aws = (f: Fixture, ...args: string[]) => exec(path.join(STANDINS, 'aws'), args, env(f), f.dir);
    const cli = (f: Fixture, args: string[], extra: NodeJS.ProcessEnv = {}) => exec(path.join(STANDINS, 'cloudhsm-cli'), args, env(f, extra), f.dir);
    const asAdmin = { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: `admin:${ADMIN_PW}` };

    test('aws get-secret-value: json output, text query, not found, deleted, other region, usage', async () => {
        const f = fixture({ secrets: [secret('n', 'v1'), secret('gone', 'v2', true)] });
        const json = await aws(f, 'secretsmanager', 'get-secret-value', '--secret-id', 'n');
        expect(json.code).toBe(0);
        expect(JSON.parse(json.stdout)).toMatchObject({ ARN: arnOf('n'), Name: 'n', SecretString: 'v1', VersionStages: ['AWSCURRENT'] });
        const text = await aws(
            f,
            'secretsmanager',
            'get-secret-value',
            '--region',
            REGION,
            '--secret-id',
            arnOf('n'),
            '--query',
            'SecretString',
            '--output',
            'text',
        );
        expect(text).toEqual({ code: 0, stdout: 'v1\n', stderr: '' });
        const missing = await aws(f, 'secretsmanager', 'get-secret-value', '--secret-id', 'nope');
        expect(missing.code).toBe(254);
        expect(missing.stderr).toContain(
            "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.",
        );
        const deleted = await aws(f, 'secretsmanager', 'get-secret-value', '--secret-id', 'gone');
        expect(deleted.code).toBe(254);
        expect(deleted.stderr).toContain(
            "(InvalidRequestException) when calling the GetSecretValue operation: You can't perform this operation on the secret because it was marked for deletion.",
        );
        const otherRegion = await aws(f, 'secretsmanager', 'get-secret-value', '--region', 'eu-west-1', '--secret-id', arnOf('n'));
        expect(otherRegion.code).toBe(254);
        expect((await aws(f, 'secretsmanager', 'list-secrets')).code).toBe(252);
        expect((await aws(f, 'secretsmanager', 'get-secret-value', '--secret-id', 'n', '--bogus', 'x')).code).toBe(252);
    });

    test('cloudhsm-cli: list shape, create rules, change-password unlocks, quorum, never prints a password', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER({ locked: true, failedLogins: 5 })] });
        const multi = { SIM_CLI_CONFIG: 'multi' };
        const list = await cli(f, ['user', 'list', '--cluster-id', CLUSTER], multi);
        expect(list.code).toBe(0);
        expect(JSON.parse(list.stdout)).toEqual({
            error_code: 0,
            data: {
                users: [
                    { username: 'admin', role: 'admin', locked: 'false', mfa: [], 'cluster-coverage': 'full' },
                    { username: 'kmsuser', role: 'crypto-user', locked: 'true', mfa: [], 'cluster-coverage': 'full' },
                ],
            },
        });
        const wrongCluster = await cli(f, ['user', 'list', '--cluster-id', 'cluster-zzzzzzzzzz7'], multi);
        expect(wrongCluster.code).toBe(1);
        expect(JSON.parse(wrongCluster.stdout).error_code).toBe(1);
        // single-cluster configuration (the default): no cluster ids, so --cluster-id is refused; multi: required
        expect((await cli(f, ['user', 'list'])).code).toBe(0);
        expect(JSON.parse((await cli(f, ['user', 'list', '--cluster-id', CLUSTER])).stdout).data).toMatch(/one cluster and no cluster ids/);
        expect(JSON.parse((await cli(f, ['user', 'list'], multi)).stdout).data).toMatch(/choose one with --cluster-id/);

        const noLogin = await cli(f, ['user', 'create', '--username', 'bob', '--role', 'crypto-user', '--password', 'BobPassw0rd']);
        expect(noLogin.code).toBe(1);
        const short = await cli(f, ['user', 'create', '--username', 'bob', '--role', 'crypto-user', '--password', 'Qx1'], asAdmin);
        expect(JSON.parse(short.stdout)).toEqual({ error_code: 1, data: expect.stringMatching(/7 to 32/) });
        const created = await cli(f, ['user', 'create', '--username', 'BOB', '--role', 'crypto-user', '--password', 'BobPassw0rd'], asAdmin);
        expect(created).toMatchObject({ code: 0 });
        expect(JSON.parse(created.stdout)).toEqual({ error_code: 0, data: { username: 'bob', role: 'crypto-user' } });
        const again = await cli(f, ['user', 'create', '--username', 'bob', '--role', 'admin', '--password', 'BobPassw0rd'], asAdmin);
        expect(again.code).toBe(1);
        const unlock = await cli(f, ['user', 'change-password', '--username', 'kmsuser', '--role', 'crypto-user', '--password', 'NewPassw0rd'], asAdmin);
        expect(unlock.code).toBe(0);
        expect(kms(f.state())).toMatchObject({ password: 'NewPassw0rd', locked: false, failedLogins: 0 });
        const badRole = await cli(f, ['user', 'delete', '--username', 'bob', '--role', 'officer'], asAdmin);
        expect(badRole.code).toBe(2);

        const q = fixture({ quorum: 2 });
        const noApproval = await cli(q, ['user', 'create', '--username', 'bob', '--role', 'crypto-user', '--password', 'BobPassw0rd'], asAdmin);
        expect(noApproval.code).toBe(1);
        const approved = await cli(
            q,
            ['user', 'create', '--username', 'bob', '--role', 'crypto-user', '--password', 'BobPassw0rd', '--approval', '/tmp/token'],
            asAdmin,
        );
        expect(approved.code).toBe(0);

        for (const r of [list, wrongCluster, noLogin, short, created, again, unlock, badRole, noApproval, approved]) {
            for (const s of [ADMIN_PW, 'BobPassw0rd', 'NewPassw0rd', 'OldKmsPassw0rd', 'Qx1']) {
                expect(r.stdout + r.stderr).not.toContain(s);
            }
        }
        // Written atomically: no temp files left beside the state file.
        expect(fs.readdirSync(f.dir).filter((n) => n.includes('.tmp'))).toEqual([]);
    });
});

describe('real client instances (one cluster configured, or several)', () => {
    const DASH = ['/bin/dash'];
    const both = [['single'], ['multi']] as const;

    test('/bin/dash is there to run the script (Debian and Ubuntu have it; the SSM agent runs sh -c)', () => {
        expect(fs.existsSync('/bin/dash')).toBe(true);
    });

    test.each(both)('%s-cluster configuration, under dash: check, create, reset and delete all work', async (config) => {
        const f = fixture({ config });
        expectOk(await runScript(f, params({ action: 'check' }), { shell: DASH }), 'CHECKED');
        expect(kms(f.state())).toBeUndefined();
        expectOk(await runScript(f, params(), { shell: DASH }), 'CREATED');
        expectOk(await runScript(f, params({ action: 'reset' }), { shell: DASH }), 'RESET');
        expectOk(await runScript(f, params({ action: 'delete', bootstrapSecretId: undefined }), { shell: DASH }), 'DELETED');
        expect(kms(f.state())).toBeUndefined();
        expect(admin(f.state()).failedLogins).toBe(0);
    });

    test('cloudhsm-cli only at the Client SDK location (not on the agent PATH): found there, under dash', async () => {
        const f = fixture({ tools: ['aws'] });
        const optBin = path.join(f.dir, 'opt', 'cloudhsm', 'bin');
        fs.mkdirSync(optBin, { recursive: true });
        fs.symlinkSync(path.join(STANDINS, 'cloudhsm-cli'), path.join(optBin, 'cloudhsm-cli'));
        const fallback = path.join(optBin, 'cloudhsm-cli');
        expectOk(await runScript(f, params(), { shell: DASH, cliFallback: fallback }), 'CREATED');
        expect(kms(f.state())?.password).toBe(BOOT_PW);
        // and without it there either: CLI_MISSING naming both places
        const g = fixture({ tools: ['aws'] });
        expectFailure(
            await runScript(g, params(), { shell: DASH, cliFallback: path.join(g.dir, 'nowhere', 'cloudhsm-cli') }),
            'CLI_MISSING',
            /not found on PATH .* nor at .*nowhere/,
        );
    });

    test('the shipped script looks in /opt/cloudhsm/bin', () => {
        expect(buildKmsUserCommands(params()).join('\n')).toContain(`K_CLI_FALLBACK='/opt/cloudhsm/bin/cloudhsm-cli'`);
    });

    /** Every printable ASCII character (space to ~) and a newline inside. */
    const HOSTILE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\nline2';

    test.each([
        ['JSON {"password": ...}', JSON.stringify({ password: HOSTILE })],
        ['plain string', HOSTILE],
    ])('an admin password with every printable ASCII character and a newline (%s), under dash and bash', async (_form, value) => {
        for (const shell of [DASH, ['/bin/bash']]) {
            const f = fixture({ users: [user('admin', 'admin', HOSTILE)], secrets: [secret(ADMIN_SECRET, value), secret(BOOT_SECRET, BOOT_PW)] });
            expectOk(await runScript(f, params({ action: 'check' }), { shell, extraSecrets: [HOSTILE, 'line2'] }), 'CHECKED');
            expectOk(await runScript(f, params(), { shell, extraSecrets: [HOSTILE, 'line2'] }), 'CREATED');
            expect(kms(f.state())?.password).toBe(BOOT_PW);
            expect(admin(f.state()).failedLogins).toBe(0);
        }
    });

    test('check: an existing kmsuser without AdoptExistingKmsUser fails KMSUSER_EXISTS; an unusable admin secret fails SECRET_UNREADABLE; nothing logs in', async () => {
        const f = fixture({ users: [ADMIN(), KMSUSER()] });
        expectFailure(await runScript(f, params({ action: 'check' }), { shell: DASH }), 'KMSUSER_EXISTS', /AdoptExistingKmsUser is false/);
        expectOk(await runScript(f, params({ action: 'check', adopt: true }), { shell: DASH }), 'CHECKED');
        for (const bad of ['', '{not json}', '{"user": "admin"}', '{"password": ""}', '{"password": 12}']) {
            const g = fixture({ secrets: [secret(ADMIN_SECRET, bad), secret(BOOT_SECRET, BOOT_PW)] });
            expectFailure(await runScript(g, params({ action: 'check' }), { shell: DASH }), 'SECRET_UNREADABLE', /admin password secret/);
            expect(admin(g.state()).failedLogins).toBe(0);
        }
    });
});
