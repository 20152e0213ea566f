// Organisation rules: who may read which organisation.
import type { Knex } from 'knex';
import type { Organisation, OrganisationListQuery, OrganisationPage } from '../../../../shared/api/organisations.js';
import type { Principal } from '../../plugins/access.js';
import { NotFound } from '../../errors.js';
import { findMill, findOrganisation, findVisibleOrganisation, listVisibleOrganisations, toOrganisation } from './store.js';

/** Reads one organisation; one outside the caller's scope is reported as not found, so its existence does not leak. */
export async function getOrganisation(db: Knex, p: Principal, id: number): Promise<Organisation> {
  const row = await findVisibleOrganisation(db, p, id);
  if (!row) throw new NotFound('organisation.not_found', 'Organisation not found');
  return toOrganisation(row);
}

export function listOrganisations(db: Knex, p: Principal, q: OrganisationListQuery): Promise<OrganisationPage> {
  return listVisibleOrganisations(db, p, q);
}

/** For other modules' own rules (e.g. a contract's parties): one organisation without a caller's scope. */
export async function organisationById(db: Knex | Knex.Transaction, id: number): Promise<Organisation> {
  const row = await findOrganisation(db, id);
  if (!row) throw new NotFound('organisation.not_found', 'Organisation not found');
  return toOrganisation(row);
}

/** The mill itself (kind 'mill'): the seller of every contract and the holder of the portal's CA. */
export async function millOrganisation(db: Knex | Knex.Transaction): Promise<Organisation> {
  const row = await findMill(db);
  if (!row) throw new NotFound('organisation.no_mill', 'The mill organisation is not set up');
  return toOrganisation(row);
}
