// The audit log as administrators read it.
import { Type, type Static } from 'typebox';
import { PageQuery, Page, Timestamp } from './common.js';

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  userId: Type.Union([Type.Integer(), Type.Null()]),
  username: Type.Union([Type.String(), Type.Null()]),
  organisationId: Type.Union([Type.Integer(), Type.Null()]),
  action: Type.String(),
  entity: Type.String(),
  entityId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  details: Type.Unknown(),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditListQuery = Type.Object(
  {
    ...PageQuery,
    action: Type.Optional(Type.String({ maxLength: 64 })),
    entity: Type.Optional(Type.String({ maxLength: 64 })),
    userId: Type.Optional(Type.Integer({ minimum: 1 })),
    from: Type.Optional(Type.String({ format: 'date' })),
    to: Type.Optional(Type.String({ format: 'date' })),
  },
  { additionalProperties: false },
);
export type AuditListQuery = Static<typeof AuditListQuery>;

export const AuditPage = Page(AuditEntry);
export type AuditPage = Static<typeof AuditPage>;
