/**
 * allauth's `socialaccount_socialaccount` rows: a user's link to an upstream provider (provider +
 * uid). `socialLinksToUpstreams` turns them into links to Gatehouse's upstream identity providers
 * (federation/): allauth's provider id (`google`, `github`, `microsoft`, `gitlab`, …) names the
 * Gatehouse provider of that name, or else the one made from that preset; allauth's `uid` is the
 * upstream's subject, as federation links it. Accounts of a provider Gatehouse does not have are
 * counted and reported, not written. `socialLinksAwaitingFederation` is the count-only variant.
 */
import type { DjangoSocialAccountRow } from '../../storage/django-source.ts';

export interface SocialLinkPlan {
  inSource: number;
  byProvider: Record<string, number>;
  /** What happens to them, in words for the report. */
  status: string;
  /** Links to write: (Gatehouse user id, provider, uid). Empty until federation lands. */
  links: Array<{ userId: string; provider: string; uid: string }>;
}

export interface SocialLinkImport {
  /** `userIds`: Django user id → Gatehouse user id, for the users this import brings over. */
  plan(accounts: readonly DjangoSocialAccountRow[], userIds: ReadonlyMap<string, string>): SocialLinkPlan;
}

export const socialLinksAwaitingFederation: SocialLinkImport = {
  plan(accounts) {
    const byProvider: Record<string, number> = {};
    for (const account of accounts) byProvider[account.provider] = (byProvider[account.provider] ?? 0) + 1;
    return {
      inSource: accounts.length,
      byProvider,
      status: accounts.length ? 'not imported yet: imported once federation (upstream identity providers) lands' : 'none',
      links: [],
    };
  },
};

/** Links to the configured upstream providers (`providers`: name and preset of each). */
export function socialLinksToUpstreams(providers: ReadonlyArray<{ name: string; preset: string | null }>): SocialLinkImport {
  const target = (allauthProvider: string) =>
    providers.find((provider) => provider.name === allauthProvider)?.name ?? providers.find((provider) => provider.preset === allauthProvider)?.name;
  return {
    plan(accounts, userIds) {
      const byProvider: Record<string, number> = {};
      const links: SocialLinkPlan['links'] = [];
      const unmatched = new Set<string>();
      for (const account of accounts) {
        byProvider[account.provider] = (byProvider[account.provider] ?? 0) + 1;
        const provider = target(account.provider);
        const userId = userIds.get(account.userId);
        if (!provider) unmatched.add(account.provider);
        else if (userId) links.push({ userId, provider, uid: account.uid });
      }
      const parts = [
        ...(links.length ? [`${links.length} linked to upstream identity providers (${[...new Set(links.map((link) => link.provider))].join(', ')})`] : []),
        ...(unmatched.size ? [`no identity provider configured for ${[...unmatched].join(', ')} (gatehouse idp create --preset …), not imported`] : []),
      ];
      return { inSource: accounts.length, byProvider, status: accounts.length ? parts.join('; ') || 'their users were not imported' : 'none', links };
    },
  };
}
