/**
 * Passkeys on the account page: a registration challenge (JSON, fetched by
 * views/static/passkeys.js), adding one with its name, renaming and removing. The rules and the
 * audit are sign-in/passkey-changes.ts's; these handlers parse, call it once and render.
 */
import type { Context } from 'koa';
import { z } from 'zod';
import { assertionField, attestationField } from '../passkeys/index.ts';
import { type Current, renderAccount, requestFacts, type SelfServiceDeps, signedIn } from './context.ts';

const name = z.string().trim().min(1).max(64);
export const passkeyIdParam = z.object({ id: z.string().min(1).max(64) });
export const addPasskeyForm = z.object({ name, response: attestationField });
export const renamePasskeyForm = z.object({ name });
export const removePasskeyForm = z.object({ response: z.union([z.literal(''), assertionField]).optional() });

const json = async (ctx: Context, body: Promise<unknown>) => {
  ctx.set('Cache-Control', 'no-store');
  ctx.body = await body;
};

export const passkeyRegistrationOptions = (deps: SelfServiceDeps) =>
  signedIn(deps, (current: Current, ctx) => json(ctx, deps.passkeyChanges.registrationOptions(current.account, current.session.uid)));

export const passkeyProofOptions = (deps: SelfServiceDeps) =>
  signedIn(deps, (current: Current, ctx) => json(ctx, deps.passkeyChanges.proofOptions(current.account, current.session.uid)));

export const addPasskey = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { body }: { body: z.output<typeof addPasskeyForm> }) => {
    const outcome = await deps.passkeyChanges.add({ account: current.account, sessionUid: current.session.uid, name: body.name, response: body.response, request: requestFacts(deps, ctx) });
    if (outcome.kind === 'added') return renderAccount(deps, ctx, current, { kind: 'ok', text: 'passkey.notice.added', vars: { name: outcome.passkey.name } });
    const text = outcome.kind === 'duplicate' ? 'passkey.notice.duplicate' : outcome.kind === 'stale' ? 'account.notice.mfa_stale' : 'passkey.notice.refused';
    await renderAccount(deps, ctx, current, { kind: 'error', text }, outcome.kind === 'refused' ? 400 : 409);
  });

export const renamePasskey = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { params, body }: { params: z.output<typeof passkeyIdParam>; body: z.output<typeof renamePasskeyForm> }) => {
    const renamed = await deps.passkeyChanges.rename({ account: current.account, id: params.id, name: body.name, request: requestFacts(deps, ctx) });
    if (!renamed) return renderAccount(deps, ctx, current, { kind: 'error', text: 'passkey.notice.not_found' }, 404);
    await renderAccount(deps, ctx, current, { kind: 'ok', text: 'passkey.notice.renamed', vars: { name: body.name } });
  });

export const removePasskey = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { params, body }: { params: z.output<typeof passkeyIdParam>; body: z.output<typeof removePasskeyForm> }) => {
    const proof = body.response === '' ? undefined : body.response;
    const outcome = await deps.passkeyChanges.remove({ account: current.account, sessionUid: current.session.uid, id: params.id, proof, request: requestFacts(deps, ctx) });
    if (outcome.kind === 'removed') return renderAccount(deps, ctx, current, { kind: 'ok', text: outcome.last ? 'passkey.notice.removed_last' : 'passkey.notice.removed' });
    if (outcome.kind === 'not_found') return renderAccount(deps, ctx, current, { kind: 'error', text: 'passkey.notice.not_found' }, 404);
    await renderAccount(deps, ctx, current, { kind: 'error', text: 'passkey.notice.proof_needed' }, outcome.kind === 'proof_needed' ? 403 : 401);
  });
