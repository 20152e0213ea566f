// Data access for the users table, with the caller's scope applied in the query.
import type { Knex } from 'knex';
import type { User, UserListQuery } from '../../../../shared/api/users.js';
import type { Me } from '../../../../shared/api/auth.js';
import type { Role } from '../../../../shared/roles.js';
import type { Principal } from '../../plugins/access.js';
import { fromDbTime } from '../../db/knex.js';
import { toOrganisation, type OrganisationRow } from '../organisations/store.js';

type Db = Knex | Knex.Transaction;

export interface UserRow {
  id: number;
  organisation_id: number;
  username: string;
  display_name: string;
  role: Role;
  phone: string | null;
  can_sign: number | boolean;
  can_print: number | boolean;
  active: number | boolean;
  locked_until: string | null;
  last_login_at: string | null;
  created_at: string;
}

const USER_COLUMNS = [
  'u.id',
  'u.organisation_id',
  'u.username',
  'u.display_name',
  'u.role',
  'u.phone',
  'u.can_sign',
  'u.can_print',
  'u.active',
  'u.locked_until',
  'u.last_login_at',
  'u.created_at',
  'o.name as organisation_name',
];

function toUser(r: UserRow & { organisation_name: string }): User {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    organisationName: r.organisation_name,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    phone: r.phone,
    canSign: Boolean(r.can_sign),
    canPrint: Boolean(r.can_print),
    active: Boolean(r.active),
    lockedUntil: fromDbTime(r.locked_until),
    lastLoginAt: fromDbTime(r.last_login_at),
    createdAt: fromDbTime(r.created_at)!,
  };
}

/** Users the caller may manage: administrators everyone, customer admins their own organisation. */
function manageable(db: Db, p: Principal) {
  return db('users as u')
    .join('organisations as o', 'o.id', 'u.organisation_id')
    .where((w) => {
      if (p.role !== 'admin') w.where('u.organisation_id', p.organisationId);
    });
}

export async function findManageableUser(db: Db, p: Principal, id: number): Promise<User | undefined> {
  const row = await manageable(db, p).andWhere('u.id', id).first(USER_COLUMNS);
  return row ? toUser(row) : undefined;
}

export async function listManageableUsers(db: Db, p: Principal, q: UserListQuery) {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = manageable(db, p).modify((qb) => {
    if (q.organisationId) qb.andWhere('u.organisation_id', q.organisationId);
    if (q.role) qb.andWhere('u.role', q.role);
    if (q.active !== undefined) qb.andWhere('u.active', q.active);
    if (q.q) {
      const like = `%${q.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      qb.andWhere((w) => w.where('u.username', 'like', like).orWhere('u.display_name', 'like', like).orWhere('u.phone', 'like', like));
    }
  });
  const [{ n }] = await base.clone().count({ n: '*' });
  const rows = await base.clone().select(USER_COLUMNS).orderBy('u.id').limit(pageSize).offset((page - 1) * pageSize);
  return { items: rows.map(toUser), total: Number(n), page, pageSize };
}

export async function usernameExists(db: Db, username: string): Promise<boolean> {
  return (await db('users').where('username', username).first('id')) !== undefined;
}

export async function insertUser(
  db: Db,
  row: Omit<UserRow, 'id' | 'locked_until' | 'last_login_at'> & { password_hash: string; updated_at: string },
): Promise<number> {
  const [id] = await db('users').insert(row);
  return Number(id);
}

export async function updateUser(db: Db, id: number, patch: Record<string, unknown>): Promise<void> {
  await db('users').where('id', id).update(patch);
}

export async function findMe(db: Db, userId: number): Promise<Me | undefined> {
  const row = await db('users as u').join('organisations as o', 'o.id', 'u.organisation_id').where('u.id', userId).first(
    'u.id',
    'u.username',
    'u.display_name',
    'u.role',
    'u.phone',
    'u.can_sign',
    'u.can_print',
    db.raw('o.id as o_id'),
    'o.kind',
    'o.code',
    'o.name',
    'o.short_name',
    'o.credit_code',
    'o.province',
    'o.city',
    'o.address',
    'o.account_manager_id',
    db.raw('o.active as o_active'),
  );
  if (!row) return undefined;
  const org: OrganisationRow = { ...row, id: row.o_id, active: row.o_active };
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    phone: row.phone,
    canSign: Boolean(row.can_sign),
    canPrint: Boolean(row.can_print),
    organisation: toOrganisation(org),
  };
}
