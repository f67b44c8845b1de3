import type { Knex } from 'knex';

/**
 * Roles, groups and their grants (issue #8), organisation ids on users and clients, and the
 * access-token settings of APIs (which claims their tokens carry, which algorithm signs them).
 *
 * Every link table cascades from both ends: deleting a role, group, user, client or API leaves
 * no grant pointing at nothing. `users.roles` (a jsonb list read only by the MFA policy) becomes
 * global roles granted directly to each user, then the column goes.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('roles', (t) => {
    t.text('name').primary();
    t.text('description').notNullable().defaultTo('');
    // null: a global role, in every API's token; otherwise only in tokens for this API.
    t.text('api').references('apis.identifier').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['api']);
  });
  await db.schema.createTable('groups', (t) => {
    t.text('name').primary();
    t.text('description').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  await db.schema.createTable('group_members', (t) => {
    t.text('group_name').notNullable().references('groups.name').onDelete('CASCADE');
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.primary(['group_name', 'user_id']);
    t.index(['user_id']);
  });
  const grantTable = (table: string, column: string, references: string) =>
    db.schema.createTable(table, (t) => {
      t.text(column).notNullable().references(references).onDelete('CASCADE');
      t.text('role_name').notNullable().references('roles.name').onDelete('CASCADE');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      t.primary([column, 'role_name']);
      t.index(['role_name']);
    });
  await grantTable('group_roles', 'group_name', 'groups.name');
  await grantTable('user_roles', 'user_id', 'users.id');
  await grantTable('client_roles', 'client_id', 'clients.client_id');

  await db.schema.alterTable('users', (t) => t.text('org_id'));
  await db.schema.alterTable('clients', (t) => t.text('org_id'));
  await db.schema.alterTable('apis', (t) => {
    t.jsonb('claims').notNullable().defaultTo('[]');
    t.text('signing_alg').notNullable().defaultTo('RS256');
  });

  const users = (await db('users').select('id', 'roles')) as Array<{ id: string; roles: unknown }>;
  for (const user of users) {
    const names = Array.isArray(user.roles) ? user.roles.filter((role): role is string => typeof role === 'string' && role.length > 0) : [];
    for (const name of new Set(names)) {
      await db('roles').insert({ name, description: '' }).onConflict('name').ignore();
      await db('user_roles').insert({ user_id: user.id, role_name: name }).onConflict(['user_id', 'role_name']).ignore();
    }
  }
  await db.schema.alterTable('users', (t) => t.dropColumn('roles'));
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => t.jsonb('roles').notNullable().defaultTo('[]'));
  // Only direct global grants fit the old column.
  const grants = (await db('user_roles')
    .join('roles', 'roles.name', 'user_roles.role_name')
    .whereNull('roles.api')
    .select('user_roles.user_id', 'user_roles.role_name')) as Array<{ user_id: string; role_name: string }>;
  const byUser = new Map<string, string[]>();
  for (const grant of grants) byUser.set(grant.user_id, [...(byUser.get(grant.user_id) ?? []), grant.role_name]);
  for (const [id, roles] of byUser) await db('users').where({ id }).update({ roles: JSON.stringify(roles) });
  for (const table of ['client_roles', 'user_roles', 'group_roles', 'group_members', 'groups', 'roles']) {
    await db.schema.dropTableIfExists(table);
  }
  await db.schema.alterTable('apis', (t) => {
    t.dropColumn('claims');
    t.dropColumn('signing_alg');
  });
  await db.schema.alterTable('clients', (t) => t.dropColumn('org_id'));
  await db.schema.alterTable('users', (t) => t.dropColumn('org_id'));
}
