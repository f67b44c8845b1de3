import type { DeviceClaims } from './known-device.ts';

/** Who is asking, from where: what every step needs from the request. */
export interface RequestFacts {
  ip: string;
  userAgent: string;
  requestId: string;
  /** The verified claims of this browser's device cookie, if it has one. */
  device: DeviceClaims | undefined;
  /** The client of the sign-in (the audit trail's actor); empty on the account pages. */
  clientId: string;
  /** The page language (a catalog locale): an account that has none yet keeps it for its mails. */
  locale?: string | undefined;
}

/** What the client and its authorization request ask of a sign-in. */
export interface ClientFacts {
  requiresMfa: boolean;
  /** Only a passkey satisfies a sign-in to it (loa:3). */
  requiresPasskey?: boolean;
  allowsUnverified: boolean;
  /** acr_values of the authorization request. */
  acrValues: string | undefined;
  /** The account pages' own client: where factors are enrolled (a role's passkey rule does not lock it out). */
  enrolsFactors?: boolean;
}
