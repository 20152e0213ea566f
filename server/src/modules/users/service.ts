// User administration rules: who may create, change or reset which users, which rights fit which users, and what a
// change does to their sessions and their verified phone.
import type { Knex } from 'knex';
import type { CreateUserBody, UpdateUserBody, User, UserListQuery, UserPage } from '../../../../shared/api/users.js';
import type { Me } from '../../../../shared/api/auth.js';
import { isCustomerRole, type Role } from '../../../../shared/roles.js';
import type { Principal } from '../../plugins/access.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { Conflict, Invalid, NotFound, Forbidden } from '../../errors.js';
import { nowDb } from '../../db/knex.js';
import { findOrganisation } from '../organisations/store.js';
import { revokeUserSessions } from '../auth/store.js';
import { findManageableUser, findMe, insertUser, listManageableUsers, updateUser, usernameExists } from './store.js';
import { sealRightsOf } from '../seals/service.js';

export function listUsers(db: Knex, p: Principal, q: UserListQuery): Promise<UserPage> {
  return listManageableUsers(db, p, q);
}

export async function getMe(db: Knex | Knex.Transaction, userId: number): Promise<Me> {
  const me = await findMe(db, userId);
  if (!me) throw new NotFound('user.not_found', 'User not found');
  return { ...me, sealRights: await sealRightsOf(db, userId) };
}

/**
 * A role must fit its organisation: customer roles in customer organisations, staff roles in the mill. A customer
 * admin naming any organisation but their own gets the answer a missing one gets, so ids reveal nothing.
 */
async function checkRoleFits(trx: Knex.Transaction, p: Principal, organisationId: number, role: Role): Promise<void> {
  const notFound = () => new NotFound('organisation.not_found', 'Organisation not found');
  if (p.role !== 'admin' && organisationId !== p.organisationId) throw notFound();
  const org = await findOrganisation(trx, organisationId);
  if (!org) throw notFound();
  if (p.role !== 'admin' && !isCustomerRole(role)) {
    throw new Forbidden('user.role_not_allowed', 'You may only manage customer users of your own organisation');
  }
  if ((org.kind === 'customer') !== isCustomerRole(role)) {
    throw new Invalid('user.role_not_allowed', `Role ${role} does not fit a ${org.kind} organisation`, { organisationId, role });
  }
}

type Rights = Pick<CreateUserBody, 'canAnswer' | 'canSign' | 'canPrint'>;

/** Answering allocations, signing contracts and printing certificates are things a customer's people do. */
function checkRightsFit(role: Role, rights: Rights): void {
  if (isCustomerRole(role)) return;
  const granted = (['canAnswer', 'canSign', 'canPrint'] as const).filter((k) => rights[k] === true);
  if (granted.length) {
    throw new Invalid('user.right_not_applicable', 'Answer, signing and printing rights belong to customer users', { role, rights: granted });
  }
}

const phoneUnverified = () =>
  new Conflict('user.phone_unverified', 'A signer needs a verified mobile phone: the user must verify it first (signing codes are sent there)');

/**
 * Creates a user. passwordHash is of the chosen password or of a generated temporary one; either way someone other
 * than the user knows it, so the user must choose their own at the first sign-in.
 */
export async function createUser(
  trx: Knex.Transaction,
  p: Principal,
  actor: Actor,
  body: CreateUserBody,
  passwordHash: string,
): Promise<User> {
  await checkRoleFits(trx, p, body.organisationId, body.role);
  checkRightsFit(body.role, body);
  // A new user's phone cannot be verified yet.
  if (body.canSign) throw phoneUnverified();
  if (await usernameExists(trx, body.username.toLowerCase())) throw new Conflict('user.username_taken', 'This username is already taken');
  const customer = isCustomerRole(body.role);
  const now = nowDb();
  const id = await insertUser(trx, {
    organisation_id: body.organisationId,
    username: body.username.toLowerCase(),
    display_name: body.displayName,
    role: body.role,
    phone: body.phone ?? null,
    can_answer: customer && (body.canAnswer ?? false),
    can_sign: false,
    can_print: customer && (body.canPrint ?? false),
    active: true,
    must_change_password: true,
    password_hash: passwordHash,
    created_at: now,
    updated_at: now,
  });
  await audit(trx, actor, {
    action: 'user.create',
    entity: 'user',
    entityId: id,
    details: { ...body, password: undefined, invited: body.password === undefined },
  });
  return (await findManageableUser(trx, p, id))!;
}

export async function changeUser(
  trx: Knex.Transaction,
  p: Principal,
  actor: Actor,
  id: number,
  body: UpdateUserBody,
  passwordHash: string | null,
): Promise<User> {
  const before = await findManageableUser(trx, p, id);
  if (!before) throw new NotFound('user.not_found', 'User not found');
  if (id === p.userId && (body.active === false || (body.role !== undefined && body.role !== before.role))) {
    throw new Conflict('user.self_change', 'You cannot disable yourself or change your own role');
  }
  const role = body.role ?? before.role;
  if (body.role !== undefined) await checkRoleFits(trx, p, before.organisationId, body.role);
  checkRightsFit(role, body);
  // A new number is unproven: its verification and the signing right that rests on it both go.
  const phoneChanged = body.phone !== undefined && body.phone !== before.phone;
  const phoneVerified = before.phoneVerified && !phoneChanged;
  if (body.canSign === true && !phoneVerified) throw phoneUnverified();

  const now = nowDb();
  const patch: Record<string, unknown> = { updated_at: now };
  if (body.displayName !== undefined) patch.display_name = body.displayName;
  if (body.role !== undefined) patch.role = body.role;
  if (phoneChanged) Object.assign(patch, { phone: body.phone, phone_verified_at: null, can_sign: false });
  if (body.canAnswer !== undefined) patch.can_answer = body.canAnswer;
  if (body.canSign !== undefined) patch.can_sign = body.canSign;
  if (body.canPrint !== undefined) patch.can_print = body.canPrint;
  if (!isCustomerRole(role)) Object.assign(patch, { can_answer: false, can_sign: false, can_print: false });
  if (body.active !== undefined) patch.active = body.active;
  if (body.unlock) Object.assign(patch, { locked_until: null, failed_logins: 0 });
  // A password set by someone else is temporary, like a generated one.
  if (passwordHash) Object.assign(patch, { password_hash: passwordHash, must_change_password: true });
  await updateUser(trx, id, patch);
  // A disabled user or a reset password ends every session at once, refresh tokens included.
  if (body.active === false || passwordHash) {
    await revokeUserSessions(trx, id, body.active === false ? 'disabled' : 'password_reset', now);
  }
  const after = (await findManageableUser(trx, p, id))!;
  const changed: Record<string, { from: unknown; to: unknown }> = Object.fromEntries(
    Object.entries(body)
      .filter(([k]) => k !== 'password')
      .map(([k, v]) => [k, { from: (before as Record<string, unknown>)[k] ?? null, to: v }]),
  );
  if (phoneChanged && before.phoneVerified) changed.phoneVerified = { from: true, to: false };
  if (phoneChanged && before.canSign && body.canSign === undefined) changed.canSign = { from: true, to: false };
  await audit(trx, actor, {
    action: 'user.update',
    entity: 'user',
    entityId: id,
    details: { changed, passwordReset: Boolean(passwordHash) },
  });
  return after;
}

/**
 * Replaces a user's password with a temporary one (hashed by the caller), ends all their sessions, clears a
 * sign-in lockout and makes them choose a new password at the next sign-in. One's own password is changed, not reset.
 */
export async function resetPassword(trx: Knex.Transaction, p: Principal, actor: Actor, id: number, passwordHash: string): Promise<User> {
  const before = await findManageableUser(trx, p, id);
  if (!before) throw new NotFound('user.not_found', 'User not found');
  if (id === p.userId) throw new Conflict('user.self_change', 'Change your own password instead of resetting it');
  const now = nowDb();
  await updateUser(trx, id, { password_hash: passwordHash, must_change_password: true, failed_logins: 0, locked_until: null, updated_at: now });
  await revokeUserSessions(trx, id, 'password_reset', now);
  await audit(trx, actor, { action: 'user.password_reset', entity: 'user', entityId: id, details: { temporary: true, sessionsRevoked: true } });
  return (await findManageableUser(trx, p, id))!;
}
