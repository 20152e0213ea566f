// Sign-in, token refresh, sign-out, the current user and password change.
import { Type, type Static } from 'typebox';
import { ROLES, type Role } from '../roles.js';

export const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });

export const Username = Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' });
// Passwords: at least 8 characters with a letter and a digit (OWASP ASVS 2.1 length minimum).
export const NewPassword = Type.String({ minLength: 8, maxLength: 128, pattern: '^(?=.*[A-Za-z])(?=.*[0-9]).+$' });

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const Organisation = Type.Object({
  id: Type.Integer(),
  kind: Type.Union([Type.Literal('mill'), Type.Literal('customer')]),
  code: Type.String(),
  name: Type.String(),
  shortName: Type.Union([Type.String(), Type.Null()]),
  creditCode: Type.Union([Type.String(), Type.Null()], { description: 'unified social credit code (统一社会信用代码)' }),
  province: Type.Union([Type.String(), Type.Null()]),
  city: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
  accountManagerId: Type.Union([Type.Integer(), Type.Null()]),
  active: Type.Boolean(),
});
export type Organisation = Static<typeof Organisation>;

export const Me = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  phone: Type.Union([Type.String(), Type.Null()]),
  phoneVerified: Type.Boolean({ description: 'the user proved they receive SMS at this phone' }),
  canAnswer: Type.Boolean(),
  canSign: Type.Boolean(),
  canPrint: Type.Boolean(),
  mustChangePassword: Type.Boolean({ description: 'signed in with a temporary password: choose a new one before anything else' }),
  /** mill staff's separate seal rights: manage (the CA), use (the mill's seal), audit (its log) */
  sealRights: Type.Array(Type.Unsafe<'manage' | 'use' | 'audit'>({ type: 'string', enum: ['manage', 'use', 'audit'] })),
  organisation: Organisation,
});
export type Me = Static<typeof Me>;

export const LoginReply = Type.Object({
  accessToken: Type.String(),
  expiresIn: Type.Integer({ description: 'seconds' }),
  user: Me,
});
export type LoginReply = Static<typeof LoginReply>;

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 128 }),
    newPassword: NewPassword,
  },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;
