// Data access for the seals module's tables: certificates with their encrypted keys, seal rights and seal uses.
import type { Knex } from 'knex';
import type { SealRight } from '../../../../shared/api/contracts.js';

type Db = Knex | Knex.Transaction;

export type CertificatePurpose = 'root' | 'contract' | 'quality';

export interface CertificateRow {
  id: number;
  organisation_id: number;
  purpose: CertificatePurpose;
  serial: string;
  subject: string;
  cert_pem: string;
  key_pem: string;
  not_before: string;
  not_after: string;
  state: 'active' | 'revoked';
  active_key: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  created_at: string;
}

export const activeKey = (organisationId: number, purpose: CertificatePurpose) => `${organisationId}:${purpose}`;

export function findActiveCertificate(db: Db, organisationId: number, purpose: CertificatePurpose): Promise<CertificateRow | undefined> {
  return db('seal_certificates').where('active_key', activeKey(organisationId, purpose)).first();
}

export function findCertificate(db: Db, id: number): Promise<CertificateRow | undefined> {
  return db('seal_certificates').where('id', id).first();
}

export function findCertificatesBySerial(db: Db, serials: string[]): Promise<CertificateRow[]> {
  return serials.length ? db('seal_certificates').whereIn('serial', serials) : Promise.resolve([]);
}

export function rootCertificates(db: Db): Promise<CertificateRow[]> {
  return db('seal_certificates').where('purpose', 'root').orderBy('id');
}

export async function insertCertificate(trx: Db, row: Omit<CertificateRow, 'id'>): Promise<number> {
  const [id] = await trx('seal_certificates').insert(row);
  return Number(id);
}

/** Revokes an active certificate; false when it was not active (already revoked, or a race lost). */
export async function markRevoked(trx: Db, id: number, at: string, by: string, reason: string): Promise<boolean> {
  const n = await trx('seal_certificates')
    .where({ id, state: 'active' })
    .update({ state: 'revoked', active_key: null, revoked_at: at, revoked_by: by, revoke_reason: reason });
  return n === 1;
}

export function listCertificateRows(db: Db) {
  return db('seal_certificates as c')
    .join('organisations as o', 'o.id', 'c.organisation_id')
    .leftJoin(db('seal_uses').select('certificate_id').count({ n: '*' }).groupBy('certificate_id').as('u'), 'u.certificate_id', 'c.id')
    .select('c.id', 'c.organisation_id', 'o.name as organisation_name', 'c.purpose', 'c.serial', 'c.subject', 'c.not_before', 'c.not_after', 'c.state')
    .select('c.revoked_at', 'c.revoked_by', 'c.revoke_reason', db.raw('coalesce(u.n, 0) as uses'))
    .orderBy('c.id', 'desc');
}

export async function insertUse(
  trx: Db,
  row: { certificate_id: number; serial: string; subject_type: string; subject_id: number; document_sha256: string; authorised_by: number | null; used_at: string },
): Promise<void> {
  await trx('seal_uses').insert(row);
}

export function listUseRows(db: Db, q: { serial?: string; limit: number; offset: number }) {
  const base = db('seal_uses as s').modify((b) => {
    if (q.serial) b.where('s.serial', q.serial.toLowerCase());
  });
  return {
    total: base.clone().count({ n: '*' }).first(),
    rows: base
      .clone()
      .leftJoin('users as u', 'u.id', 's.authorised_by')
      .select('s.*', 'u.username as authorised_username')
      .orderBy('s.id', 'desc')
      .limit(q.limit)
      .offset(q.offset),
  };
}

export function rightsRows(db: Db) {
  return db('seal_rights as r').join('users as u', 'u.id', 'r.user_id').select('r.*', 'u.username', 'u.display_name').orderBy(['r.seal_right', 'u.username']);
}

export async function hasRight(db: Db, userId: number, right: SealRight): Promise<boolean> {
  return Boolean(await db('seal_rights').where({ user_id: userId, seal_right: right }).first('user_id'));
}

export async function insertRight(trx: Db, row: { user_id: number; seal_right: SealRight; granted_by: string; granted_at: string }): Promise<void> {
  await trx('seal_rights').insert(row).onConflict(['user_id', 'seal_right']).ignore();
}

export function deleteRight(trx: Db, userId: number, right: SealRight): Promise<number> {
  return trx('seal_rights').where({ user_id: userId, seal_right: right }).delete();
}
