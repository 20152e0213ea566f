// Schemas every route shares: the error body, paging, ids.
import { Type, type Static } from 'typebox';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable machine-readable code, e.g. auth.invalid_credentials' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

export const PageQuery = {
  // Bounded so that (page - 1) * pageSize stays an exact, small offset on both databases.
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
};

export function Page<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    page: Type.Integer(),
    pageSize: Type.Integer(),
  });
}

// UTC timestamps travel as ISO 8601 strings; the web shows them in Asia/Shanghai.
export const Timestamp = Type.String({ format: 'date-time' });

export const Ok = Type.Object({ ok: Type.Literal(true) });
