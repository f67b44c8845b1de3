/** Account pages: the overview, sessions, connected apps, sign out everywhere, the password. */
import type { Middleware } from 'koa';
import { z } from 'zod';
import { ValidationFailed } from '../errors.ts';
import { renderAccount, renderProofFailure, requestFacts, type SelfServiceDeps, signedIn } from './context.ts';

const backToAccount = (ctx: Parameters<Middleware>[0]) => {
  ctx.status = 303;
  ctx.redirect('/account');
};

export const showAccount = (deps: SelfServiceDeps) => signedIn(deps, (current, ctx) => renderAccount(deps, ctx, current));

export const endSession = (deps: SelfServiceDeps) =>
  signedIn(deps, async ({ account }, ctx) => {
    await deps.sessions.endSession(account.id, String(ctx.params.uid));
    backToAccount(ctx);
  });

export const revokeApp = (deps: SelfServiceDeps) =>
  signedIn(deps, async ({ account }, ctx) => {
    await deps.sessions.revokeApp(account.id, String(ctx.params.grantId));
    backToAccount(ctx);
  });

export const logoutEverywhere = (deps: SelfServiceDeps) =>
  signedIn(deps, async ({ account }, ctx) => {
    await deps.sessions.logoutEverywhere(account.id);
    backToAccount(ctx);
  });

export const passwordForm = z.object({ current_password: z.string().max(4096), new_password: z.string().max(4096) });

/** Needs the current password (under the sign-in limits); signs out every other device and app; mails the owner. */
export const changePassword = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { body: form }: { body: z.output<typeof passwordForm> }) => {
    const input = { account: current.account, sessionId: current.session.jti, currentPassword: form.current_password, newPassword: form.new_password };
    try {
      const proof = await deps.accountChanges.changePassword({ ...input, request: requestFacts(deps, ctx) });
      if (proof.kind !== 'ok') return renderProofFailure(deps, ctx, current, proof, 'account.notice.wrong_password');
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      return renderAccount(deps, ctx, current, { kind: 'error', text: error.issues.join(' ') }, 400);
    }
    await renderAccount(deps, ctx, current, { kind: 'ok', text: 'account.notice.password_changed' });
  });

export const unlinkForm = z.object({ provider: z.string().max(64), subject: z.string().max(255) });

/** Removes a link to an upstream identity provider, unless it is the account's last way in. */
export const unlinkProvider = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { body: { provider, subject } }: { body: z.output<typeof unlinkForm> }) => {
    const { ip, userAgent, requestId } = requestFacts(deps, ctx);
    const outcome = await deps.federation.unlink(current.account.id, provider, subject, { ip, userAgent, requestId });
    if (outcome === 'last_way_in') return renderAccount(deps, ctx, current, { kind: 'error', text: 'account.notice.last_way_in' }, 409);
    if (outcome === 'not_found') return renderAccount(deps, ctx, current, { kind: 'error', text: 'account.notice.no_such_link' }, 404);
    await renderAccount(deps, ctx, current, { kind: 'ok', text: 'account.notice.unlinked' });
  });
