/** APIs (resource servers): the admin API's create body, keyed by identifier. */
import { adminAudience } from '../../admin/auth.ts';
import { newApiBody } from '../../admin/resources/apis.ts';
import { segment } from '../admin-client.ts';
import { type Kind, withoutDefaults } from '../kind.ts';

const entry = newApiBody.strict();
type ApiEntry = ReturnType<typeof entry.parse>;

export function apiKind(issuer: string): Kind<ApiEntry> {
  // The server says which API is its own; the issuer this process was given may differ from the server's.
  const builtIn = adminAudience(issuer);
  return {
    key: 'apis',
    label: 'API',
    entry,
    description: 'APIs (resource servers), by identifier: the `aud` of their access tokens, their scopes and token settings.',
    idOf: (api) => api.identifier,
    async current({ admin }) {
      const apis = await admin.list<Record<string, unknown> & { identifier: string; builtIn?: boolean }>('/apis');
      // Only the settings the file holds: an API's introspection credentials are issued with `gatehouse apis credentials`.
      const settings = (api: Record<string, unknown>) => Object.fromEntries(Object.entries(api).filter(([name]) => name in entry.shape));
      return apis.filter(({ builtIn }) => !builtIn).map((api) => ({ id: api.identifier, entry: entry.parse(settings(api)) }));
    },
    impossible: (desired) => (desired.identifier === builtIn ? `${builtIn} is the built-in admin API; leave it out of the file` : undefined),
    async create(desired, { admin }) {
      if (desired.identifier === builtIn) throw new Error(`${builtIn} is the built-in admin API; leave it out of the file`);
      await admin.call('POST', '/apis', { ...desired, name: desired.name ?? desired.identifier });
      return [];
    },
    async update(desired, current, fields, { admin }) {
      const { identifier: _identifier, ...settings } = desired;
      const changes = Object.fromEntries(Object.entries(settings).filter(([name]) => fields.includes(name)));
      await admin.call('PATCH', `/apis/${segment(current.id)}`, { ...changes, ...(fields.includes('name') ? { name: desired.name ?? desired.identifier } : {}) });
      return [];
    },
    async remove(id, { admin }) {
      await admin.call('DELETE', `/apis/${segment(id)}`);
    },
    exported: (api) => withoutDefaults({ ...api, ...(api.signingAlg === 'RS256' ? { signingAlg: undefined } : {}), ...(api.accessTokenFormat === 'jwt' ? { accessTokenFormat: undefined } : {}) }, ['identifier', 'name']),
  };
}
