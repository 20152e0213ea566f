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
  phoneVerified: Type.Boolean({ description: 'the user proved they receive SMS at this phone; signers need it' }),
  // Customer rights (customer roles only): answer allocations, sign contracts, print quality certificates.
  canAnswer: Type.Boolean(),
  canSign: Type.Boolean(),
  canPrint: Type.Boolean(),
  active: Type.Boolean(),
  mustChangePassword: Type.Boolean({ description: 'invited or reset: still on a temporary password' }),
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
    canAnswer: Type.Optional(Type.Boolean()),
    canSign: Type.Optional(Type.Boolean()),
    canPrint: Type.Optional(Type.Boolean()),
    // Omit to invite: a temporary password is generated and returned once.
    password: Type.Optional(NewPassword),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    role: Type.Optional(RoleSchema),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    canAnswer: Type.Optional(Type.Boolean()),
    canSign: Type.Optional(Type.Boolean()),
    canPrint: Type.Optional(Type.Boolean()),
    active: Type.Optional(Type.Boolean()),
    unlock: Type.Optional(Type.Boolean({ description: 'clear a sign-in lockout' })),
    password: Type.Optional(NewPassword),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

/** The answer to an invitation: the user, and the temporary password when one was generated (shown once, never stored). */
export const CreatedUser = Type.Object({
  ...User.properties,
  temporaryPassword: Type.Optional(Type.String({ description: 'only when the request had no password; shown once' })),
});
export type CreatedUser = Static<typeof CreatedUser>;

export const PasswordResetReply = Type.Object({
  user: User,
  temporaryPassword: Type.String({ description: 'shown once; the user must change it at sign-in' }),
});
export type PasswordResetReply = Static<typeof PasswordResetReply>;

// Phone verification of the signed-in user (DESIGN.md §5: contract signing sends a one-time code to this phone).
export const ChangeMyPhoneBody = Type.Object({ phone: Type.Union([Phone, Type.Null()]) }, { additionalProperties: false });
export type ChangeMyPhoneBody = Static<typeof ChangeMyPhoneBody>;

export const PhoneCodeSent = Type.Object({
  phone: Type.String({ description: 'the number the code goes to, partly masked' }),
  expiresAt: Timestamp,
  resendAfterSeconds: Type.Integer({ description: 'wait this long before asking for another code' }),
});
export type PhoneCodeSent = Static<typeof PhoneCodeSent>;

export const VerifyPhoneBody = Type.Object(
  { code: Type.String({ pattern: '^[0-9]{6}$', description: 'the 6-digit code from the SMS' }) },
  { additionalProperties: false },
);
export type VerifyPhoneBody = Static<typeof VerifyPhoneBody>;
