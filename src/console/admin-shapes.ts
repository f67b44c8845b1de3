/**
 * What the admin API answers, as the console reads it: the types are inferred from the admin
 * route records' own response schemas (src/admin/resources/), so the console cannot drift from
 * what the API sends.
 */
import type { z } from 'zod';
import type { api } from '../admin/resources/apis.ts';
import type { auditEvent } from '../admin/resources/audit.ts';
import type { client, withSecret } from '../admin/resources/clients.ts';
import type { summary } from '../admin/resources/initial-access-tokens.ts';
import type { key } from '../admin/resources/keys.ts';
import type { groupWithRoles, role } from '../admin/resources/roles.ts';
import type { grant, session, user } from '../admin/resources/users.ts';
import type { providerView } from '../federation/index.ts';

export type Page<T> = { items: T[]; nextCursor: string | null };
export type Api = z.infer<typeof api>;
export type AuditEvent = z.infer<typeof auditEvent>;
export type Client = z.infer<typeof client>;
export type ClientWithSecret = z.infer<typeof withSecret>;
export type InitialAccessToken = z.infer<typeof summary>;
export type SigningKey = z.infer<typeof key>;
export type Role = z.infer<typeof role>;
export type Group = z.infer<typeof groupWithRoles>;
export type User = z.infer<typeof user>;
export type UserSession = z.infer<typeof session>;
export type UserGrant = z.infer<typeof grant>;
export type IdentityProvider = z.infer<typeof providerView>;
