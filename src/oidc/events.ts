import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditTrail } from '../audit/index.ts';
import { DEVICE_CODE_GRANT } from '../clients/index.ts';
import { requestOrigin } from '../http/request-facts.ts';

/** oidc-provider events that belong in the audit trail. */
export function auditProviderEvents(provider: Provider, audit: AuditTrail): void {
  const origin = (ctx: KoaContextWithOIDC | undefined) => ({
    ...(ctx ? requestOrigin(ctx) : {}),
    actor: ctx?.oidc?.client?.clientId,
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    audit.record({ type: 'grant.revoked', outcome: 'success', ...origin(ctx), details: { grantId, route: ctx?.oidc?.route } });
  });
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    audit.record({ type: 'logout', outcome: 'success', subject: ctx.oidc.session?.accountId, ...origin(ctx) });
  });
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? '');
    // client_credentials is the hot path and has no user: counted in metrics, not audited per token.
    if (grantType === 'authorization_code' || grantType === DEVICE_CODE_GRANT) {
      audit.record({ type: 'token.issued', outcome: 'success', subject: ctx.oidc.entities.Account?.accountId, ...origin(ctx), details: { grantType } });
    }
  });
}
