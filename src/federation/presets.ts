/**
 * Presets: the endpoints and claim mapping of well-known providers, so an operator gives only a
 * client id and secret. Anything a preset fills can still be overridden on the record.
 */
import { type ClaimMapping, DEFAULT_CLAIM_MAPPING } from './identity.ts';

export type PresetName = 'google' | 'microsoft' | 'github' | 'gitlab';
export const PRESET_NAMES = ['google', 'microsoft', 'github', 'gitlab'] as const;

export interface PresetFill {
  displayName: string;
  protocol: 'oidc' | 'oauth2';
  issuer: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  userinfoEndpoint?: string;
  scopes: string[];
  claimMapping: ClaimMapping;
}

/** `tenant`: Microsoft Entra ID's tenant id or domain, or `organizations` (any work account). */
export function presetFill(preset: PresetName, options: { tenant?: string | undefined } = {}): PresetFill {
  switch (preset) {
    case 'google':
      return { displayName: 'Google', protocol: 'oidc', issuer: 'https://accounts.google.com', scopes: ['openid', 'email', 'profile'], claimMapping: DEFAULT_CLAIM_MAPPING };
    case 'microsoft': {
      const tenant = options.tenant ?? 'organizations';
      // Entra ID puts the address in `email` only when the tenant configured it; `preferred_username`
      // is the sign-in name (usually the address) and is never claimed verified.
      return {
        displayName: 'Microsoft',
        protocol: 'oidc',
        issuer: `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/v2.0`,
        scopes: ['openid', 'email', 'profile'],
        claimMapping: { ...DEFAULT_CLAIM_MAPPING, email: 'email', groups: 'groups' },
      };
    }
    case 'github':
      // Plain OAuth 2: no ID token; the person comes from the userinfo URL (`id`, `email`, `name`).
      return {
        displayName: 'GitHub',
        protocol: 'oauth2',
        issuer: 'https://github.com',
        authorizationEndpoint: 'https://github.com/login/oauth/authorize',
        tokenEndpoint: 'https://github.com/login/oauth/access_token',
        userinfoEndpoint: 'https://api.github.com/user',
        scopes: ['read:user', 'user:email'],
        claimMapping: { email: 'email', emailVerified: 'email_verified', name: 'name', groups: 'groups' },
      };
    case 'gitlab':
      return { displayName: 'GitLab', protocol: 'oidc', issuer: 'https://gitlab.com', scopes: ['openid', 'email', 'profile'], claimMapping: { ...DEFAULT_CLAIM_MAPPING, groups: 'groups_direct' } };
  }
}
