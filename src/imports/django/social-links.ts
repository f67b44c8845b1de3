/**
 * allauth's `socialaccount_socialaccount` rows: a user's link to an upstream provider (provider +
 * uid). Gatehouse has no upstream identity providers yet, so the links are counted and reported,
 * not written. This is the extension point for the federation work: an implementation of
 * `SocialLinkImport` that maps allauth provider ids to configured upstream providers and returns
 * the links to write replaces `socialLinksAwaitingFederation` in createDjangoImporter's deps.
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
