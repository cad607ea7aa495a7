import { describeKmsUserFailure, KMSUSER_DETAIL_MAX, KMSUSER_FAILURES, KMSUSER_OUTCOMES, KmsUserFailure, parseKmsUserResult } from '../src/kmsuser/result';
import { buildKmsUserCommands } from '../src/kmsuser/script';

const FAILURES = Object.keys(KMSUSER_FAILURES) as KmsUserFailure[];
// The string values of the library's HandlerErrorCode enum (see interface.d.ts of the 1.0.6 lib).
const HANDLER_ERROR_CODES = [
    'NotUpdatable',
    'InvalidRequest',
    'AccessDenied',
    'InvalidCredentials',
    'AlreadyExists',
    'NotFound',
    'ResourceConflict',
    'Throttling',
    'ServiceLimitExceeded',
    'NotStabilized',
    'GeneralServiceException',
    'ServiceInternalError',
    'NetworkFailure',
    'InternalFailure',
    'InvalidTypeConfiguration',
];

describe('parseKmsUserResult', () => {
    test.each(KMSUSER_OUTCOMES.map((o) => [o]))('success marker %s', (o) => {
        expect(parseKmsUserResult(`KMSUSER_RESULT=${o}\n`, '')).toEqual({ ok: true, outcome: o });
    });

    test.each(FAILURES.map((f) => [f]))('failure marker %s with its detail', (f) => {
        expect(parseKmsUserResult(`noise\nKMSUSER_DETAIL=because ${f}\nKMSUSER_RESULT=${f}\n`, 'warn')).toEqual({
            ok: false,
            failure: f,
            detail: `because ${f}`,
        });
    });

    test('the last KMSUSER_RESULT line wins, with the detail printed before it', () => {
        const out = 'KMSUSER_DETAIL=first\nKMSUSER_RESULT=KMSUSER_EXISTS\nKMSUSER_DETAIL=second\nKMSUSER_RESULT=KMSUSER_LOGGED_IN\n';
        expect(parseKmsUserResult(out, '')).toEqual({ ok: false, failure: 'KMSUSER_LOGGED_IN', detail: 'second' });
        expect(parseKmsUserResult('KMSUSER_RESULT=KMSUSER_EXISTS\nKMSUSER_RESULT=CREATED\n', '')).toEqual({ ok: true, outcome: 'CREATED' });
        expect(parseKmsUserResult('KMSUSER_RESULT=CREATED\nKMSUSER_RESULT=ADMIN_LOGIN_FAILED', '')).toEqual({
            ok: false,
            failure: 'ADMIN_LOGIN_FAILED',
            detail: 'no detail',
        });
    });

    test('a detail of an earlier result is not carried over', () => {
        const out = 'KMSUSER_DETAIL=old\nKMSUSER_RESULT=KMSUSER_EXISTS\nKMSUSER_RESULT=KMSUSER_OWNS_KEYS\n';
        expect(parseKmsUserResult(out, '')).toEqual({ ok: false, failure: 'KMSUSER_OWNS_KEYS', detail: 'no detail' });
    });

    test('CRLF line ends and trailing blanks are tolerated', () => {
        expect(parseKmsUserResult('KMSUSER_RESULT=RESET \r\n', '')).toEqual({ ok: true, outcome: 'RESET' });
        expect(parseKmsUserResult('KMSUSER_DETAIL=x y\r\nKMSUSER_RESULT=CLI_MISSING\r\n', '')).toEqual({
            ok: false,
            failure: 'CLI_MISSING',
            detail: 'x y',
        });
    });

    test('a marker not at the start of a line does not count', () => {
        const r = parseKmsUserResult('echo KMSUSER_RESULT=CREATED\n', '');
        expect(r).toMatchObject({ ok: false, failure: 'UNEXPECTED_OUTPUT' });
    });

    test('no marker -> UNEXPECTED_OUTPUT with an excerpt of stdout and stderr', () => {
        const r = parseKmsUserResult('something went wrong\n', 'sh: 12: syntax error\n');
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.failure).toBe('UNEXPECTED_OUTPUT');
        expect(r.detail).toContain('no KMSUSER_RESULT');
        expect(r.detail).toContain('something went wrong');
        expect(r.detail).toContain('syntax error');
        expect(parseKmsUserResult('', '')).toMatchObject({ ok: false, failure: 'UNEXPECTED_OUTPUT', detail: expect.stringContaining('no output') });
    });

    test('unknown marker -> UNEXPECTED_OUTPUT naming it', () => {
        const r = parseKmsUserResult('KMSUSER_RESULT=EXPLODED\n', '');
        expect(r).toMatchObject({ ok: false, failure: 'UNEXPECTED_OUTPUT', detail: expect.stringContaining('"EXPLODED"') });
    });

    test('truncated output (SSM keeps the first 24,000 characters) -> short UNEXPECTED_OUTPUT', () => {
        const out = ('x'.repeat(99) + '\n').repeat(240) + 'KMSUSER_RES';
        expect(out.length).toBeGreaterThanOrEqual(24000);
        const r = parseKmsUserResult(out, 'e'.repeat(8000));
        expect(r).toMatchObject({ ok: false, failure: 'UNEXPECTED_OUTPUT' });
        if (r.ok) return;
        expect(r.detail).toContain('truncated');
        expect(r.detail.length).toBeLessThanOrEqual(KMSUSER_DETAIL_MAX);
        expect(r.detail).not.toMatch(/[\r\n]/);
    });

    test('details are single line and at most 500 characters', () => {
        const long = 'é'.repeat(2000) + '\t\u0007';
        const r = parseKmsUserResult(`KMSUSER_DETAIL=${long}\nKMSUSER_RESULT=UNEXPECTED_OUTPUT\n`, '');
        if (r.ok) throw new Error('expected a failure');
        expect(Array.from(r.detail).length).toBeLessThanOrEqual(500);
        expect(r.detail.endsWith('...')).toBe(true);
        // eslint-disable-next-line no-control-regex -- the test looks for control characters
        expect(r.detail).not.toMatch(/[\u0000-\u001f]/);
    });

    test('UNEXPECTED_OUTPUT without a detail line gets an excerpt', () => {
        const r = parseKmsUserResult('partial\nKMSUSER_RESULT=UNEXPECTED_OUTPUT\n', 'boom');
        expect(r).toMatchObject({ ok: false, failure: 'UNEXPECTED_OUTPUT', detail: expect.stringContaining('boom') });
    });

    test('non-string input (missing SSM fields) does not throw', () => {
        expect(parseKmsUserResult(undefined as unknown as string, null as unknown as string)).toMatchObject({
            ok: false,
            failure: 'UNEXPECTED_OUTPUT',
        });
    });
});

describe('KMSUSER_FAILURES and describeKmsUserFailure', () => {
    test('every failure has a HandlerErrorCode value and a remedy', () => {
        expect(FAILURES.sort()).toEqual(
            [
                'ADMIN_LOGIN_FAILED',
                'AWS_CLI_MISSING',
                'CLI_MISSING',
                'KMSUSER_EXISTS',
                'KMSUSER_LOGGED_IN',
                'KMSUSER_MFA',
                'KMSUSER_OWNS_KEYS',
                'KMSUSER_PARTIAL',
                'SECRET_UNREADABLE',
                'TIMED_OUT',
                'UNEXPECTED_OUTPUT',
            ].sort(),
        );
        for (const f of FAILURES) {
            expect(HANDLER_ERROR_CODES).toContain(KMSUSER_FAILURES[f].code);
            expect(KMSUSER_FAILURES[f].remedy.length).toBeGreaterThan(40);
        }
        expect(KMSUSER_FAILURES.KMSUSER_EXISTS.code).toBe('AlreadyExists');
        expect(KMSUSER_FAILURES.KMSUSER_LOGGED_IN.code).toBe('ResourceConflict');
        expect(KMSUSER_FAILURES.KMSUSER_OWNS_KEYS.code).toBe('ResourceConflict');
        expect(KMSUSER_FAILURES.UNEXPECTED_OUTPUT.code).toBe('GeneralServiceException');
    });

    test.each<[KmsUserFailure, RegExp[]]>([
        ['CLI_MISSING', [/install/i, /cloudhsm-cli/, /Client SDK 5/]],
        ['AWS_CLI_MISSING', [/AWS CLI/]],
        ['SECRET_UNREADABLE', [/secretsmanager:GetSecretValue/, /"password"/]],
        ['ADMIN_LOGIN_FAILED', [/CloudHsmAdminUsername/, /CloudHsmAdminPasswordSecretName/, /5 consecutive failures/, /locked/]],
        ['KMSUSER_EXISTS', [/AdoptExistingKmsUser/, /user delete --username kmsuser/]],
        ['KMSUSER_OWNS_KEYS', [/owns keys/]],
        ['KMSUSER_LOGGED_IN', [/Disconnect/, /DISCONNECTED/]],
        ['UNEXPECTED_OUTPUT', [/quorum/, /user list/]],
    ])('%s: names the instance, the remedy and the detail', (failure, res) => {
        const d = describeKmsUserFailure({ failure, detail: 'the detail text' }, 'i-0123456789abcdef0');
        expect(d.code).toBe(KMSUSER_FAILURES[failure].code);
        expect(d.message).toContain('i-0123456789abcdef0');
        expect(d.message).toContain(failure);
        expect(d.message).toContain('Detail: the detail text');
        for (const re of res) expect(d.message).toMatch(re);
    });

    test('an access-denied secret read maps to AccessDenied', () => {
        const d = describeKmsUserFailure(
            {
                failure: 'SECRET_UNREADABLE',
                detail: "admin password secret 'x' could not be read (aws exit 254): An error occurred (AccessDeniedException) ...",
            },
            'i-1',
        );
        expect(d.code).toBe('AccessDenied');
    });

    test('the parser output feeds describeKmsUserFailure', () => {
        const r = parseKmsUserResult('KMSUSER_DETAIL=kmsuser exists\nKMSUSER_RESULT=KMSUSER_EXISTS\n', '');
        if (r.ok) throw new Error('expected a failure');
        expect(describeKmsUserFailure(r, 'mi-0123456789abcdef0')).toMatchObject({
            code: 'AlreadyExists',
            message: expect.stringContaining('mi-0123456789abcdef0'),
        });
    });
});

describe('script and parser agree on the markers', () => {
    const text = ['create', 'reset', 'delete']
        .map((action) =>
            buildKmsUserCommands({
                action: action as 'create',
                adopt: true,
                clusterId: 'cluster-abcdefghij2',
                region: 'us-east-1',
                adminUsername: 'admin',
                adminSecretId: 'a',
                bootstrapSecretId: 'b',
            })
                .filter((line) => !/^\s*#/.test(line)) // comments
                .join('\n'),
        )
        .join('\n');

    test('every code the script can print is known to the parser, and every known code is printed', () => {
        const printed = new Set<string>();
        for (const m of text.matchAll(/k_finish ([A-Z_]+) (\d+)/g)) printed.add(m[1]);
        for (const m of text.matchAll(/k_change_password ([A-Z_]+)/g)) printed.add(m[1]);
        printed.add('UNEXPECTED_OUTPUT'); // via k_unexpected
        expect([...printed].sort()).toEqual([...KMSUSER_OUTCOMES, ...FAILURES].sort());
    });

    test('success codes exit 0, failures non-zero', () => {
        for (const m of text.matchAll(/k_finish ([A-Z_]+) (\d+)/g)) {
            const success = (KMSUSER_OUTCOMES as readonly string[]).includes(m[1]);
            expect({ code: m[1], zero: m[2] === '0' }).toEqual({ code: m[1], zero: success });
        }
    });
});
