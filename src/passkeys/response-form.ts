/**
 * The browser's answer to a ceremony, as posted by views/static/passkeys.js: the JSON of
 * @simplewebauthn/browser's startAuthentication/startRegistration in a form field. Parsed and
 * shape-checked by the route's schema (a malformed field is a 400, never a 500); every value is
 * then checked cryptographically by the library.
 */

import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { jsonText } from '../validation.ts';

const b64url = z.string().max(8192).regex(/^[A-Za-z0-9_-]*$/);

const json = jsonText('the passkey response is not JSON', z.string().max(32_768));

const common = {
  id: b64url.min(1).max(1366),
  rawId: b64url.min(1).max(1366),
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};

export const assertionField = json.pipe(
  z.object({
    ...common,
    response: z.object({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url, userHandle: b64url.optional() }),
  }),
) as unknown as z.ZodType<AuthenticationResponseJSON>;

export const attestationField = json.pipe(
  z.object({
    ...common,
    response: z.object({ clientDataJSON: b64url, attestationObject: b64url, transports: z.array(z.string().max(32)).max(8).optional() }).passthrough(),
  }),
) as unknown as z.ZodType<RegistrationResponseJSON>;
