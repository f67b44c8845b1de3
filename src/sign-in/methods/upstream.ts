import type { Federation, UpstreamIdentity } from '../../federation/index.ts';
import type { AuthenticationMethod } from './method.ts';

/**
 * An upstream identity provider (federation/): the callback already validated the upstream's
 * answer; this resolves the identity to an account by the linking rules. Not throttled: a signed
 * upstream assertion is not a guess.
 */
export function upstreamMethod(federation: Pick<Federation, 'resolve'>): AuthenticationMethod<{ identity: UpstreamIdentity }> {
  return {
    name: 'fed',
    throttled: false,
    async authenticate({ identity }) {
      const resolution = await federation.resolve(identity);
      if (resolution.kind === 'refused') return { kind: 'rejected', reason: resolution.reason };
      if (resolution.kind === 'prove') return { kind: 'link_required', account: resolution.account };
      return { kind: 'verified', account: resolution.account, amr: resolution.amr, multiFactor: resolution.multiFactor };
    },
  };
}
