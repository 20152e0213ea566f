// Data access for authorised printing: print rights, the guarded copy counters, share links and printed copies.
import type { Knex } from 'knex';
import { forUpdate } from '../../db/knex.js';
import { isCustomer, scopeToCustomers, type Principal } from '../../plugins/access.js';

type Db = Knex | Knex.Transaction;
export type Series = 'customer' | 'office';

export interface PrintRightRow {
  customer_id: number;
  allowed: number | boolean;
  copies_per_certificate: number;
}

export interface ShareRow {
  id: number;
  certificate_id: number;
  customer_id: number;
  token: string;
  buyer_name: string;
  expires_at: string;
  max_copies: number;
  used: number;
  revoked_at: string | null;
  revoked_by: string | null;
  created_by: number;
  created_by_name?: string;
  created_at: string;
}

export interface CopyRow {
  id: number;
  copy_no: string;
  certificate_id: number;
  customer_id: number;
  series: Series;
  n: number;
  m: number;
  share_id: number | null;
  printed_by_user_id: number | null;
  printed_by: string;
  printed_for: string;
  printed_at: string;
  verify_code: string;
  short_code: string;
  pdf_sha256: string;
  data_sha256: string;
  size: number;
}

const COPY_COLUMNS = ['c.id', 'c.copy_no', 'c.certificate_id', 'c.customer_id', 'c.series', 'c.n', 'c.m', 'c.share_id', 'c.printed_by_user_id', 'c.printed_by', 'c.printed_for', 'c.printed_at', 'c.verify_code', 'c.short_code', 'c.pdf_sha256', 'c.data_sha256', 'c.size'];

export function printRight(db: Db, customerId: number): Promise<PrintRightRow | undefined> {
  return db('certificate_print_rights').where('customer_id', customerId).first();
}

export async function upsertPrintRight(trx: Db, row: PrintRightRow & { updated_by: string; updated_at: string }): Promise<void> {
  await trx('certificate_print_rights').insert(row).onConflict('customer_id').merge(['allowed', 'copies_per_certificate', 'updated_by', 'updated_at']);
}

/** The user's print right as stored now (not as the session remembers it), so a withdrawal refuses at once. */
export async function userCanPrint(db: Db, userId: number): Promise<boolean> {
  const r = await db('users').where({ id: userId, active: true }).first('can_print');
  return Boolean(r?.can_print);
}

export async function ensureCounter(trx: Db, certificateId: number, customerId: number, series: Series): Promise<void> {
  await trx('certificate_print_counters').insert({ certificate_id: certificateId, customer_id: customerId, series, used: 0 }).onConflict(['certificate_id', 'customer_id', 'series']).ignore();
}

/**
 * Takes the next copy number unless `limit` copies were taken: one guarded UPDATE, so concurrent prints never pass
 * the limit whatever their interleaving. Returns the number taken, or null with the count when the limit is reached.
 */
export async function takeCopyNumber(trx: Knex.Transaction, certificateId: number, customerId: number, series: Series, limit: number | null): Promise<{ n: number } | { used: number }> {
  const key = { certificate_id: certificateId, customer_id: customerId, series };
  const q = trx('certificate_print_counters').where(key);
  if (limit !== null) q.andWhere('used', '<', limit);
  const changed = await q.increment('used', 1);
  const row = await forUpdate(trx, trx('certificate_print_counters').where(key)).first('used');
  const used = Number(row?.used ?? 0);
  return Number(changed) > 0 ? { n: used } : { used };
}

/** Gives a number back after a failed render, only if no later number was taken meanwhile (else it stays a gap). */
export async function giveBackCopyNumber(trx: Db, certificateId: number, customerId: number, series: Series, n: number): Promise<void> {
  await trx('certificate_print_counters').where({ certificate_id: certificateId, customer_id: customerId, series, used: n }).decrement('used', 1);
}

export async function counterUsed(db: Db, certificateId: number, customerId: number, series: Series): Promise<number> {
  const r = await db('certificate_print_counters').where({ certificate_id: certificateId, customer_id: customerId, series }).first('used');
  return Number(r?.used ?? 0);
}

export async function insertShare(trx: Db, row: Omit<ShareRow, 'id' | 'created_by_name'>): Promise<number> {
  const [id] = await trx('certificate_shares').insert(row);
  return Number(id);
}

const shareQuery = (db: Db) => db('certificate_shares as s').join('users as u', 'u.id', 's.created_by').select('s.*', 'u.display_name as created_by_name');

export function shareById(db: Db, id: number): Promise<ShareRow | undefined> {
  return shareQuery(db).where('s.id', id).first();
}

export function shareByToken(db: Db, token: string): Promise<ShareRow | undefined> {
  return shareQuery(db).where('s.token', token).first();
}

export function sharesOf(db: Db, certificateId: number, customerId: number | null): Promise<ShareRow[]> {
  const q = shareQuery(db).where('s.certificate_id', certificateId).orderBy('s.id', 'desc');
  if (customerId !== null) q.andWhere('s.customer_id', customerId);
  return q;
}

/** A share link's use, guarded like the copy counter: usable, unexpired and under its own limit. */
export async function takeShareUse(trx: Db, shareId: number, now: string): Promise<boolean> {
  const n = await trx('certificate_shares').where('id', shareId).whereNull('revoked_at').andWhere('expires_at', '>', now).andWhere('used', '<', trx.ref('max_copies')).increment('used', 1);
  return Number(n) > 0;
}

export async function giveBackShareUse(trx: Db, shareId: number): Promise<void> {
  await trx('certificate_shares').where('id', shareId).andWhere('used', '>', 0).decrement('used', 1);
}

export async function lockShare(trx: Knex.Transaction, shareId: number): Promise<ShareRow | undefined> {
  return forUpdate(trx, trx('certificate_shares').where('id', shareId)).first();
}

export async function revokeShare(trx: Db, shareId: number, by: string, at: string): Promise<boolean> {
  return Number(await trx('certificate_shares').where('id', shareId).whereNull('revoked_at').update({ revoked_at: at, revoked_by: by })) > 0;
}

export async function insertCopy(trx: Db, row: Omit<CopyRow, 'id'> & { pdf: Buffer }): Promise<number> {
  const [id] = await trx('certificate_copies').insert(row);
  return Number(id);
}

export function copyByCode(db: Db, column: 'verify_code' | 'short_code', code: string): Promise<CopyRow | undefined> {
  return db('certificate_copies as c').where(`c.${column}`, code).first(COPY_COLUMNS);
}

/** Copies a caller reaches: staff by their customers, a customer its own copies (not the mill's office copies). */
function visibleCopies<T extends Knex.QueryBuilder>(q: T, p: Principal): T {
  scopeToCustomers(q, p, 'c.customer_id');
  if (isCustomer(p)) q.andWhere('c.series', 'customer');
  return q;
}

/** A copy's PDF, for its customer's users or staff by scope. */
export function visibleCopyPdf(db: Db, p: Principal, copyNo: string): Promise<(CopyRow & { pdf: Buffer }) | undefined> {
  return visibleCopies(db('certificate_copies as c').where('c.copy_no', copyNo), p).first([...COPY_COLUMNS, 'c.pdf']);
}

export function copyPdfByCode(db: Db, verifyCode: string): Promise<{ pdf: Buffer; pdf_sha256: string } | undefined> {
  return db('certificate_copies').where('verify_code', verifyCode).first('pdf', 'pdf_sha256');
}

export interface LogRow extends CopyRow {
  certificate_no: string;
  customer_code: string;
  customer_name: string | null;
  buyer_name: string | null;
}

function logQuery(db: Db, p: Principal) {
  return visibleCopies(
    db('certificate_copies as c')
      .join('certificates as ct', 'ct.id', 'c.certificate_id')
      .leftJoin('organisations as o', 'o.id', 'c.customer_id')
      .leftJoin('certificate_shares as s', 's.id', 'c.share_id'),
    p,
  );
}

export async function printLog(db: Db, p: Principal, f: { certificateId?: number; customerId?: number; limit: number; offset: number }): Promise<{ rows: LogRow[]; total: number }> {
  const base = () => {
    const q = logQuery(db, p);
    if (f.certificateId !== undefined) q.andWhere('c.certificate_id', f.certificateId);
    if (f.customerId !== undefined) q.andWhere('c.customer_id', f.customerId);
    return q;
  };
  const [count, rows] = await Promise.all([
    base().count({ n: '*' }).first(),
    base()
      .orderBy('c.printed_at', 'desc')
      .orderBy('c.id', 'desc')
      .limit(f.limit)
      .offset(f.offset)
      .select([...COPY_COLUMNS, 'ct.certificate_no', 'ct.customer_code', 'o.name as customer_name', 's.buyer_name']),
  ]);
  return { rows: rows as LogRow[], total: Number((count as { n: number } | undefined)?.n ?? 0) };
}
