// Data access for the users table (scope of the caller applied in the query) and the user's phone verifications.
import type { Knex } from 'knex';
import type { User, UserListQuery } from '../../../../shared/api/users.js';
import type { Me } from '../../../../shared/api/auth.js';
import type { Role } from '../../../../shared/roles.js';
import type { Principal } from '../../plugins/access.js';
import { forUpdate, fromDbTime, LIKE, likeContains } from '../../db/knex.js';
import { toOrganisation, type OrganisationRow } from '../organisations/store.js';

type Db = Knex | Knex.Transaction;

export interface UserRow {
  id: number;
  organisation_id: number;
  username: string;
  display_name: string;
  role: Role;
  phone: string | null;
  phone_verified_at: string | null;
  can_answer: number | boolean;
  can_sign: number | boolean;
  can_print: number | boolean;
  active: number | boolean;
  must_change_password: number | boolean;
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
  'u.phone_verified_at',
  'u.can_answer',
  'u.can_sign',
  'u.can_print',
  'u.active',
  'u.must_change_password',
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
    phoneVerified: r.phone_verified_at !== null,
    canAnswer: Boolean(r.can_answer),
    canSign: Boolean(r.can_sign),
    canPrint: Boolean(r.can_print),
    active: Boolean(r.active),
    mustChangePassword: Boolean(r.must_change_password),
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
      const like = likeContains(q.q);
      qb.andWhere((w) => w.whereRaw(LIKE, ['u.username', like]).orWhereRaw(LIKE, ['u.display_name', like]).orWhereRaw(LIKE, ['u.phone', like]));
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
  row: Omit<UserRow, 'id' | 'locked_until' | 'last_login_at' | 'phone_verified_at'> & { password_hash: string; updated_at: string },
): Promise<number> {
  const [id] = await db('users').insert(row);
  return Number(id);
}

export async function updateUser(db: Db, id: number, patch: Record<string, unknown>): Promise<void> {
  await db('users').where('id', id).update(patch);
}

export async function findMe(db: Db, userId: number): Promise<Omit<Me, 'sealRights'> | undefined> {
  const row = await db('users as u').join('organisations as o', 'o.id', 'u.organisation_id').where('u.id', userId).first(
    'u.id',
    'u.username',
    'u.display_name',
    'u.role',
    'u.phone',
    'u.phone_verified_at',
    'u.can_answer',
    'u.can_sign',
    'u.can_print',
    'u.must_change_password',
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
    phoneVerified: row.phone_verified_at !== null,
    canAnswer: Boolean(row.can_answer),
    canSign: Boolean(row.can_sign),
    canPrint: Boolean(row.can_print),
    mustChangePassword: Boolean(row.must_change_password),
    organisation: toOrganisation(org),
  };
}

/** The fields of one user that phone changes and verification work on, locked for the transaction on MySQL. */
export async function findUserPhoneForUpdate(
  db: Db,
  userId: number,
): Promise<{ id: number; phone: string | null; phone_verified_at: string | null; can_sign: boolean } | undefined> {
  const row = await db('users')
    .where('id', userId)
    // Serialises a user's concurrent code requests, so the rate limit counts each of them.
    .modify((q) => forUpdate(db, q))
    .first('id', 'phone', 'phone_verified_at', 'can_sign');
  return row ? { ...row, can_sign: Boolean(row.can_sign) } : undefined;
}

export interface PhoneVerificationRow {
  id: number;
  user_id: number;
  phone: string;
  code_hash: string;
  expires_at: string;
  attempts: number;
  consumed_at: string | null;
  created_at: string;
}

export async function insertPhoneVerification(db: Db, row: Omit<PhoneVerificationRow, 'id' | 'attempts' | 'consumed_at'>): Promise<number> {
  const [id] = await db('phone_verifications').insert({ ...row, attempts: 0 });
  return Number(id);
}

/** How many codes the user was sent since a time, and when the oldest of them was. */
export async function countPhoneVerifications(db: Db, userId: number, since: string): Promise<{ n: number; oldest: string | null }> {
  const [row] = await db('phone_verifications')
    .where('user_id', userId)
    .where('created_at', '>', since)
    .select(db.raw('count(*) as n'), db.raw('min(created_at) as oldest'));
  return { n: Number(row.n), oldest: row.oldest ?? null };
}

/** The newest code sent to the user at this phone and not used yet: only it can verify. */
export async function findLatestPhoneVerification(db: Db, userId: number, phone: string): Promise<PhoneVerificationRow | undefined> {
  return db('phone_verifications')
    .where({ user_id: userId, phone })
    .whereNull('consumed_at')
    .orderBy('id', 'desc')
    .first();
}

/** Counts one try against a code; false when its tries are used up (so parallel guesses cannot exceed the limit). */
export async function countPhoneVerificationTry(db: Db, id: number, maxTries: number): Promise<boolean> {
  const n = await db('phone_verifications').where('id', id).where('attempts', '<', maxTries).increment('attempts', 1);
  return n === 1;
}

export async function consumePhoneVerification(db: Db, id: number, at: string): Promise<boolean> {
  const n = await db('phone_verifications').where('id', id).whereNull('consumed_at').update({ consumed_at: at });
  return n === 1;
}

export async function deletePhoneVerificationsBefore(db: Db, before: string): Promise<number> {
  return db('phone_verifications').where('created_at', '<', before).delete();
}
