// Data access for the organisations table (the mill and customer organisations).
import type { Knex } from 'knex';
import type { Organisation, OrganisationListQuery } from '../../../../shared/api/organisations.js';
import { scopeToCustomers, type Principal } from '../../plugins/access.js';
import { LIKE, likeContains } from '../../db/knex.js';

type Db = Knex | Knex.Transaction;

export interface OrganisationRow {
  id: number;
  kind: 'mill' | 'customer';
  code: string;
  name: string;
  short_name: string | null;
  credit_code: string | null;
  province: string | null;
  city: string | null;
  address: string | null;
  account_manager_id: number | null;
  active: number | boolean;
}

export function toOrganisation(r: OrganisationRow): Organisation {
  return {
    id: r.id,
    kind: r.kind,
    code: r.code,
    name: r.name,
    shortName: r.short_name,
    creditCode: r.credit_code,
    province: r.province,
    city: r.city,
    address: r.address,
    accountManagerId: r.account_manager_id,
    active: Boolean(r.active),
  };
}

/** What a caller may see: customers their own organisation, account managers their customers (and the mill), others all. */
function visible(db: Db, p: Principal) {
  return db('organisations').where((w) => {
    if (p.organisationKind === 'customer') w.where('id', p.organisationId);
    else if (p.role === 'account_manager') w.where('kind', 'mill').orWhere((o) => scopeToCustomers(o, p, 'id'));
  });
}

export async function findVisibleOrganisation(db: Db, p: Principal, id: number): Promise<OrganisationRow | undefined> {
  return visible(db, p).andWhere('id', id).first();
}

export async function findOrganisation(db: Db, id: number): Promise<OrganisationRow | undefined> {
  return db('organisations').where('id', id).first();
}

export async function findMill(db: Db): Promise<OrganisationRow | undefined> {
  return db('organisations').where('kind', 'mill').orderBy('id').first();
}

export async function listVisibleOrganisations(db: Db, p: Principal, q: OrganisationListQuery) {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = visible(db, p).modify((qb) => {
    if (q.kind) qb.andWhere('kind', q.kind);
    if (q.q) {
      const like = likeContains(q.q);
      qb.andWhere((w) => w.whereRaw(LIKE, ['name', like]).orWhereRaw(LIKE, ['code', like]).orWhereRaw(LIKE, ['short_name', like]));
    }
  });
  const [{ n }] = await base.clone().count({ n: '*' });
  const rows: OrganisationRow[] = await base.clone().select('*').orderBy([{ column: 'kind', order: 'desc' }, 'code']).limit(pageSize).offset((page - 1) * pageSize);
  return { items: rows.map(toOrganisation), total: Number(n), page, pageSize };
}

export async function insertOrganisation(db: Db, row: Omit<OrganisationRow, 'id'> & { created_at: string; updated_at: string }): Promise<number> {
  const [id] = await db('organisations').insert(row);
  return Number(id);
}
