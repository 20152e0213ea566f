// Organisations: the mill and its customers (the Customers module adds the commercial profile).
import { Type, type Static } from 'typebox';
import { PageQuery, Page } from './common.js';
import { Organisation } from './auth.js';

export { Organisation };

export const OrganisationListQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(Type.Union([Type.Literal('mill'), Type.Literal('customer')])),
  },
  { additionalProperties: false },
);
export type OrganisationListQuery = Static<typeof OrganisationListQuery>;

export const OrganisationPage = Page(Organisation);
export type OrganisationPage = Static<typeof OrganisationPage>;
