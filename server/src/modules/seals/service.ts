// Seal rules: the portal's CA (root made on first need, one certificate per organisation and purpose issued on first
// need, never silently replaced once revoked), applying a seal to a PDF, logging each use against the certificate's
// serial, the separate manage/use/audit rights, and verifying a signed PDF against the CA and its revocations.
import { hkdfSync, X509Certificate } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  SealCertificate,
  SealCertificateList,
  SealRight,
  SealRightList,
  SealUsePage,
  SealUseQuery,
  VerifiedSignature,
} from '../../../../shared/api/contracts.js';
import type { Config } from '../../config.js';
import type { Principal } from '../../plugins/access.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../errors.js';
import { forUpdate, fromDbTime, isDuplicateKey, toDbTime } from '../../db/knex.js';
import { millOrganisation, organisationById } from '../organisations/service.js';
import { createRootCa, issueOrgCertificate, loadSigner, type Signer } from './ca.js';
import { preparePlaceholder, signPlaceholder } from './pades.js';
import { verifyPdf } from './verify.js';
import {
  activeKey,
  deleteRight,
  findActiveCertificate,
  findCertificate,
  findCertificatesBySerial,
  hasRight,
  insertCertificate,
  insertRight,
  insertUse,
  listCertificateRows,
  listUseRows,
  markRevoked,
  rightsRows,
  rootCertificates,
  type CertificatePurpose,
  type CertificateRow,
} from './store.js';

type Db = Knex | Knex.Transaction;
export type SealConfig = Config['seals'];

/** Organisation keys are encrypted with a passphrase derived from the CA passphrase, never with the CA's own. */
function orgKeyPassphrase(cfg: Pick<SealConfig, 'caPassphrase'>): string {
  return Buffer.from(hkdfSync('sha256', cfg.caPassphrase, 'steel-sales-portal', 'organisation-seal-keys', 32)).toString('base64');
}

/** The passphrase a stored key of this purpose is encrypted with, given the CA passphrase. */
export const passphraseOf = (cfg: Pick<SealConfig, 'caPassphrase'>, row: Pick<CertificateRow, 'purpose'>) =>
  row.purpose === 'root' ? cfg.caPassphrase : orgKeyPassphrase(cfg);

/** Inserts a freshly issued certificate unless another request got there first; either way returns the active one. */
async function keepFirst(db: Knex, organisationId: number, purpose: CertificatePurpose, make: () => Promise<Omit<CertificateRow, 'id'>>): Promise<CertificateRow> {
  const row = await make();
  try {
    await insertCertificate(db, row);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const active = await findActiveCertificate(db, organisationId, purpose);
  if (!active) throw new Error(`no active ${purpose} certificate for organisation ${organisationId} after issuing one`);
  return active;
}

function rowOf(
  organisationId: number,
  purpose: CertificatePurpose,
  issued: { certPem: string; keyPem: string; serial: string },
): Omit<CertificateRow, 'id'> {
  const x = new X509Certificate(issued.certPem);
  return {
    organisation_id: organisationId,
    purpose,
    serial: issued.serial.toLowerCase(),
    subject: x.subject.replace(/\n/g, ', '),
    cert_pem: issued.certPem,
    key_pem: issued.keyPem,
    not_before: toDbTime(new Date(x.validFrom)),
    not_after: toDbTime(new Date(x.validTo)),
    state: 'active',
    active_key: activeKey(organisationId, purpose),
    revoked_at: null,
    revoked_by: null,
    revoke_reason: null,
    created_at: toDbTime(new Date()),
  };
}

/** The CA's root, created the first time a seal is needed. A revoked root is not replaced automatically. */
export async function rootCertificate(db: Knex, cfg: SealConfig): Promise<CertificateRow> {
  const mill = await millOrganisation(db);
  const active = await findActiveCertificate(db, mill.id, 'root');
  if (active) return active;
  if ((await rootCertificates(db)).length) {
    // As for organisations (certificateFor): a root made by a concurrent first need between the two reads is active.
    const made = await findActiveCertificate(db, mill.id, 'root');
    if (made) return made;
    throw new Conflict('seal.root_revoked', 'The root of the portal’s CA was revoked');
  }
  return keepFirst(db, mill.id, 'root', async () =>
    rowOf(mill.id, 'root', await createRootCa({ commonName: `${mill.name} 电子签章根证书`, organisation: mill.name, passphrase: cfg.caPassphrase })),
  );
}

/**
 * The active certificate of an organisation for a purpose, issued on first need. Once one was revoked, signing for
 * that organisation stops until an administrator issues a new one: a revoked seal is never quietly replaced.
 */
export async function certificateFor(db: Knex, cfg: SealConfig, organisationId: number, purpose: Exclude<CertificatePurpose, 'root'>): Promise<CertificateRow> {
  const active = await findActiveCertificate(db, organisationId, purpose);
  if (active) return active;
  const any = await db('seal_certificates').where({ organisation_id: organisationId, purpose }).first('id');
  // A concurrent first need may have issued the first one between the two reads: that one is active, not revoked
  // (the surge bench met this with the mill's quality seal at its first concurrent prints).
  if (any) return (await findActiveCertificate(db, organisationId, purpose)) ?? revokedSeal(organisationId, purpose);
  return issue(db, cfg, organisationId, purpose);
}

function revokedSeal(organisationId: number, purpose: Exclude<CertificatePurpose, 'root'>): never {
  throw new Conflict('seal.revoked', 'This organisation’s seal certificate was revoked; an administrator must issue a new one', { organisationId, purpose });
}

async function issue(db: Knex, cfg: SealConfig, organisationId: number, purpose: Exclude<CertificatePurpose, 'root'>): Promise<CertificateRow> {
  const root = await rootCertificate(db, cfg);
  const org = await organisationById(db, organisationId);
  if (!org.creditCode) throw new Conflict('seal.no_credit_code', 'The organisation has no unified social credit code; a seal certificate names it', { organisationId });
  return keepFirst(db, organisationId, purpose, async () =>
    rowOf(
      organisationId,
      purpose,
      await issueOrgCertificate(
        { certPem: root.cert_pem, keyPem: root.key_pem, passphrase: cfg.caPassphrase },
        { orgName: org.name, creditCode: org.creditCode!, purpose, keyPassphrase: orgKeyPassphrase(cfg) },
      ),
    ),
  );
}

/** An administrator with the manage right issues a new certificate, e.g. after revoking a compromised one. */
export async function reissue(db: Knex, cfg: SealConfig, actor: Actor, organisationId: number, purpose: Exclude<CertificatePurpose, 'root'>): Promise<SealCertificate> {
  if (await findActiveCertificate(db, organisationId, purpose)) {
    throw new Conflict('seal.already_active', 'The organisation already has an active certificate for this purpose; revoke it first');
  }
  const row = await issue(db, cfg, organisationId, purpose);
  await db.transaction((trx) => audit(trx, actor, { action: 'seal.issued', entity: 'seal_certificate', entityId: row.id, details: { serial: row.serial, subject: row.subject } }));
  return (await listCertificates(db)).items.find((c) => c.id === row.id)!;
}

// Decrypting a key costs a PBKDF2 run; a signer is kept per serial. Revocation is read from the table at each use.
const signers = new Map<string, Signer>();

async function signerOf(db: Knex, cfg: SealConfig, row: CertificateRow): Promise<Signer> {
  const cached = signers.get(row.serial);
  if (cached) return cached;
  const chain = [(await rootCertificate(db, cfg)).cert_pem];
  const signer = loadSigner({ certPem: row.cert_pem, keyPem: row.key_pem, passphrase: passphraseOf(cfg, row) }, chain);
  if (signers.size > 1000) signers.clear();
  signers.set(row.serial, signer);
  return signer;
}

export interface SealInput {
  pdf: Buffer;
  certificate: CertificateRow;
  fieldName: string;
  page: number;
  rect: [number, number, number, number];
  signingTime: Date;
  name: string;
  reason: string;
  location?: string;
}

/** Applies one seal as an incremental PDF signature (PAdES, with a timestamp when a TSA is configured). */
export async function sealPdf(db: Knex, cfg: SealConfig, input: SealInput): Promise<Buffer> {
  if (input.certificate.state !== 'active') throw new Conflict('seal.revoked', 'A revoked certificate cannot sign');
  const prepared = preparePlaceholder(input.pdf, {
    fieldName: input.fieldName,
    page: input.page,
    rect: input.rect,
    signingTime: input.signingTime,
    name: input.name,
    reason: input.reason,
    location: input.location,
  });
  const signer = await signerOf(db, cfg, input.certificate);
  return signPlaceholder(prepared, signer, cfg.tsaUrl ? { tsa: { url: cfg.tsaUrl, timeoutMs: cfg.tsaTimeoutMs } } : {});
}

/**
 * Logs a seal's use in the transaction that stores the sealed document, after locking the certificate row: a
 * revocation committed meanwhile refuses the use, so no document signed by a revoked certificate is ever stored.
 */
export async function recordUse(
  trx: Knex.Transaction,
  use: { certificateId: number; subjectType: 'contract' | 'certificate'; subjectId: number; documentSha256: string; authorisedBy: number | null; at: Date },
): Promise<void> {
  const row = (await forUpdate(trx, trx('seal_certificates').where('id', use.certificateId)).first()) as CertificateRow | undefined;
  if (!row || row.state !== 'active') throw new Conflict('seal.revoked', 'A revoked certificate cannot sign');
  await insertUse(trx, {
    certificate_id: row.id,
    serial: row.serial,
    subject_type: use.subjectType,
    subject_id: use.subjectId,
    document_sha256: use.documentSha256,
    authorised_by: use.authorisedBy,
    used_at: toDbTime(use.at),
  });
}

// ---- governance ----

export async function requireSealRight(db: Db, p: Principal, right: SealRight): Promise<void> {
  if (!(await hasRight(db, p.userId, right))) throw new Forbidden('seal.no_right', `This needs the seal right "${right}"`, { right });
}

export async function sealRightsOf(db: Db, userId: number): Promise<SealRight[]> {
  const rows: { seal_right: SealRight }[] = await db('seal_rights').where('user_id', userId).orderBy('seal_right').select('seal_right');
  return rows.map((r) => r.seal_right);
}

/** Every use of a seal on one subject, oldest first, for its evidence bundle. */
export async function usesOf(db: Db, subjectType: 'contract' | 'certificate', subjectId: number): Promise<{ usedAt: string; serial: string; documentSha256: string; authorisedBy: string | null }[]> {
  const rows = await db('seal_uses as s').leftJoin('users as u', 'u.id', 's.authorised_by').where({ subject_type: subjectType, subject_id: subjectId }).orderBy('s.id').select('s.*', 'u.username');
  return rows.map((u: any) => ({ usedAt: fromDbTime(u.used_at)!, serial: u.serial, documentSha256: u.document_sha256, authorisedBy: u.username ?? null }));
}

export function userHasSealRight(db: Db, userId: number, right: SealRight): Promise<boolean> {
  return hasRight(db, userId, right);
}

export async function listCertificates(db: Db): Promise<SealCertificateList> {
  const rows = await listCertificateRows(db);
  return {
    items: rows.map((r: any) => ({
      id: r.id,
      organisationId: r.organisation_id,
      organisationName: r.organisation_name,
      purpose: r.purpose,
      serial: r.serial,
      subject: r.subject,
      notBefore: fromDbTime(r.not_before)!,
      notAfter: fromDbTime(r.not_after)!,
      state: r.state,
      revokedAt: fromDbTime(r.revoked_at),
      revokedBy: r.revoked_by,
      revokeReason: r.revoke_reason,
      uses: Number(r.uses),
    })),
  };
}

export async function revoke(trx: Knex.Transaction, actor: Actor, id: number, reason: string): Promise<void> {
  const row = await findCertificate(trx, id);
  if (!row) throw new NotFound('seal.not_found', 'Certificate not found');
  if (!(await markRevoked(trx, id, toDbTime(new Date()), actor.username ?? String(actor.userId ?? 'system'), reason))) {
    throw new Conflict('seal.already_revoked', 'This certificate is already revoked');
  }
  signers.delete(row.serial);
  await audit(trx, actor, { action: 'seal.revoked', entity: 'seal_certificate', entityId: id, details: { serial: row.serial, subject: row.subject, reason } });
}

export async function listUses(db: Db, q: SealUseQuery, subjectNo: (type: string, ids: number[]) => Promise<Map<number, string>>): Promise<SealUsePage> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const { total, rows } = listUseRows(db, { serial: q.serial, limit: pageSize, offset: (page - 1) * pageSize });
  const [t, list] = await Promise.all([total, rows]);
  const contractNos = await subjectNo('contract', list.filter((r: any) => r.subject_type === 'contract').map((r: any) => Number(r.subject_id)));
  return {
    items: list.map((r: any) => ({
      id: Number(r.id),
      serial: r.serial,
      subjectType: r.subject_type,
      subjectId: Number(r.subject_id),
      subjectNo: r.subject_type === 'contract' ? (contractNos.get(Number(r.subject_id)) ?? null) : null,
      documentSha256: r.document_sha256,
      authorisedBy: r.authorised_username ?? null,
      usedAt: fromDbTime(r.used_at)!,
    })),
    total: Number((t as any)?.n ?? 0),
    page,
    pageSize,
  };
}

export async function listRights(db: Db): Promise<SealRightList> {
  const rows = await rightsRows(db);
  return {
    items: rows.map((r: any) => ({
      userId: r.user_id,
      username: r.username,
      displayName: r.display_name,
      right: r.seal_right,
      grantedBy: r.granted_by,
      grantedAt: fromDbTime(r.granted_at)!,
    })),
  };
}

/** Seal rights are for mill staff only: a customer's seal is used by its users with the signing right. */
export async function grantRight(trx: Knex.Transaction, actor: Actor, userId: number, right: SealRight): Promise<void> {
  const user = await trx('users as u').join('organisations as o', 'o.id', 'u.organisation_id').where('u.id', userId).first('u.id', 'o.kind');
  if (!user) throw new NotFound('user.not_found', 'User not found');
  if (user.kind !== 'mill') throw new Invalid('seal.staff_only', 'Seal rights are given to mill staff only');
  await insertRight(trx, { user_id: userId, seal_right: right, granted_by: actor.username ?? 'system', granted_at: toDbTime(new Date()) });
  await audit(trx, actor, { action: 'seal.right_granted', entity: 'user', entityId: userId, details: { right } });
}

export async function withdrawRight(trx: Knex.Transaction, actor: Actor, userId: number, right: SealRight): Promise<void> {
  if (!(await deleteRight(trx, userId, right))) throw new NotFound('seal.right_not_found', 'The user does not hold this right');
  await audit(trx, actor, { action: 'seal.right_withdrawn', entity: 'user', entityId: userId, details: { right } });
}

// ---- verification ----

export interface SealVerification {
  intact: boolean;
  modifiedAfterSigning: boolean;
  signatures: VerifiedSignature[];
}

/** Checks a signed PDF: digests and signatures, the chain to the portal's root, validity and revocation at signing. */
export async function verify(db: Knex, pdf: Buffer): Promise<SealVerification> {
  const roots = (await rootCertificates(db)).map((r) => Buffer.from(new X509Certificate(r.cert_pem).raw));
  let result;
  try {
    result = verifyPdf(pdf, { trustedRootsDer: roots });
  } catch (err) {
    throw new Invalid('verify.not_signed_pdf', `This file is not a PDF with readable signatures: ${(err as Error).message}`);
  }
  const known = new Map((await findCertificatesBySerial(db, result.signatures.map((s) => s.serial.toLowerCase()))).map((r) => [r.serial, r]));
  const signatures = result.signatures.map((s): VerifiedSignature => {
    const row = known.get(s.serial.toLowerCase());
    const at = s.timestamp?.time ?? s.signingTime;
    const when = at ? new Date(at).getTime() : NaN;
    const revokedAt = fromDbTime(row?.revoked_at ?? null);
    const withinValidity = Number.isFinite(when) && when >= new Date(s.notBefore).getTime() && when <= new Date(s.notAfter).getTime();
    const notRevokedThen = !revokedAt || when < new Date(revokedAt).getTime();
    return {
      fieldName: s.fieldName,
      signerName: s.signerCommonName,
      signerSubject: s.signerSubject,
      serial: s.serial.toLowerCase(),
      issuerSubject: s.issuerSubject,
      signingTime: s.signingTime ?? null,
      timestampTime: s.timestamp?.time ?? null,
      intact: s.digestValid && s.signatureValid,
      trusted: s.chainValid && Boolean(row),
      validAtSigning: withinValidity && notRevokedThen && Boolean(row),
      revokedAt,
    };
  });
  const intact = signatures.length > 0 && signatures.every((s) => s.intact && s.trusted && s.validAtSigning) && !result.modifiedAfterLastSignature;
  return { intact, modifiedAfterSigning: result.modifiedAfterLastSignature, signatures };
}

/** The root certificate in PEM, for relying parties to import (e.g. into an NSS database for pdfsig). */
export async function rootPem(db: Knex, cfg: SealConfig): Promise<string> {
  return (await rootCertificate(db, cfg)).cert_pem;
}

/** The chain of an organisation's certificate, leaf first, for the evidence bundle. */
export async function chainOf(db: Knex, cfg: SealConfig, serial: string): Promise<string[]> {
  const [row] = await findCertificatesBySerial(db, [serial.toLowerCase()]);
  if (!row) return [];
  return [row.cert_pem, (await rootCertificate(db, cfg)).cert_pem];
}
