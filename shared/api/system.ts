// Liveness and readiness answers.
import { Type, type Static } from 'typebox';

export const Health = Type.Object({ status: Type.Literal('ok'), version: Type.String() });
export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Object({
    portalDb: Type.Object({ ok: Type.Boolean(), pendingMigrations: Type.Integer(), message: Type.Optional(Type.String()) }),
    stagingDb: Type.Object({ ok: Type.Boolean(), pendingMigrations: Type.Integer(), message: Type.Optional(Type.String()) }),
  }),
});
export type Readiness = Static<typeof Readiness>;
