import { HandlerErrorCode } from '@amazon-web-services-cloudformation/cloudformation-cli-typescript-lib';
import { HandlerFailure } from '../errors';
import { buildKmsUserCommands, KmsUserAction, KMSUSER_SCRIPT_MAX_SECONDS } from '../kmsuser/script';
import { describeKmsUserFailure, KmsUserResult, parseKmsUserResult } from '../kmsuser/result';
import { requestDigest } from '../engine/hash';
import { compose } from '../engine/message';
import { fail, next, wait, withNote } from '../engine/outcomes';
import type { Invocation } from '../aws/ssm';
import { Ctx, KmsUserPurpose, Outcome, Phase, PhaseEnv } from './types';

/** SendCommand TimeoutSeconds: how long the command may wait for the instance's agent to pick it up (delivery). */
const DELIVERY_TIMEOUT_SECONDS = 120;
/**
 * AWS-RunShellScript executionTimeout: when it runs out, the agent kills the script's process group with SIGKILL
 * (amazon-ssm-agent agent/executers), so the script prints nothing more. It exceeds the longest the script can take
 * with its own per-call limits (src/kmsuser/script.ts), so the script reports its own result, a stuck call included.
 */
export const EXECUTION_TIMEOUT_SECONDS = 600;
if (EXECUTION_TIMEOUT_SECONDS <= KMSUSER_SCRIPT_MAX_SECONDS) throw new Error("kmsuser: the executionTimeout must exceed the script's own limits");
/** How long the handler waits for a command's result: its delivery, its run, and SSM reporting it. */
const COMMAND_BUDGET_SECONDS = DELIVERY_TIMEOUT_SECONDS + EXECUTION_TIMEOUT_SECONDS + 60;
/** What a check waiting inside one invocation leaves for the rest of it (the runner keeps 2 s of its own). */
const INVOCATION_RESERVE_MS = 5_000;

const ACTIONS: Record<KmsUserPurpose, KmsUserAction> = { check: 'check', create: 'create', reset: 'reset', delete: 'delete', rollback: 'delete' };

/**
 * A create that resumes a store an earlier attempt of the same resource made (its record says that attempt
 * CREATED kmsuser) resets that kmsuser's password instead of failing on it, and may not call it someone else's.
 */
const ownKmsUser = (env: PhaseEnv) => env.ctx.kmsUser === 'CREATED';

function actionOf(env: PhaseEnv, purpose: KmsUserPurpose): KmsUserAction {
    return purpose === 'create' && ownKmsUser(env) ? 'reset' : ACTIONS[purpose];
}

function commandComment(env: PhaseEnv, purpose: KmsUserPurpose): string {
    return `Custom::KMS::CloudHsmKeyStore kmsuser ${purpose} ${requestDigest(env.request.clientRequestToken, env.request.logicalResourceId, purpose).slice(0, 24)}`;
}

function instanceOf(env: PhaseEnv): string {
    const id = env.desired.clientInstanceId;
    if (!id) {
        throw new HandlerFailure(
            HandlerErrorCode.InvalidRequest,
            `ClientInstanceId and CloudHsmAdminPasswordSecretName are needed to manage kmsuser on ${env.desired.cloudHsmClusterId ?? 'the cluster'}, and neither the request nor the key store's record has them; set them in the template (or pass them in the update), then retry.`,
        );
    }
    return id;
}

/**
 * Sends the kmsuser script once. The CommandId is kept in the callbackContext as soon as SendCommand answers: the
 * phase hands back IN_PROGRESS at once (once the resource has its identifier), so every later invocation polls that
 * command by id. ListCommands is only the way back for a retry whose previous invocation was lost before it answered:
 * it looks for the command this request already sent by its request-derived comment. The Run Command API "follows
 * an eventual consistency model" (SSM API reference, GetCommandInvocation), so a command sent a moment ago may not
 * be listed yet; that window is as short as the handler can make it.
 */
export function sendKmsUserCommand(purpose: KmsUserPurpose): Phase {
    return async (env) => {
        if (env.ctx.command?.purpose === purpose && env.ctx.command.id) return next(env.ctx);
        const instanceId = instanceOf(env);
        const comment = commandComment(env, purpose);
        const earlier = await env.aws.ssm.findCommandByComment(instanceId, comment);
        const id =
            earlier ??
            (await env.aws.ssm.sendShellScript({
                instanceId,
                comment,
                timeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
                executionTimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
                commands: buildKmsUserCommands({
                    action: actionOf(env, purpose),
                    adopt: env.desired.adoptExistingKmsUser === true || (purpose === 'check' && ownKmsUser(env)),
                    clusterId: env.desired.cloudHsmClusterId ?? '',
                    region: env.request.region,
                    adminUsername: env.desired.cloudHsmAdminUsername ?? 'admin',
                    adminSecretId: env.desired.cloudHsmAdminPasswordSecretName ?? '',
                    bootstrapSecretId: ACTIONS[purpose] === 'delete' || purpose === 'check' ? undefined : env.ctx.bootstrapSecretArn,
                }),
            }));
        // Not an inline wait: with an identifier the runner answers IN_PROGRESS now, and the id is in CloudFormation's
        // hands (a command found again is kept the same way, so a replayed invocation does what the first one did).
        return wait({ ...env.ctx, command: { purpose, comment, id } }, 1, `Sent the kmsuser ${purpose} command ${id} to ${instanceId}.`);
    };
}

export interface AwaitOptions {
    /** false: a failure is noted in the final message and the workflow goes on (best-effort cleanup). */
    fatal: boolean;
    /** The preflight check runs before the store exists, so it must finish inside this one invocation. */
    withinInvocation?: boolean;
}

/** Polls the command (short waits inside the invocation) and reads the script's result marker. */
export function awaitKmsUserCommand(opts: AwaitOptions): Phase {
    return async (env) => {
        const command = env.ctx.command;
        if (!command?.id) return fail(env.ctx, HandlerErrorCode.InternalFailure, 'No kmsuser command in the callbackContext.');
        const instanceId = instanceOf(env);
        const invocation = await env.aws.ssm.getInvocation(command.id, instanceId);
        if (!invocation || invocation.state === 'pending') {
            const step = Math.min(1 + (env.ctx.attempt ?? 0), 5);
            // Before the store exists no IN_PROGRESS can be returned; once it does (a resumed store), waits may span invocations.
            const inThisInvocation = opts.withinInvocation && !env.ctx.storeId;
            const outOfTime = inThisInvocation ? env.timeLeftMs() < step * 1000 + INVOCATION_RESERVE_MS : (env.ctx.waited ?? 0) >= COMMAND_BUDGET_SECONDS;
            if (outOfTime) {
                const within = inThisInvocation ? 'the time one handler invocation has for it' : `${COMMAND_BUDGET_SECONDS / 60} minutes`;
                return finishWith(
                    env,
                    opts,
                    HandlerErrorCode.NotStabilized,
                    `The kmsuser command ${command.id} on ${instanceId} did not finish within ${within} (${invocation?.status ?? 'not delivered yet'}); check that the SSM agent runs and the instance can reach the cluster.`,
                );
            }
            return wait(env.ctx, step, `Waiting for the kmsuser command on ${instanceId} (${invocation?.status ?? 'not visible yet'}).`, true);
        }
        const result: KmsUserResult = parseKmsUserResult(invocation.stdout, invocation.stderr);
        if (result.ok) {
            const note = noteFor(command.purpose, result.outcome);
            const kmsUser = result.outcome === 'CHECKED' || (result.outcome === 'RESET' && ownKmsUser(env)) ? env.ctx.kmsUser : result.outcome;
            return next({ ...(note ? withNote(env.ctx, note) : env.ctx), kmsUser, command: undefined });
        }
        if (invocation.state === 'failed' && result.failure === 'UNEXPECTED_OUTPUT' && !invocation.stdout.includes('KMSUSER_RESULT=')) {
            return finishWith(env, opts, HandlerErrorCode.GeneralServiceException, withoutResult(command.id, instanceId, invocation, result.detail));
        }
        const described = describeKmsUserFailure(result, instanceId);
        return finishWith(env, opts, described.code as HandlerErrorCode, described.message);
    };
}

/** A command that ended without the script's result: never delivered, stopped by SSM, or something else. */
function withoutResult(commandId: string, instanceId: string, inv: Invocation, detail: string): string {
    const output = `the command's output: aws ssm get-command-invocation --command-id ${commandId} --instance-id ${instanceId}`;
    if (inv.statusCode === 'TimedOut' && /deliver/i.test(inv.status))
        return compose(
            `The kmsuser command ${commandId} never started on ${instanceId}: its agent did not pick it up within ${DELIVERY_TIMEOUT_SECONDS} s (${inv.status}).`,
            `Check that the SSM agent runs on the instance and that it is Online in Systems Manager, then retry; nothing was changed in the cluster.`,
        );
    if (inv.statusCode === 'TimedOut')
        return compose(
            `SSM stopped the kmsuser script on ${instanceId} when its executionTimeout of ${EXECUTION_TIMEOUT_SECONDS} s ran out (${inv.status}); it was killed before it printed its result, so it may have stopped in the middle of a cloudhsm-cli call.`,
            `The script stops each of its own calls long before that, unless the instance lacks the timeout command (coreutils): install it.`,
            `Check with cloudhsm-cli user list on the instance whether kmsuser is absent or on every HSM (cluster-coverage full), and see ${output}.`,
        );
    return compose(
        `The kmsuser command ${commandId} on ${instanceId} ended ${inv.status} without a result`,
        detail,
        `Check the instance's SSM agent and ${output}.`,
    );
}

function finishWith(env: PhaseEnv, opts: AwaitOptions, code: HandlerErrorCode, message: string): Outcome {
    const ctx: Ctx = { ...env.ctx, command: undefined };
    return opts.fatal ? fail(ctx, code, message) : next(withNote(ctx, kmsUserLeftBehind(env, message)));
}

/** The note of a cleanup that could not remove kmsuser: why, and how a person removes it by hand. */
export function kmsUserLeftBehind(env: PhaseEnv, reason: string): string {
    const cluster = env.desired.cloudHsmClusterId ?? "the key store's cluster";
    const admin = env.desired.cloudHsmAdminUsername ?? 'admin';
    return compose(
        `kmsuser was not removed from ${cluster}.`,
        reason,
        `Remove it by hand on a client instance of that cluster: CLOUDHSM_ROLE=admin CLOUDHSM_PIN='${admin}:<admin password>' cloudhsm-cli user delete --username kmsuser --role crypto-user.`,
    );
}

/**
 * Delete's kmsuser step: it needs the instance and the admin secret (from the request or the store's
 * record) and an instance online in SSM; without them it says what was left and how to remove it.
 */
export function removeKmsUser(purpose: KmsUserPurpose): Phase {
    const send = sendKmsUserCommand(purpose);
    return async (env) => {
        if (env.ctx.command?.purpose === purpose) return send(env);
        const d = env.desired;
        if (!d.clientInstanceId || !d.cloudHsmAdminPasswordSecretName || !d.cloudHsmClusterId) {
            const missing = [!d.clientInstanceId && 'ClientInstanceId', !d.cloudHsmAdminPasswordSecretName && 'CloudHsmAdminPasswordSecretName']
                .filter(Boolean)
                .join(' and ');
            const source = env.ctx.recordFound ? "the key store's record lacks them" : 'the key store has no record in Parameter Store';
            return next(withNote(env.ctx, kmsUserLeftBehind(env, `The request carried no ${missing || 'CloudHsmClusterId'} and ${source}.`)));
        }
        const ping = await env.aws.ssm.pingStatus(d.clientInstanceId);
        if (ping !== 'Online') {
            const state = ping ? `its SSM ping status is ${ping}` : 'SSM does not know it';
            return next(withNote(env.ctx, kmsUserLeftBehind(env, `ClientInstanceId ${d.clientInstanceId} cannot run the removal script: ${state}.`)));
        }
        return send(env);
    };
}

function noteFor(purpose: KmsUserPurpose, outcome: string): string | undefined {
    if (purpose !== 'delete' && purpose !== 'rollback') return undefined;
    return outcome === 'DELETED' ? 'kmsuser was removed from the cluster.' : 'kmsuser was already absent from the cluster.';
}
