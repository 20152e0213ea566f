// User administration rules: who may create or change which users, and what a change does to their sessions.
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

export function listUsers(db: Knex, p: Principal, q: UserListQuery): Promise<UserPage> {
  return listManageableUsers(db, p, q);
}

export async function getMe(db: Knex | Knex.Transaction, userId: number): Promise<Me> {
  const me = await findMe(db, userId);
  if (!me) throw new NotFound('user.not_found', 'User not found');
  return me;
}

/** A role must fit its organisation: customer roles in customer organisations, staff roles in the mill. */
async function checkRoleFits(trx: Knex.Transaction, p: Principal, organisationId: number, role: Role): Promise<void> {
  const org = await findOrganisation(trx, organisationId);
  if (!org) throw new NotFound('organisation.not_found', 'Organisation not found');
  if (p.role !== 'admin' && (organisationId !== p.organisationId || !isCustomerRole(role))) {
    throw new Forbidden('user.role_not_allowed', 'You may only manage customer users of your own organisation');
  }
  if ((org.kind === 'customer') !== isCustomerRole(role)) {
    throw new Invalid('user.role_not_allowed', `Role ${role} does not fit a ${org.kind} organisation`, { organisationId, role });
  }
}

export async function createUser(
  trx: Knex.Transaction,
  p: Principal,
  actor: Actor,
  body: CreateUserBody,
  passwordHash: string,
): Promise<User> {
  await checkRoleFits(trx, p, body.organisationId, body.role);
  if (await usernameExists(trx, body.username.toLowerCase())) throw new Conflict('user.username_taken', 'This username is already taken');
  const customer = isCustomerRole(body.role);
  const now = nowDb();
  const id = await insertUser(trx, {
    organisation_id: body.organisationId,
    username: body.username.toLowerCase(),
    display_name: body.displayName,
    role: body.role,
    phone: body.phone ?? null,
    can_sign: customer && (body.canSign ?? false),
    can_print: customer && (body.canPrint ?? false),
    active: true,
    password_hash: passwordHash,
    created_at: now,
    updated_at: now,
  });
  await audit(trx, actor, {
    action: 'user.create',
    entity: 'user',
    entityId: id,
    details: { ...body, password: undefined },
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
  const customer = isCustomerRole(role);
  if (!customer && (body.canSign || body.canPrint)) {
    throw new Invalid('user.rights_customer_only', 'Signing and printing rights belong to customer users');
  }
  const now = nowDb();
  const patch: Record<string, unknown> = { updated_at: now };
  if (body.displayName !== undefined) patch.display_name = body.displayName;
  if (body.role !== undefined) patch.role = body.role;
  if (body.phone !== undefined) patch.phone = body.phone;
  if (body.canSign !== undefined) patch.can_sign = body.canSign;
  if (body.canPrint !== undefined) patch.can_print = body.canPrint;
  if (!customer) Object.assign(patch, { can_sign: false, can_print: false });
  if (body.active !== undefined) patch.active = body.active;
  if (body.unlock) Object.assign(patch, { locked_until: null, failed_logins: 0 });
  if (passwordHash) patch.password_hash = passwordHash;
  await updateUser(trx, id, patch);
  // A disabled user or a reset password ends every session at once, refresh tokens included.
  if (body.active === false || passwordHash) {
    await revokeUserSessions(trx, id, body.active === false ? 'disabled' : 'password_reset', now);
  }
  const after = (await findManageableUser(trx, p, id))!;
  const changed = Object.fromEntries(
    Object.entries(body)
      .filter(([k]) => k !== 'password')
      .map(([k, v]) => [k, { from: (before as Record<string, unknown>)[k] ?? null, to: v }]),
  );
  await audit(trx, actor, {
    action: 'user.update',
    entity: 'user',
    entityId: id,
    details: { changed, passwordReset: Boolean(passwordHash) },
  });
  return after;
}
