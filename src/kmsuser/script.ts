/**
 * The shell script that creates / adopts / resets / deletes the CloudHSM crypto user `kmsuser` on the
 * client instance, sent with SSM Run Command (document `AWS-RunShellScript`, parameter `commands`).
 *
 * Shell dialect: **POSIX sh throughout** (no heredoc-to-bash wrapper). The SSM agent writes `commands`
 * joined with "\n" to a file and runs it with `sh` (dash on Debian/Ubuntu, bash on Amazon Linux / RHEL);
 * the local simulator runs it with bash. No bashisms: no `local`, no `${v//a/b}`, no arrays, no `[[`.
 * JSON is parsed with a small awk program (awk is present on every supported Linux; jq and python3 are
 * not guaranteed), written for POSIX awk and tested with mawk; it runs under LC_ALL=C (byte semantics).
 *
 * Secrets (DESIGN.md section 4):
 * - The script text holds only validated ids, each single-quoted. Passwords are read on the instance
 *   with `aws secretsmanager get-secret-value` into shell variables (never exported, never written to a
 *   file), and handed to `cloudhsm-cli` only for the one invocation that needs them: the admin PIN as
 *   `CLOUDHSM_PIN=<user>:<password>` / `CLOUDHSM_ROLE=admin` prefix assignments (that process's env only),
 *   the bootstrap password as `--password` (the only non-interactive way cloudhsm-cli takes it; it is
 *   short-lived: KMS rotates it at the first connect).
 * - `set +x` (no tracing), `set -u`, no `set -e` (every status is checked explicitly).
 * - Secret values pass between processes only through pipes fed by the `printf` builtin.
 * - Anything the CLIs print is scrubbed of both passwords (raw and JSON-escaped forms -> `***`) before
 *   it becomes the KMSUSER_DETAIL line.
 *
 * Output protocol (parsed by ./result.ts): stdout holds at most one `KMSUSER_DETAIL=<one line, <= 500
 * bytes, no secrets>` line (failures only) followed by exactly one final `KMSUSER_RESULT=<CODE>` line.
 * Success codes (exit 0): CHECKED (action check: nothing changed) CREATED ADOPTED RESET DELETED ABSENT.
 * Failure codes (exit status): CLI_MISSING (10) AWS_CLI_MISSING (11) SECRET_UNREADABLE (12)
 * ADMIN_LOGIN_FAILED (13) KMSUSER_EXISTS (14) KMSUSER_OWNS_KEYS (15) KMSUSER_LOGGED_IN (16)
 * UNEXPECTED_OUTPUT (17) KMSUSER_MFA (18) KMSUSER_PARTIAL (19) TIMED_OUT (20).
 *
 * A kmsuser KMS can use (checked before an adoption or a reset, and by the create's preflight when it may adopt):
 * a crypto user, without MFA ("Do not specify the 2FA option when you create the kmsuser CU. If you do, AWS KMS
 * cannot log in", KMS developer guide), on every HSM of the cluster (`user list` "cluster-coverage" "full"; a user
 * on a subset of the HSMs shows "inconsistent", CloudHSM user guide, "Client SDK 5 user contains inconsistent
 * values", and KMS's connect then fails USER_NOT_FOUND). An existing kmsuser that is not usable is left untouched.
 *
 * cloudhsm-cli failure output is undocumented (the AWS CloudHSM user guide's cloudhsm_cli-user-* pages show only
 * success output, `{"error_code":0,"data":...}`). Assumptions:
 * - Success is exit status 0 AND a JSON object on stdout whose `error_code` is 0. Anything else is a
 *   failure. Whether kmsuser exists is decided from `user list` JSON (`data.users[].username`, lower case),
 *   never from message text.
 * - A failure is assumed to print `{"error_code": <non-zero>, "data": "<message>"}` and exit non-zero.
 *   To tell failures apart the script classifies the (scrubbed) stdout+stderr text, case-insensitively,
 *   in this order: /not logged in/ -> ADMIN_LOGIN_FAILED; /logged in/ -> KMSUSER_LOGGED_IN;
 *   /owns|owned|owner ... key/ -> KMSUSER_OWNS_KEYS; /already exists/ (create only) -> KMSUSER_EXISTS;
 *   quorum/approval or password-length wording -> UNEXPECTED_OUTPUT; /login|log in|authenticat|credential|
 *   pin|password|locked/ -> ADMIN_LOGIN_FAILED; anything else -> UNEXPECTED_OUTPUT with the output as detail.
 * - `--cluster-id` is passed only when `user list` fails without it and works with it (a multi-cluster
 *   configuration: the option is "Required: If multiple clusters have been configured", AWS CloudHSM user guide,
 *   cloudhsm_cli-user-create and cloudhsm_cli-configs-multi-cluster); stdin is /dev/null so a prompt cannot hang.
 *
 * Time: each cloudhsm-cli call is wrapped in `timeout KMSUSER_CLI_TIMEOUT_SECONDS` and each aws call in `timeout
 * KMSUSER_AWS_TIMEOUT_SECONDS` when `timeout` exists; a call stopped so (exit 124) ends the script with TIMED_OUT
 * and a detail naming the call. The script makes at most two `user list` calls, two `aws` calls and one mutating
 * cloudhsm-cli call, so it ends within KMSUSER_SCRIPT_MAX_SECONDS, which the handler's SSM executionTimeout
 * exceeds: SSM stops a script (SIGKILL to its process group, amazon-ssm-agent agent/executers) only when
 * `timeout` is missing on the instance, and the handler then says that SSM stopped it.
 *
 * The text never contains `{{` (SSM would try to resolve it as a parameter reference).
 */

export type KmsUserAction = 'check' | 'create' | 'reset' | 'delete';

/** The script's limit on one cloudhsm-cli call (single command mode connects to every HSM and logs in each time). */
export const KMSUSER_CLI_TIMEOUT_SECONDS = 120;
/** The script's limit on one `aws secretsmanager get-secret-value` call. */
export const KMSUSER_AWS_TIMEOUT_SECONDS = 60;
/**
 * The longest the script can run with its per-call limits: at most two `user list` probes, two secret reads and one
 * mutating cloudhsm-cli call (create or reset: list, list, admin secret, bootstrap secret, user create or
 * change-password), plus a few seconds of its own (awk, mktemp). The handler's SSM executionTimeout must exceed it.
 */
export const KMSUSER_SCRIPT_MAX_SECONDS = 3 * KMSUSER_CLI_TIMEOUT_SECONDS + 2 * KMSUSER_AWS_TIMEOUT_SECONDS + 10;

export interface KmsUserScriptParams {
    action: KmsUserAction;
    /** create only: an existing kmsuser is adopted (password reset to the bootstrap one) instead of failing */
    adopt: boolean;
    clusterId: string;
    region: string;
    adminUsername: string;
    adminSecretId: string;
    /** required for create/reset */
    bootstrapSecretId?: string;
}

/** Where Client SDK 5 installs cloudhsm-cli; the agent's PATH often lacks /opt/cloudhsm/bin. */
export const CLI_FALLBACK = '/opt/cloudhsm/bin/cloudhsm-cli';

export const CLUSTER_ID_RE = /^cluster-[2-7a-zA-Z]{11,16}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const ADMIN_USERNAME_RE = /^[A-Za-z0-9_]{1,31}$/;
export const INSTANCE_ID_RE = /^(i-([0-9a-f]{8}|[0-9a-f]{17})|mi-[0-9a-f]{17})$/;
export const SECRET_ID_RE = /^([A-Za-z0-9/_+=.@-]{1,512}|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512})$/;

/** Single-quote for sh. Validated values never contain a quote; this is defence in depth. */
function sq(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

function check(name: string, value: unknown, re: RegExp): string {
    if (typeof value !== 'string' || !re.test(value)) {
        // Name only: a value that fails validation is never echoed.
        throw new Error(`kmsuser script: invalid parameter ${name}`);
    }
    return value;
}

/**
 * awk: minimal JSON reader (RFC 8259 subset that matters here; strings are decoded, \u escapes become
 * UTF-8). Modes:
 *  -v m=secret : input is a secret value. Not starting with `{` -> exit 5 (plain password). Starting with
 *                `{` (after blanks) but not valid JSON -> exit 3; no `password` key -> 2; not a string -> 4; empty -> 6; else prints
 *                the decoded password (no newline) and exits 0.
 *  -v m=data : input is cloudhsm-cli stdout; prints its `data` when that is a string (exit 0), else exit 1.
 *  -v m=cli -v want=kmsuser : input is cloudhsm-cli stdout; parses from the first `{`; prints lines
 *                JSON=ok|bad|none, EC=<error_code> (0 when numerically zero), USERS=<n> for data.users,
 *                FOUND=<role> for each user whose lower-cased username equals `want`, each followed by
 *                MFA=<number of entries in its "mfa" list (0 when absent)> and COVERAGE=<its "cluster-coverage",
 *                empty when absent (older CLI versions)>.
 * Must not contain a single quote (it is embedded single-quoted).
 */
const AWK_JSON = String.raw`function fail(w) { if (!BAD) BADW = w; BAD = 1 }
function skipws(  c) {
  while (P <= N) { c = substr(S, P, 1); if (c == " " || c == "\t" || c == "\n" || c == "\r") P++; else return }
}
function hexv(h,  i, d, v) {
  if (length(h) < 4) return -1
  v = 0
  for (i = 1; i <= 4; i++) { d = index("0123456789abcdef", tolower(substr(h, i, 1))) - 1; if (d < 0) return -1; v = v * 16 + d }
  return v
}
function utf8(cp) {
  if (cp < 128) return sprintf("%c", cp)
  if (cp < 2048) return sprintf("%c%c", 192 + int(cp / 64), 128 + cp % 64)
  if (cp < 65536) return sprintf("%c%c%c", 224 + int(cp / 4096), 128 + int(cp / 64) % 64, 128 + cp % 64)
  return sprintf("%c%c%c%c", 240 + int(cp / 262144), 128 + int(cp / 4096) % 64, 128 + int(cp / 64) % 64, 128 + cp % 64)
}
function pstr(  out, c, e, cp, lo) {
  P++; out = ""
  while (P <= N) {
    c = substr(S, P, 1)
    if (c == "\"") { P++; return out }
    if (c != "\\") { out = out c; P++; continue }
    e = substr(S, P + 1, 1); P += 2
    if (e == "\"" || e == "\\" || e == "/") out = out e
    else if (e == "b") out = out "\b"
    else if (e == "f") out = out "\f"
    else if (e == "n") out = out "\n"
    else if (e == "r") out = out "\r"
    else if (e == "t") out = out "\t"
    else if (e == "u") {
      cp = hexv(substr(S, P, 4)); if (cp < 0) { fail("bad unicode escape"); return "" }
      P += 4
      if (cp >= 55296 && cp < 56320 && substr(S, P, 2) == "\\u") {
        lo = hexv(substr(S, P + 2, 4))
        if (lo >= 56320 && lo < 57344) { cp = 65536 + (cp - 55296) * 1024 + (lo - 56320); P += 6 }
      }
      if (cp == 0) { fail("NUL in string"); return "" }
      out = out utf8(cp)
    } else { fail("bad escape"); return "" }
  }
  fail("unterminated string"); return ""
}
function pnum(path,  st, c) {
  st = P
  while (P <= N) { c = substr(S, P, 1); if (index("0123456789+-.eE", c) > 0) P++; else break }
  T[path] = "n"; V[path] = substr(S, st, P - st)
  if (V[path] !~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) fail("bad number")
}
function pobj(path,  k, c) {
  T[path] = "o"; P++; skipws()
  if (substr(S, P, 1) == "}") { P++; return }
  while (!BAD) {
    skipws()
    if (substr(S, P, 1) != "\"") { fail("expected a key"); return }
    k = pstr(); if (BAD) return
    skipws(); if (substr(S, P, 1) != ":") { fail("expected a colon"); return }
    P++
    pval(path SUBSEP k); if (BAD) return
    skipws(); c = substr(S, P, 1); P++
    if (c == "}") return
    if (c != ",") { fail("expected a comma"); return }
  }
}
function parr(path,  i, c) {
  T[path] = "a"; P++; skipws(); i = 0; L[path] = 0
  if (substr(S, P, 1) == "]") { P++; return }
  while (!BAD) {
    pval(path SUBSEP i); i++; L[path] = i; if (BAD) return
    skipws(); c = substr(S, P, 1); P++
    if (c == "]") return
    if (c != ",") { fail("expected a comma"); return }
  }
}
function pval(path,  c) {
  skipws(); if (P > N) { fail("unexpected end"); return }
  c = substr(S, P, 1)
  if (c == "{") pobj(path)
  else if (c == "[") parr(path)
  else if (c == "\"") { T[path] = "s"; V[path] = pstr() }
  else if (c == "-" || index("0123456789", c) > 0) pnum(path)
  else if (substr(S, P, 4) == "true") { T[path] = "b"; V[path] = "true"; P += 4 }
  else if (substr(S, P, 5) == "false") { T[path] = "b"; V[path] = "false"; P += 5 }
  else if (substr(S, P, 4) == "null") { T[path] = "z"; V[path] = ""; P += 4 }
  else fail("unexpected character")
}
function clean(s) { gsub(/[^ -~]/, "?", s); return s }
{ S = S $0 "\n" }
END {
  BAD = 0
  if (m == "secret") {
    t = S
    sub(/^[ \t\r\n]+/, "", t); sub(/[ \t\r\n]+$/, "", t)
    if (substr(t, 1, 1) != "{") exit 5
    S = t; N = length(S); P = 1
    pval("r"); if (!BAD) { skipws(); if (P <= N) fail("trailing data") }
    if (BAD) exit 3
    k = "r" SUBSEP "password"
    if (!(k in T)) exit 2
    if (T[k] != "s") exit 4
    if (V[k] == "") exit 6
    printf "%s", V[k]
    exit 0
  }
  N = length(S); P = index(S, "{")
  if (m == "data") {
    if (P == 0) exit 1
    pval("r"); k = "r" SUBSEP "data"
    if (BAD || !(k in T) || T[k] != "s") exit 1
    printf "%s", V[k]
    exit 0
  }
  if (P == 0) { print "JSON=none"; exit 0 }
  pval("r")
  if (BAD) { print "JSON=bad"; exit 0 }
  print "JSON=ok"
  k = "r" SUBSEP "error_code"
  if ((k in T) && T[k] == "n") print "EC=" ((V[k] + 0 == 0) ? "0" : clean(V[k]))
  k = "r" SUBSEP "data" SUBSEP "users"
  if ((k in T) && T[k] == "a") {
    print "USERS=" L[k]
    for (i = 0; i < L[k]; i++) {
      u = k SUBSEP i SUBSEP "username"
      if ((u in T) && T[u] == "s" && tolower(V[u]) == want) {
        r = k SUBSEP i SUBSEP "role"
        print "FOUND=" (((r in T) && T[r] == "s") ? clean(V[r]) : "?")
        f = k SUBSEP i SUBSEP "mfa"
        print "MFA=" (((f in T) && T[f] == "a") ? L[f] : 0)
        c = k SUBSEP i SUBSEP "cluster-coverage"
        print "COVERAGE=" (((c in T) && T[c] == "s") ? clean(V[c]) : "")
      }
    }
  }
  exit 0
}`;

/**
 * awk: classify a failed cloudhsm-cli call from its (already scrubbed) output. Heuristic on wording,
 * because the failure JSON is undocumented; see the header comment. Prints one word.
 */
const AWK_CLASSIFY = String.raw`{ t = t " " tolower($0) }
END {
  if (t ~ /not (currently )?logged[ _-]?in/) r = "LOGIN"
  else if (t ~ /logged[ _-]?in/) r = "LOGGED_IN"
  else if (t ~ /(^|[^a-z])(owns|own|owned|owner|owning)([^a-z]|$).*key/) r = "OWNS_KEYS"
  else if (t ~ /already exists?/) r = "EXISTS"
  else if (t ~ /quorum|approval/) r = "OTHER"
  else if (t ~ /(7|8) ?(to|-) ?32|too (short|long)|length/) r = "OTHER"
  else if (t ~ /login|log in|logon|authenticat|credential|(^|[^a-z])pin([^a-z]|$)|password|locked/) r = "LOGIN"
  else r = "OTHER"
  print r
}`;

/**
 * awk: make one detail line: control characters -> space, runs of spaces collapsed, at most `max`
 * bytes (cut on a UTF-8 boundary, "..." appended when cut).
 */
const AWK_ONELINE = String.raw`BEGIN { for (i = 1; i < 256; i++) ORD[sprintf("%c", i)] = i }
{ t = t " " $0 }
END {
  gsub(/[\001-\037\177]/, " ", t); gsub(/  +/, " ", t); sub(/^ /, "", t); sub(/ $/, "", t)
  if (length(t) > max) {
    t = substr(t, 1, max - 3); n = length(t); j = n
    while (j > 0 && ORD[substr(t, j, 1)] >= 128 && ORD[substr(t, j, 1)] < 192) j--
    if (j > 0) {
      b = ORD[substr(t, j, 1)]
      need = (b >= 240) ? 4 : (b >= 224) ? 3 : (b >= 192) ? 2 : 1
      if (n - j + 1 < need) t = substr(t, 1, j - 1)
    }
    t = t "..."
  }
  printf "%s", t
}`;

for (const [name, prog] of Object.entries({ AWK_JSON, AWK_CLASSIFY, AWK_ONELINE })) {
    if (prog.includes("'")) throw new Error(`kmsuser script: ${name} must not contain a single quote`);
}

/**
 * The POSIX sh body. A cooked template literal: `\${` is a literal `${` for the shell, `\\` a backslash.
 * Parameters arrive as K_* variables assigned (single-quoted) ahead of this body.
 */
const BODY = `
# ---- helpers ---------------------------------------------------------------------------------------
# k_replace TEXT NEEDLE REPLACEMENT -> K_REPL (every literal occurrence of NEEDLE replaced)
k_replace() {
  k_s=$1; k_r=''
  if [ -z "$2" ]; then K_REPL=$1; return 0; fi
  while :; do
    case $k_s in
      *"$2"*) k_r=$k_r\${k_s%%"$2"*}$3; k_s=\${k_s#*"$2"} ;;
      *) break ;;
    esac
  done
  K_REPL=$k_r$k_s
}
# k_scrub_one TEXT SECRET -> K_SCRUBBED (SECRET and its JSON-escaped form replaced by ***)
k_scrub_one() {
  K_SCRUBBED=$1
  if [ -z "$2" ]; then return 0; fi
  k_replace "$K_SCRUBBED" "$2" '***'; K_SCRUBBED=$K_REPL
  k_replace "$2" '\\' '\\\\'; k_replace "$K_REPL" '"' '\\"'
  if [ "$K_REPL" != "$2" ]; then k_replace "$K_SCRUBBED" "$K_REPL" '***'; K_SCRUBBED=$K_REPL; fi
  K_REPL=''
}
# k_scrub TEXT -> K_SCRUBBED (both passwords removed)
k_scrub() {
  k_scrub_one "$1" "$K_ADMIN_PW"
  k_scrub_one "$K_SCRUBBED" "$K_BOOT_PW"
}
# k_finish CODE STATUS [DETAIL]: print the markers and exit
k_finish() {
  if [ "$#" -ge 3 ] && [ -n "$3" ]; then
    k_scrub "$3"
    K_LINE=$(printf '%s' "$K_SCRUBBED" | LC_ALL=C awk -v max=500 "$K_AWK_ONELINE")
    printf 'KMSUSER_DETAIL=%s\\n' "$K_LINE"
  fi
  printf 'KMSUSER_RESULT=%s\\n' "$1"
  exit "$2"
}
k_unexpected() { k_finish UNEXPECTED_OUTPUT 17 "$1"; }

# k_cli LOGIN ARGS... : run cloudhsm-cli (LOGIN=yes: as the admin, PIN in that process's env only)
# -> K_RC (exit status), K_OUT (stdout), K_ERR (stderr), K_JSON, K_EC, K_USERS, K_FOUND, K_ROLE, K_MFA, K_COVERAGE
k_cli() {
  k_login=$1; shift
  # --cluster-id only where the client's configuration has several clusters (decided once, by k_probe_config)
  if [ "$K_CID" = yes ]; then set -- "$@" --cluster-id "$K_CLUSTER"; fi
  if [ "$k_login" = yes ]; then
    K_OUT=$(CLOUDHSM_ROLE=admin CLOUDHSM_PIN="$K_ADMIN_USER:$K_ADMIN_PW" $K_TIMEOUT "$K_CLI" "$@" 2>"$K_TMP/cli.err" </dev/null)
  else
    K_OUT=$($K_TIMEOUT "$K_CLI" "$@" 2>"$K_TMP/cli.err" </dev/null)
  fi
  K_RC=$?
  K_ERR=$(cat "$K_TMP/cli.err" 2>/dev/null)
  K_JSON=none; K_EC=missing; K_USERS=missing; K_FOUND=no; K_ROLE=''; K_MFA=0; K_COVERAGE=''
  K_PARSED=$(printf '%s' "$K_OUT" | LC_ALL=C awk -v m=cli -v want=kmsuser "$K_AWK_JSON")
  while IFS= read -r k_l; do
    case $k_l in
      JSON=*) K_JSON=\${k_l#JSON=} ;;
      EC=*) K_EC=\${k_l#EC=} ;;
      USERS=*) K_USERS=\${k_l#USERS=} ;;
      FOUND=*) K_FOUND=yes; K_ROLE=\${k_l#FOUND=} ;;
      MFA=*) K_MFA=\${k_l#MFA=} ;;
      COVERAGE=*) K_COVERAGE=\${k_l#COVERAGE=} ;;
    esac
  done <<__KMSUSER_PARSED__
$K_PARSED
__KMSUSER_PARSED__
}
k_cli_ok() { [ "$K_RC" -eq 0 ] && [ "$K_JSON" = ok ] && [ "$K_EC" = 0 ]; }
# k_cli_summary WHAT: prints a one-paragraph account of the last call (the JSON "data" message when there
# is one, else the raw stdout; then stderr). Output is scrubbed before and after decoding.
k_cli_summary() {
  if [ "$K_RC" -eq 124 ] && [ -n "$K_TIMEOUT" ]; then
    printf 'cloudhsm-cli %s did not answer within %s s, so the script stopped it' "$1" "$K_CLI_SECONDS"
    return 0
  fi
  k_scrub "$K_OUT"; k_o=$K_SCRUBBED
  if k_data=$(printf '%s' "$k_o" | LC_ALL=C awk -v m=data "$K_AWK_JSON") && [ -n "$k_data" ]; then
    k_scrub "$k_data"; k_o=$K_SCRUBBED
  fi
  k_scrub "$K_ERR"
  printf 'cloudhsm-cli %s failed (exit %s, error_code %s): %s %s' "$1" "$K_RC" "$K_EC" "$k_o" "$K_SCRUBBED"
}
# k_cli_failed WHAT: classify a failed mutating call and finish
k_cli_failed() {
  k_detail=$(k_cli_summary "$1")
  k_scrub "$K_OUT $K_ERR"
  if [ "$K_RC" -eq 124 ] && [ -n "$K_TIMEOUT" ]; then k_finish TIMED_OUT 20 "$k_detail"; fi
  k_class=$(printf '%s' "$K_SCRUBBED" | LC_ALL=C awk "$K_AWK_CLASSIFY")
  case $k_class in
    LOGIN) k_finish ADMIN_LOGIN_FAILED 13 "admin login as '$K_ADMIN_USER' refused: $k_detail" ;;
    LOGGED_IN) k_finish KMSUSER_LOGGED_IN 16 "$k_detail" ;;
    OWNS_KEYS) k_finish KMSUSER_OWNS_KEYS 15 "$k_detail" ;;
    EXISTS)
      if [ "$1" = 'user create' ]; then k_finish KMSUSER_EXISTS 14 "$k_detail"; fi
      k_unexpected "$k_detail" ;;
    *) k_unexpected "$k_detail" ;;
  esac
}

# k_read_secret SECRET_ID LABEL FORM(json-or-plain|plain) -> K_VAL, or finish SECRET_UNREADABLE
k_read_secret() {
  K_VAL=''
  K_RAW=$($K_AWS_TIMEOUT "$K_AWS" secretsmanager get-secret-value --region "$K_REGION" --secret-id "$1" --query SecretString --output text 2>"$K_TMP/aws.err" </dev/null)
  k_rc=$?
  if [ "$k_rc" -eq 124 ] && [ -n "$K_AWS_TIMEOUT" ]; then
    K_RAW=''
    k_finish TIMED_OUT 20 "aws secretsmanager get-secret-value of the $2 secret '$1' did not answer within $K_AWS_SECONDS s, so the script stopped it"
  fi
  if [ "$k_rc" -ne 0 ]; then
    K_RAW=''
    k_e=$(cat "$K_TMP/aws.err" 2>/dev/null)
    k_finish SECRET_UNREADABLE 12 "$2 secret '$1' could not be read (aws exit $k_rc): $k_e"
  fi
  if [ -z "$K_RAW" ]; then k_finish SECRET_UNREADABLE 12 "$2 secret '$1' is empty"; fi
  if [ "$K_RAW" = None ]; then K_RAW=''; k_finish SECRET_UNREADABLE 12 "$2 secret '$1' has no SecretString (binary secret?)"; fi
  if [ "$3" = plain ]; then K_VAL=$K_RAW; K_RAW=''; return 0; fi
  case $K_RAW in
    *[![:space:]]*) ;;
    *) K_RAW=''; k_finish SECRET_UNREADABLE 12 "$2 secret '$1' holds only blanks; expected a plain password or {\\"password\\": \\"...\\"}" ;;
  esac
  K_VAL=$(printf '%s' "$K_RAW" | LC_ALL=C awk -v m=secret "$K_AWK_JSON")
  k_rc=$?
  case $k_rc in
    0) ;;
    5) K_VAL=$K_RAW ;;
    *)
      K_RAW=''; K_VAL=''
      case $k_rc in
        2) k_why='is JSON without a "password" key' ;;
        3) k_why='starts with { but is not valid JSON (a value that starts with { is read as JSON)' ;;
        4) k_why='is JSON whose "password" is not a string' ;;
        6) k_why='is JSON with an empty "password"' ;;
        *) k_why="could not be parsed (awk exit $k_rc)" ;;
      esac
      k_finish SECRET_UNREADABLE 12 "$2 secret '$1' $k_why; expected a plain password or {\\"password\\": \\"...\\"}" ;;
  esac
  K_RAW=''
  if [ -z "$K_VAL" ]; then k_finish SECRET_UNREADABLE 12 "$2 secret '$1' holds an empty password"; fi
}
k_read_admin() {
  k_read_secret "$K_ADMIN_SECRET" 'admin password' json-or-plain
  K_ADMIN_PW=$K_VAL; K_VAL=''
}
k_read_bootstrap() {
  k_read_secret "$K_BOOT_SECRET" 'kmsuser bootstrap password' plain
  K_BOOT_PW=$K_VAL; K_VAL=''
}
k_create() {
  k_cli yes user create --username kmsuser --role crypto-user --password "$K_BOOT_PW"
  if k_cli_ok; then k_finish CREATED 0; fi
  k_cli_failed 'user create'
}
# k_change_password SUCCESS_CODE
k_change_password() {
  k_cli yes user change-password --username kmsuser --role crypto-user --password "$K_BOOT_PW"
  if k_cli_ok; then k_finish "$1" 0; fi
  k_cli_failed 'user change-password'
}
k_require_crypto_user() {
  if [ "$K_ROLE" != crypto-user ]; then
    k_unexpected "a user named kmsuser exists in $K_CLUSTER with role '$K_ROLE', not crypto-user; it was left untouched (KMS needs kmsuser to be a crypto user)"
  fi
}
# k_require_usable: an existing kmsuser KMS can log in as; else finish with kmsuser untouched
k_require_usable() {
  k_require_crypto_user
  if [ "$K_MFA" != 0 ]; then
    k_finish KMSUSER_MFA 18 "kmsuser in $K_CLUSTER has multi-factor authentication registered ($K_MFA entry(ies) in its mfa list in cloudhsm-cli user list); it was left untouched"
  fi
  case $K_COVERAGE in
    ''|full) ;;
    *) k_finish KMSUSER_PARTIAL 19 "kmsuser in $K_CLUSTER is not on every HSM of the cluster (cloudhsm-cli user list shows cluster-coverage '$K_COVERAGE', not 'full'); it was left untouched" ;;
  esac
}

# ---- main ------------------------------------------------------------------------------------------
K_TMP=$(mktemp -d 2>/dev/null) || K_TMP=''
if [ -z "$K_TMP" ] || [ ! -d "$K_TMP" ]; then K_TMP=''; k_unexpected 'mktemp -d failed on the instance'; fi

K_CLI=$(command -v cloudhsm-cli 2>/dev/null) || K_CLI=''
if [ -z "$K_CLI" ] && [ -x "$K_CLI_FALLBACK" ]; then K_CLI=$K_CLI_FALLBACK; fi
if [ -z "$K_CLI" ]; then k_finish CLI_MISSING 10 "cloudhsm-cli (Client SDK 5) not found on PATH (\${PATH-}) nor at $K_CLI_FALLBACK"; fi
K_AWS=$(command -v aws 2>/dev/null) || K_AWS=''
if [ -z "$K_AWS" ] && [ -x /usr/local/bin/aws ]; then K_AWS=/usr/local/bin/aws; fi
if [ -z "$K_AWS" ]; then k_finish AWS_CLI_MISSING 11 "aws (AWS CLI) not found on PATH (\${PATH-}) nor at /usr/local/bin/aws"; fi
if command -v timeout >/dev/null 2>&1; then
  K_TIMEOUT="timeout $K_CLI_SECONDS"; K_AWS_TIMEOUT="timeout $K_AWS_SECONDS"
else
  K_TIMEOUT=''; K_AWS_TIMEOUT=''
fi

# Single-cluster configurations (configure-cli -a <HSM IP>, the common set-up) record no cluster id, and
# --cluster-id is documented as "Required: If multiple clusters have been configured". So the script asks
# without it first and adds it only when the configuration needs it. user list needs no login, so a probe
# never counts toward the admin's lockout; no command that logs in is ever retried.
K_CID=no
k_cli no user list
if [ "$K_RC" -eq 124 ] && [ -n "$K_TIMEOUT" ]; then k_finish TIMED_OUT 20 "$(k_cli_summary 'user list')"; fi
if ! k_cli_ok || [ "$K_USERS" = missing ]; then
  k_first=$(k_cli_summary 'user list')
  K_CID=yes
  k_cli no user list
  if [ "$K_RC" -eq 124 ] && [ -n "$K_TIMEOUT" ]; then k_finish TIMED_OUT 20 "$k_first; with --cluster-id $K_CLUSTER: $(k_cli_summary 'user list')"; fi
  if ! k_cli_ok || [ "$K_USERS" = missing ]; then
    k_unexpected "$k_first; with --cluster-id $K_CLUSTER: $(k_cli_summary 'user list')"
  fi
fi

case $K_ACTION in
  check)
    # Before anything is made: the CLI answers, the admin secret has a usable form, kmsuser is free (or may be adopted).
    if [ "$K_FOUND" = yes ]; then
      if [ "$K_ADOPT" != true ]; then
        k_finish KMSUSER_EXISTS 14 "a user named kmsuser (role '$K_ROLE') already exists in $K_CLUSTER and AdoptExistingKmsUser is false"
      fi
      k_require_usable
    fi
    k_read_admin
    k_finish CHECKED 0 ;;
  create)
    if [ "$K_FOUND" = yes ]; then
      if [ "$K_ADOPT" != true ]; then
        k_finish KMSUSER_EXISTS 14 "a user named kmsuser (role '$K_ROLE') already exists in $K_CLUSTER and AdoptExistingKmsUser is false"
      fi
      k_require_usable
      k_read_admin; k_read_bootstrap
      k_change_password ADOPTED
    fi
    k_read_admin; k_read_bootstrap
    k_create ;;
  reset)
    if [ "$K_FOUND" = yes ]; then
      k_require_usable
      k_read_admin; k_read_bootstrap
      k_change_password RESET
    fi
    k_read_admin; k_read_bootstrap
    k_create ;;
  delete)
    if [ "$K_FOUND" != yes ]; then k_finish ABSENT 0; fi
    k_require_crypto_user
    k_read_admin
    k_cli yes user delete --username kmsuser --role crypto-user
    if k_cli_ok; then k_finish DELETED 0; fi
    k_cli_failed 'user delete' ;;
esac
k_unexpected "unknown action"
`;

/**
 * Build the `commands` parameter for AWS-RunShellScript. Joined with "\n" the result is one POSIX sh
 * script (runs under dash and bash) that prints the KMSUSER_* markers described in the header comment.
 * Throws (naming the parameter, never its value) when a parameter fails validation.
 */
export function buildKmsUserCommands(p: KmsUserScriptParams): string[] {
    if (p === null || typeof p !== 'object') throw new Error('kmsuser script: parameters missing');
    const action = p.action;
    if (action !== 'check' && action !== 'create' && action !== 'reset' && action !== 'delete') {
        throw new Error('kmsuser script: invalid parameter action');
    }
    if (typeof p.adopt !== 'boolean') throw new Error('kmsuser script: invalid parameter adopt');
    const clusterId = check('clusterId', p.clusterId, CLUSTER_ID_RE);
    const region = check('region', p.region, REGION_RE);
    const adminUsername = check('adminUsername', p.adminUsername, ADMIN_USERNAME_RE);
    const adminSecretId = check('adminSecretId', p.adminSecretId, SECRET_ID_RE);
    let bootstrapSecretId = '';
    if (action === 'create' || action === 'reset') {
        if (p.bootstrapSecretId === undefined) throw new Error('kmsuser script: bootstrapSecretId is required for ' + action);
        bootstrapSecretId = check('bootstrapSecretId', p.bootstrapSecretId, SECRET_ID_RE);
    } else if (p.bootstrapSecretId !== undefined) {
        check('bootstrapSecretId', p.bootstrapSecretId, SECRET_ID_RE);
    }

    const head = [
        '# kmsuser for a KMS custom key store (Custom::KMS::CloudHsmKeyStore). POSIX sh: runs under sh (dash) and bash.',
        '# Prints KMSUSER_DETAIL=<one line> (failures) and a final KMSUSER_RESULT=<CODE>. No secret is in this text.',
        'set +x',
        'set -u',
        'umask 077',
        // Default IFS (space, tab, newline) without literal control characters in the script text.
        "IFS=$(printf ' \\t\\n_'); IFS=${IFS%_}",
        // Nothing inherited may be exported under these names (unset drops the export attribute).
        'unset CLOUDHSM_PIN CLOUDHSM_ROLE K_ADMIN_PW K_BOOT_PW K_RAW K_VAL K_OUT K_ERR K_SCRUBBED K_REPL',
        "K_ADMIN_PW=''; K_BOOT_PW=''; K_RAW=''; K_VAL=''; K_OUT=''; K_ERR=''; K_SCRUBBED=''; K_REPL=''; K_TMP=''",
        "AWS_PAGER=''; export AWS_PAGER",
        `K_ACTION=${sq(action)}`,
        `K_ADOPT=${sq(p.adopt ? 'true' : 'false')}`,
        `K_CLUSTER=${sq(clusterId)}`,
        `K_REGION=${sq(region)}`,
        `K_ADMIN_USER=${sq(adminUsername)}`,
        `K_ADMIN_SECRET=${sq(adminSecretId)}`,
        `K_BOOT_SECRET=${sq(bootstrapSecretId)}`,
        `K_CLI_FALLBACK=${sq(CLI_FALLBACK)}`,
        `K_CLI_SECONDS=${KMSUSER_CLI_TIMEOUT_SECONDS}`,
        `K_AWS_SECONDS=${KMSUSER_AWS_TIMEOUT_SECONDS}`,
        `K_AWK_JSON=${sq(AWK_JSON)}`,
        `K_AWK_CLASSIFY=${sq(AWK_CLASSIFY)}`,
        `K_AWK_ONELINE=${sq(AWK_ONELINE)}`,
        "k_cleanup() { K_ADMIN_PW=''; K_BOOT_PW=''; K_RAW=''; K_VAL=''; if [ -n \"$K_TMP\" ]; then rm -rf \"$K_TMP\"; fi; }",
        'trap k_cleanup EXIT',
        "trap 'k_cleanup; exit 129' HUP",
        "trap 'k_cleanup; exit 130' INT",
        "trap 'k_cleanup; exit 143' TERM",
    ];
    return [...head.join('\n').split('\n'), ...BODY.replace(/^\n/, '').split('\n')];
}
