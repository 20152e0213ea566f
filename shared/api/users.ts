// User administration: mill administrators manage everyone, customer admins their own organisation.
import { Type, type Static } from 'typebox';
import { PageQuery, Page, Timestamp } from './common.js';
import { RoleSchema, Username, NewPassword } from './auth.js';

export const Phone = Type.String({ pattern: '^1[3-9][0-9]{9}$', description: 'mainland China mobile number' });

export const User = Type.Object({
  id: Type.Integer(),
  organisationId: Type.Integer(),
  organisationName: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  phone: Type.Union([Type.String(), Type.Null()]),
  canSign: Type.Boolean(),
  canPrint: Type.Boolean(),
  active: Type.Boolean(),
  lockedUntil: Type.Union([Timestamp, Type.Null()]),
  lastLoginAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
});
export type User = Static<typeof User>;

export const UserListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ maxLength: 64 })),
    organisationId: Type.Optional(Type.Integer({ minimum: 1 })),
    role: Type.Optional(RoleSchema),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UserListQuery = Static<typeof UserListQuery>;

export const UserPage = Page(User);
export type UserPage = Static<typeof UserPage>;

export const CreateUserBody = Type.Object(
  {
    organisationId: Type.Integer({ minimum: 1 }),
    username: Username,
    displayName: Type.String({ minLength: 1, maxLength: 64 }),
    role: RoleSchema,
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    canSign: Type.Optional(Type.Boolean()),
    canPrint: Type.Optional(Type.Boolean()),
    password: NewPassword,
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    role: Type.Optional(RoleSchema),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    canSign: Type.Optional(Type.Boolean()),
    canPrint: Type.Optional(Type.Boolean()),
    active: Type.Optional(Type.Boolean()),
    unlock: Type.Optional(Type.Boolean({ description: 'clear a sign-in lockout' })),
    password: Type.Optional(NewPassword),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;
