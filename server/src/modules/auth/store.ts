// Data access for users' credentials, sign-in sessions, refresh tokens and sign-in attempts.
import type { Knex } from 'knex';
import type { Role } from '../../../../shared/roles.js';
import type { Principal } from '../../plugins/access.js';

type Db = Knex | Knex.Transaction;

export interface CredentialRow {
  id: number;
  organisation_id: number;
  username: string;
  password_hash: string;
  active: number | boolean;
  organisation_active: number | boolean;
  failed_logins: number;
  locked_until: string | null;
  token_version: number;
}

export async function findCredentials(db: Db, username: string): Promise<CredentialRow | undefined> {
  return db('users as u')
    .join('organisations as o', 'o.id', 'u.organisation_id')
    .where('u.username', username)
    .first(
      'u.id',
      'u.organisation_id',
      'u.username',
      'u.password_hash',
      'u.active',
      'o.active as organisation_active',
      'u.failed_logins',
      'u.locked_until',
      'u.token_version',
    );
}

export async function findCredentialsById(db: Db, userId: number): Promise<CredentialRow | undefined> {
  const row = await db('users').where('id', userId).first('username');
  return row ? findCredentials(db, row.username) : undefined;
}

export async function updateUserAuth(
  db: Db,
  userId: number,
  patch: Partial<{
    failed_logins: number;
    locked_until: string | null;
    last_login_at: string;
    password_hash: string;
    token_version: number;
    must_change_password: boolean;
    updated_at: string;
  }>,
): Promise<void> {
  await db('users').where('id', userId).update(patch);
}

export async function incrementFailedLogins(db: Db, userId: number): Promise<number> {
  await db('users').where('id', userId).increment('failed_logins', 1);
  const row = await db('users').where('id', userId).first('failed_logins');
  return Number(row.failed_logins);
}

/** Records a sign-in attempt (counted by the rate limits) and returns its id. */
export async function recordAttempt(db: Db, row: { username: string; ip: string; success: boolean; created_at: string }): Promise<number> {
  const [id] = await db('login_attempts').insert(row);
  return Number(id);
}

/** The attempt turned out to succeed: the same row says so, so that one sign-in counts once. */
export async function markAttemptSucceeded(db: Db, id: number): Promise<void> {
  await db('login_attempts').where('id', id).update({ success: true });
}

export async function countAttempts(db: Db, by: 'username' | 'ip', value: string, since: string): Promise<{ n: number; oldest: string | null }> {
  const [row] = await db('login_attempts').where(by, value).where('created_at', '>', since).select(db.raw('count(*) as n'), db.raw('min(created_at) as oldest'));
  return { n: Number(row.n), oldest: row.oldest ?? null };
}

export async function deleteAttemptsBefore(db: Db, before: string): Promise<number> {
  return db('login_attempts').where('created_at', '<', before).delete();
}

export async function insertSession(db: Db, row: { user_id: number; ip: string | null; user_agent: string | null; created_at: string }): Promise<number> {
  const [id] = await db('auth_sessions').insert(row);
  return Number(id);
}

export async function revokeSession(db: Db, sessionId: number, reason: string, at: string): Promise<void> {
  await db('auth_sessions').where('id', sessionId).whereNull('revoked_at').update({ revoked_at: at, revoked_reason: reason });
}

export async function revokeUserSessions(db: Db, userId: number, reason: string, at: string, exceptSessionId?: number): Promise<void> {
  await db('auth_sessions')
    .where('user_id', userId)
    .whereNull('revoked_at')
    .modify((qb) => {
      if (exceptSessionId !== undefined) qb.whereNot('id', exceptSessionId);
    })
    .update({ revoked_at: at, revoked_reason: reason });
}

export async function insertRefreshToken(db: Db, row: { session_id: number; token_hash: string; expires_at: string; created_at: string }): Promise<void> {
  await db('refresh_tokens').insert(row);
}

export interface RefreshRow {
  id: number;
  session_id: number;
  expires_at: string;
  used_at: string | null;
  session_revoked_at: string | null;
  user_id: number;
}

export async function findRefreshToken(db: Db, tokenHash: string): Promise<RefreshRow | undefined> {
  return db('refresh_tokens as t')
    .join('auth_sessions as s', 's.id', 't.session_id')
    .where('t.token_hash', tokenHash)
    .first('t.id', 't.session_id', 't.expires_at', 't.used_at', 's.revoked_at as session_revoked_at', 's.user_id');
}

/** Marks a refresh token used; false when another request used it first (a reuse). */
export async function markRefreshTokenUsed(db: Db, id: number, at: string): Promise<boolean> {
  const n = await db('refresh_tokens').where('id', id).whereNull('used_at').update({ used_at: at });
  return n === 1;
}

export async function deleteExpiredRefreshTokens(db: Db, before: string): Promise<number> {
  return db('refresh_tokens').where('expires_at', '<', before).delete();
}

export interface LoadedPrincipal {
  principal: Principal;
  active: boolean;
  organisationActive: boolean;
  sessionRevoked: boolean;
  tokenVersion: number;
}

/** The user, their organisation and the session, in one indexed query (run on every authenticated request). */
export async function loadPrincipal(db: Db, userId: number, sessionId: number): Promise<LoadedPrincipal | undefined> {
  const row = await db('users as u')
    .join('organisations as o', 'o.id', 'u.organisation_id')
    .join('auth_sessions as s', function () {
      this.on('s.user_id', '=', 'u.id').andOn('s.id', '=', db.raw('?', [sessionId]));
    })
    .where('u.id', userId)
    .first(
      'u.id',
      'u.username',
      'u.display_name',
      'u.role',
      'u.organisation_id',
      'u.can_answer',
      'u.can_sign',
      'u.can_print',
      'u.must_change_password',
      'u.active',
      'u.token_version',
      'o.kind',
      'o.active as organisation_active',
      's.revoked_at',
    );
  if (!row) return undefined;
  return {
    principal: {
      userId: row.id,
      username: row.username,
      displayName: row.display_name,
      role: row.role as Role,
      organisationId: row.organisation_id,
      organisationKind: row.kind,
      sessionId,
      canAnswer: Boolean(row.can_answer),
      canSign: Boolean(row.can_sign),
      canPrint: Boolean(row.can_print),
      mustChangePassword: Boolean(row.must_change_password),
    },
    active: Boolean(row.active),
    organisationActive: Boolean(row.organisation_active),
    sessionRevoked: row.revoked_at !== null,
    tokenVersion: Number(row.token_version),
  };
}
