// Data access for the contracts module's tables: templates, party details, settings, listings, contracts, their
// lines, stored PDF versions and consent events. Organisation scope is applied here, in the query.
import type { Knex } from 'knex';
import type { ContractListQuery, ListingListQuery } from '../../../../shared/api/contracts.js';
import { isCustomer, scopeToCustomers, type Principal } from '../../plugins/access.js';
import { chinaDayStartUtc } from '../../china-time.js';
import { LIKE, likeContains, toDbTime } from '../../db/knex.js';

type Db = Knex | Knex.Transaction;

export interface LineRow {
  position: number;
  variety: string;
  grade: string;
  spec: string;
  kg: number | string;
  price_fen_per_t: number | string;
  amount_fen: number | string;
}

export interface ListingRow {
  id: number;
  listing_no: string;
  intent_contract_id: number;
  customer_id: number;
  state: 'listed' | 'taken' | 'expired' | 'withdrawn';
  delivery_place: string;
  delivery_from: string;
  delivery_to: string;
  delivery_method: string;
  payment_terms: string;
  quality_standard: string;
  template_id: number;
  clauses: string;
  valid_from: string;
  valid_until: string;
  total_kg: number | string;
  amount_fen: number | string;
  created_by: number;
  created_at: string;
  closed_at: string | null;
  closed_by: string | null;
  expiry_reminded_at: string | null;
}

export interface ContractRow {
  id: number;
  contract_no: string;
  listing_id: number;
  intent_contract_id: number;
  customer_id: number;
  state: 'sealing' | 'signed' | 'cancelled';
  total_kg: number | string;
  amount_fen: number | string;
  delivery_from: string;
  delivery_to: string;
  verify_code: string;
  document: string;
  buyer_signer_id: number;
  buyer_signed_at: string;
  seller_authoriser_id: number;
  seller_signed_at: string | null;
  seal_placements: string | null;
  version: number;
  sha256: string | null;
  seal_attempts: number;
  seal_error: string | null;
  next_seal_at: string | null;
  outbox_id: number | string | null;
  delivery_reminded_at: string | null;
  created_at: string;
  updated_at: string;
}

// ---- templates and settings ----

export function templateRows(db: Db) {
  return db('contract_templates').orderBy([{ column: 'name' }, { column: 'version', order: 'desc' }]);
}
export function templateById(db: Db, id: number) {
  return db('contract_templates').where('id', id).first();
}
export function activeTemplate(db: Db) {
  return db('contract_templates').where('state', 'active').orderBy('activated_at', 'desc').first();
}
export async function insertTemplate(db: Db, row: Record<string, unknown>): Promise<number> {
  const [id] = await db('contract_templates').insert(row);
  return Number(id);
}

export async function settingRows(db: Db): Promise<Record<string, string>> {
  const rows: { key: string; value: string }[] = await db('contract_settings').select('key', 'value');
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
export async function putSettings(db: Db, values: Record<string, string>): Promise<void> {
  const rows = Object.entries(values).map(([key, value]) => ({ key, value }));
  if (rows.length) await db('contract_settings').insert(rows).onConflict('key').merge();
}

export function partyRow(db: Db, organisationId: number) {
  return db('organisations as o')
    .leftJoin('contract_party_details as d', 'd.organisation_id', 'o.id')
    .where('o.id', organisationId)
    .first('o.id', 'o.kind', 'o.code', 'o.name', 'o.credit_code', 'o.address', 'o.account_manager_id', 'd.legal_representative', 'd.bank_name', 'd.bank_account', 'd.phone');
}
export async function upsertParty(db: Db, row: Record<string, unknown>): Promise<void> {
  await db('contract_party_details').insert(row).onConflict('organisation_id').merge();
}

// ---- listings ----

function visibleListings(db: Db, p: Principal) {
  const qb = db('listings as l')
    .join('organisations as o', 'o.id', 'l.customer_id')
    .join('contract_templates as t', 't.id', 'l.template_id')
    .leftJoin('contracts as c', 'c.listing_id', 'l.id')
    .select('l.*', 'o.name as customer_name', 't.name as template_name', 't.version as template_version', 'c.id as contract_id');
  return scopeToCustomers(qb, p, 'l.customer_id');
}

export async function listListingRows(db: Db, p: Principal, q: ListingListQuery) {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = visibleListings(db, p);
  if (q.state) base.andWhere('l.state', q.state);
  if (q.customerId && !isCustomer(p)) base.andWhere('l.customer_id', q.customerId);
  const [{ n }] = await base.clone().clearSelect().count({ n: '*' });
  const rows = await base.orderBy('l.id', 'desc').limit(pageSize).offset((page - 1) * pageSize);
  return { rows, total: Number(n), page, pageSize };
}

export function visibleListing(db: Db, p: Principal, id: number) {
  return visibleListings(db, p).andWhere('l.id', id).first();
}

export function listingById(db: Db, id: number): Promise<ListingRow | undefined> {
  return db('listings').where('id', id).first();
}

export function listingLines(db: Db, id: number): Promise<LineRow[]> {
  return db('listing_lines').where('listing_id', id).orderBy('position');
}

export async function insertListing(trx: Db, row: Omit<ListingRow, 'id'>, lines: LineRow[]): Promise<number> {
  const [id] = await trx('listings').insert(row);
  await trx('listing_lines').insert(lines.map((l) => ({ ...l, listing_id: Number(id) })));
  return Number(id);
}

/** Moves a listing from one state to another; false when it was no longer in `from` (a race lost). */
export async function moveListing(trx: Db, id: number, from: ListingRow['state'], to: ListingRow['state'], closedBy: string, at: Date): Promise<boolean> {
  return (await trx('listings').where({ id, state: from }).update({ state: to, closed_at: toDbTime(at), closed_by: closedBy })) === 1;
}

export function dueListings(db: Db, now: Date): Promise<ListingRow[]> {
  return db('listings').where('state', 'listed').where('valid_until', '<=', toDbTime(now)).orderBy('id').limit(500);
}

export function listingsToRemind(db: Db, now: Date, before: Date): Promise<ListingRow[]> {
  return db('listings')
    .where('state', 'listed')
    .whereNull('expiry_reminded_at')
    .where('valid_until', '>', toDbTime(now))
    .where('valid_until', '<=', toDbTime(before))
    .orderBy('id')
    .limit(500);
}

export async function markListingReminded(db: Db, id: number, at: Date): Promise<boolean> {
  return (await db('listings').where('id', id).whereNull('expiry_reminded_at').update({ expiry_reminded_at: toDbTime(at) })) === 1;
}

// ---- contracts ----

function visibleContracts(db: Db, p: Principal) {
  const qb = db('contracts as c')
    .join('organisations as o', 'o.id', 'c.customer_id')
    .join('listings as l', 'l.id', 'c.listing_id')
    .leftJoin('users as am', 'am.id', 'o.account_manager_id')
    .select('c.*', 'o.name as customer_name', 'o.code as customer_code', 'l.listing_no', 'am.display_name as account_manager_name');
  return scopeToCustomers(qb, p, 'c.customer_id');
}

export async function listContractRows(db: Db, p: Principal, q: ContractListQuery) {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const base = visibleContracts(db, p);
  if (q.state) base.andWhere('c.state', q.state);
  if (q.from) base.andWhere('c.buyer_signed_at', '>=', toDbTime(chinaDayStartUtc(q.from)));
  if (q.to) base.andWhere('c.buyer_signed_at', '<', toDbTime(new Date(chinaDayStartUtc(q.to).getTime() + 86_400_000)));
  if (q.variety) base.whereExists((s) => s.select(db.raw('1')).from('contract_lines as cl').whereRaw('cl.contract_id = c.id').andWhere('cl.variety', q.variety!));
  if (q.accountManagerId && !isCustomer(p)) base.andWhere('o.account_manager_id', q.accountManagerId);
  if (q.customerId && !isCustomer(p)) base.andWhere('c.customer_id', q.customerId);
  if (q.q) base.andWhereRaw(LIKE, ['c.contract_no', likeContains(q.q)]);
  const [{ n }] = await base.clone().clearSelect().count({ n: '*' });
  const rows = await base.orderBy('c.id', 'desc').limit(pageSize).offset((page - 1) * pageSize);
  return { rows, total: Number(n), page, pageSize };
}

export function visibleContract(db: Db, p: Principal, id: number) {
  return visibleContracts(db, p).andWhere('c.id', id).first();
}

export function contractById(db: Db, id: number): Promise<ContractRow | undefined> {
  return db('contracts').where('id', id).first();
}

export function contractByNo(db: Db, contractNo: string): Promise<ContractRow | undefined> {
  return db('contracts').where('contract_no', contractNo).first();
}

export function contractLines(db: Db, ids: number[]): Promise<(LineRow & { contract_id: number })[]> {
  return ids.length ? db('contract_lines').whereIn('contract_id', ids).orderBy(['contract_id', 'position']) : Promise.resolve([]);
}

export async function insertContract(trx: Db, row: Omit<ContractRow, 'id'>, lines: LineRow[]): Promise<number> {
  const [id] = await trx('contracts').insert(row);
  await trx('contract_lines').insert(lines.map((l) => ({ ...l, contract_id: Number(id) })));
  return Number(id);
}

/** Stores a new document version if the contract is still at the version the caller started from. */
export async function advanceVersion(trx: Db, id: number, fromVersion: number, changes: Record<string, unknown>): Promise<boolean> {
  return (await trx('contracts').where({ id, version: fromVersion, state: 'sealing' }).update(changes)) === 1;
}

export async function insertDocument(
  trx: Db,
  row: { contract_id: number; version: number; kind: string; pdf: Buffer; sha256: string; size: number; certificate_serial: string | null; created_at: string },
): Promise<void> {
  await trx('contract_documents').insert(row);
}

export function documentVersions(db: Db, contractId: number) {
  return db('contract_documents').where('contract_id', contractId).orderBy('version').select('version', 'kind', 'sha256', 'size', 'certificate_serial', 'created_at');
}

export function documentPdf(db: Db, contractId: number, version: number): Promise<{ pdf: Buffer; sha256: string } | undefined> {
  return db('contract_documents').where({ contract_id: contractId, version }).first('pdf', 'sha256');
}

export function documentBySha(db: Db, sha256: string) {
  return db('contract_documents as d').join('contracts as c', 'c.id', 'd.contract_id').where('d.sha256', sha256).first('c.contract_no', 'c.version as latest', 'd.version');
}

export function contractsToSeal(db: Db, now: Date): Promise<ContractRow[]> {
  return db('contracts').where('state', 'sealing').where('next_seal_at', '<=', toDbTime(now)).orderBy('id').limit(50);
}

export function contractsNearDeliveryEnd(db: Db, untilDay: string): Promise<ContractRow[]> {
  return db('contracts').where('state', 'signed').whereNull('delivery_reminded_at').where('delivery_to', '<=', untilDay).orderBy('id').limit(500);
}

export async function markDeliveryReminded(db: Db, id: number, at: Date): Promise<boolean> {
  return (await db('contracts').where('id', id).whereNull('delivery_reminded_at').update({ delivery_reminded_at: toDbTime(at) })) === 1;
}

export async function insertEvent(
  db: Db,
  row: { listing_id: number; contract_id?: number | null; event: string; user_id?: number | null; username?: string | null; ip?: string | null; user_agent?: string | null; code_id?: number | null; details?: unknown; at: Date },
): Promise<void> {
  await db('contract_events').insert({
    listing_id: row.listing_id,
    contract_id: row.contract_id ?? null,
    event: row.event,
    user_id: row.user_id ?? null,
    username: row.username ?? null,
    ip: row.ip ?? null,
    user_agent: row.user_agent ? row.user_agent.slice(0, 300) : null,
    code_id: row.code_id ?? null,
    details: row.details === undefined ? null : JSON.stringify(row.details),
    at: toDbTime(row.at),
  });
}

export function eventsOf(db: Db, listingId: number) {
  return db('contract_events').where('listing_id', listingId).orderBy('id');
}

export function contractNumbers(db: Db, ids: number[]): Promise<{ id: number; contract_no: string }[]> {
  return ids.length ? db('contracts').whereIn('id', ids).select('id', 'contract_no') : Promise.resolve([]);
}

export function signerRow(db: Db, userId: number): Promise<{ id: number; username: string; display_name: string; phone: string | null; phone_verified_at: string | null; can_sign: number | boolean; active: number | boolean } | undefined> {
  return db('users').where('id', userId).first('id', 'username', 'display_name', 'phone', 'phone_verified_at', 'can_sign', 'active');
}
