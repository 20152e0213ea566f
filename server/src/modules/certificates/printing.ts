// Authorised remote printing of quality certificates (授权远程打印, issue 7): print rights per customer, sealed and
// numbered copies (副本 n/m) that never exceed the allowed copies under concurrency, share links for a customer's
// buyers, the print log, and the public verification of a copy by its code and, optionally, its PDF.
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  CertificateCopy,
  CertificateDetail,
  CertificateShare,
  CopyVerification,
  PrintLogPage,
  PrintLogQuery,
  PrintRights,
  PrintRightsBody,
  PublicBatch,
  ShareBody,
  SharedCertificate,
} from '../../../../shared/api/certificates.js';
import type { Config } from '../../config.js';
import { fromDbTime, toDbTime } from '../../db/knex.js';
import { AppError, Conflict, Forbidden, Invalid, NotFound } from '../../errors.js';
import { isCustomer, scopeToCustomers, type Principal } from '../../plugins/access.js';
import { audit, type Actor } from '../../plugins/audit.js';
import { millOrganisation } from '../organisations/service.js';
import { certificateFor, recordUse, sealPdf, verify } from '../seals/service.js';
import type { CertificateBatch, CertificateDocument, CertificatePdf, CertificateResult } from './document.js';
import { certificateForPrint, type CertificateForPrint } from './service.js';
import * as ps from './print-store.js';
import * as store from './store.js';

export interface PrintDeps {
  db: Knex;
  config: Config;
  render: (doc: CertificateDocument) => Promise<CertificatePdf>;
}

class Gone extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(410, code, message, details);
  }
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

// ---- codes ----

/** Crockford's base32: no I, L, O, U, so a typed code survives the usual misreadings. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out;
}

/** 160 random bits as 32 characters for the QR; its first 16 characters (80 bits) are the typed short code. */
function newVerifyCode(): { code: string; short: string } {
  const code = base32(randomBytes(20));
  return { code, short: code.slice(0, 16) };
}

export const shortCodeText = (short: string) => short.match(/.{4}/g)!.join('-');

/** Accepts the QR's 32-character code or the printed 16-character one, in any case, with dashes or spaces. */
export function parseVerifyCode(input: string): { column: 'verify_code' | 'short_code'; value: string } | null {
  const v = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (!/^[0-9A-HJKMNP-TV-Z]+$/.test(v)) return null;
  if (v.length === 32) return { column: 'verify_code', value: v };
  if (v.length === 16) return { column: 'short_code', value: v };
  return null;
}

// `/verify/<code>`, the address issue 7 names for a copy's public verification page.
const verifyUrlOf = (cfg: Config, code: string) => `${cfg.publicUrl}/verify/${code}`;
const shareUrlOf = (cfg: Config, token: string) => `${cfg.publicUrl}/shared/${token}`;
const pdfUrlOf = (copyNo: string) => `/api/certificate-copies/${encodeURIComponent(copyNo)}/pdf`;

/**
 * The hash of the certificate's data as printed: everything the copy shows of the certificate, not its withdrawal
 * or sync time, so a later change of the ERP's data (a correction) shows on verification as a mismatch.
 */
export function dataHashOf(c: CertificateDetail): string {
  const { id: _id, withdrawal: _w, syncedAt: _s, ...data } = c;
  return sha256(JSON.stringify(data));
}

// ---- print rights ----

export async function printRights(db: Knex | Knex.Transaction, cfg: Config, customerId: number): Promise<PrintRights> {
  const r = await ps.printRight(db, customerId);
  if (!r) return { customerId, allowed: cfg.certificates.defaultPrintAllowed, copiesPerCertificate: cfg.certificates.defaultCopiesPerCertificate, isDefault: true };
  return { customerId, allowed: Boolean(r.allowed), copiesPerCertificate: Number(r.copies_per_certificate), isDefault: false };
}

/** The customer, if the caller (when given) may see it: its own users, its account manager, other staff. */
async function requireCustomer(db: Knex | Knex.Transaction, customerId: number, p?: Principal): Promise<void> {
  const q = db('organisations').where({ id: customerId, kind: 'customer' });
  const o = await (p ? scopeToCustomers(q, p, 'id') : q).first('id');
  if (!o) throw new NotFound('customer.not_found', 'Customer not found');
}

export async function getPrintRights(db: Knex, cfg: Config, p: Principal, customerId: number): Promise<PrintRights> {
  await requireCustomer(db, customerId, p);
  return printRights(db, cfg, customerId);
}

export async function setPrintRights(trx: Knex.Transaction, cfg: Config, actor: Actor, customerId: number, body: PrintRightsBody): Promise<PrintRights> {
  await requireCustomer(trx, customerId);
  await ps.upsertPrintRight(trx, { customer_id: customerId, allowed: body.allowed, copies_per_certificate: body.copiesPerCertificate, updated_by: actor.username ?? 'system', updated_at: toDbTime(new Date()) });
  await audit(trx, actor, { action: 'certificate.print_rights', entity: 'organisation', entityId: customerId, details: body });
  return printRights(trx, cfg, customerId);
}

// ---- printing ----

function resultsOf(b: CertificateDetail['batches'][number], group: 'chemical' | 'mechanical' | 'other'): CertificateResult[] {
  return b.results
    .filter((r) => r.group === group)
    .map((r) => ({
      symbol: r.symbol,
      valueText: r.value,
      ...(r.operator ? { operator: r.operator } : {}),
      ...(r.unit ? { unit: r.unit } : {}),
      ...(r.min !== null ? { min: r.min } : {}),
      ...(r.max !== null ? { max: r.max } : {}),
      inSpec: r.inSpec,
    }));
}

/** The renderer's input: the certificate as issued, exactly as the ERP sent its values, and this copy. */
export function documentOf(f: CertificateForPrint, copy: CertificateDocument['copy']): CertificateDocument {
  const c = f.certificate;
  const batches: CertificateBatch[] = c.batches.map((b) => ({
    heatNo: b.heatNo,
    batchNo: b.batchNo,
    ...(b.coilNos.length ? { coilNos: b.coilNos } : {}),
    ...(b.bundleNos.length ? { bundleNos: b.bundleNos } : {}),
    grade: b.grade,
    spec: b.spec,
    pieces: b.pieces,
    weightKg: b.weightKg,
    chemical: resultsOf(b, 'chemical'),
    mechanical: resultsOf(b, 'mechanical'),
    other: resultsOf(b, 'other'),
    result: b.result,
  }));
  return {
    certificateNo: c.certificateNo,
    documentType: c.documentType === 'zh_quality_certificate' ? '质量证明书' : c.documentType,
    issueDate: c.issueDate,
    standard: c.standard,
    productName: c.productName,
    mill: { name: f.mill?.name ?? '', ...(f.mill?.address ? { address: f.mill.address } : {}) },
    customerName: c.customer.name ?? c.customer.code,
    ...(c.contractNo ? { contractNo: c.contractNo } : {}),
    ...(c.deliveryNo ? { deliveryNo: c.deliveryNo } : {}),
    ...(c.vehicleNo ? { vehicleNo: c.vehicleNo } : {}),
    inspector: c.inspector,
    batches,
    copy,
    withdrawn: c.withdrawal !== null,
  };
}

/** Who asks for a copy: a signed-in user, or a buyer holding a share link. */
export type Printer = { kind: 'user'; principal: Principal; actor: Actor } | { kind: 'share'; token: string; actor: Actor };

export interface PrintedCopy {
  copy: CertificateCopy;
  pdf: Buffer;
}

async function shareForPrint(db: Knex, token: string, now: Date): Promise<ps.ShareRow> {
  const s = await ps.shareByToken(db, token);
  if (!s) throw new NotFound('share.not_found', 'No such share link');
  checkShare(s, now);
  return s;
}

function checkShare(s: ps.ShareRow, now: Date): void {
  if (s.revoked_at) throw new Gone('share.revoked', 'The customer revoked this share link', { revokedAt: fromDbTime(s.revoked_at) });
  if (new Date(fromDbTime(s.expires_at)!).getTime() <= now.getTime()) throw new Gone('share.expired', 'This share link has expired', { expiresAt: fromDbTime(s.expires_at) });
  if (Number(s.used) >= Number(s.max_copies)) throw new Conflict('share.exhausted', 'Every copy this share link allows has been printed', { maxCopies: Number(s.max_copies), used: Number(s.used) });
}

/**
 * Prints one copy. Customer users need their own print right (read now, not from the session) and their
 * organisation's; the copy counts against the customer's copies of the certificate, as do copies its buyers print
 * through share links. Quality staff print office copies (series 'office', copy number S01, S02..., printed as
 * 副本 n/n because the renderer prints only allowed copies), which count against nothing.
 * The number is taken by a guarded counter first (it is printed on the page), the PDF rendered and sealed outside
 * any transaction, then the copy, the seal use and the print log entry are stored in one transaction.
 */
export async function printCopy(deps: PrintDeps, who: Printer, certificateId: number | null): Promise<PrintedCopy> {
  const { db, config } = deps;
  const now = new Date();
  let share: ps.ShareRow | null = null;
  let cert: store.CertificateRow | undefined;
  let office = false;
  if (who.kind === 'share') {
    share = await shareForPrint(db, who.token, now);
    cert = await store.findCertificate(db, share.certificate_id);
  } else {
    cert = await store.findVisible(db, who.principal, certificateId!);
    office = !isCustomer(who.principal);
  }
  if (!cert) throw new NotFound('certificate.not_found', `Certificate ${certificateId} not found`);
  if (cert.withdrawn_at) throw new Conflict('certificate.withdrawn', `Certificate ${cert.certificate_no} was withdrawn by the mill`, { at: fromDbTime(cert.withdrawn_at), reason: cert.withdrawn_reason });
  const customerId = cert.customer_id;
  if (customerId === null) throw new Conflict('certificate.no_customer', 'The certificate’s customer is not known to the portal yet');
  const rights = await printRights(db, config, customerId);
  if (!office) {
    if (who.kind === 'user' && !(await ps.userCanPrint(db, who.principal.userId))) throw new Forbidden('print.not_allowed', 'You do not have the right to print certificates');
    if (!rights.allowed) throw new Forbidden('print.not_allowed', 'The mill does not allow this customer to print certificates');
  }
  const series: ps.Series = office ? 'office' : 'customer';
  const limitM = office ? null : rights.copiesPerCertificate;

  // Take the copy number (and the share link's use) in a short transaction of its own.
  // The counter row is made on its own first: inserting it inside the guarded transaction lets concurrent prints
  // deadlock on MariaDB's gap locks; the guarded UPDATE alone only queues them on the row's lock.
  await ps.ensureCounter(db, cert.id, customerId, series);
  const n = await db.transaction(async (trx) => {
    const taken = await ps.takeCopyNumber(trx, cert!.id, customerId, series, limitM);
    if (!('n' in taken)) throw new Conflict('print.limit_reached', `All ${limitM} copies of certificate ${cert!.certificate_no} allowed to this customer have been printed`, { allowed: limitM, used: taken.used });
    if (share && !(await ps.takeShareUse(trx, share.id, toDbTime(now)))) {
      checkShare((await ps.shareById(trx, share.id))!, now);
      throw new Conflict('share.exhausted', 'Every copy this share link allows has been printed');
    }
    return taken.n;
  });
  const m = limitM ?? n;

  const giveBack = () =>
    db.transaction(async (trx) => {
      await ps.giveBackCopyNumber(trx, cert!.id, customerId, series, n);
      if (share) await ps.giveBackShareUse(trx, share.id);
    });

  try {
    const forPrint = await certificateForPrint(db, cert.id);
    const { code, short } = newVerifyCode();
    const customerName = forPrint.certificate.customer.name ?? forPrint.certificate.customer.code;
    const copyNo = `${cert.certificate_no}-${office ? 'S' : 'C'}${String(n).padStart(2, '0')}`;
    const printedBy = who.kind === 'user' ? who.principal.displayName : `分享链接 (${customerName})`;
    const printedFor = share ? share.buyer_name : customerName;
    const copy: CertificateCopy = {
      copyNo,
      n,
      m,
      office,
      printedAt: now.toISOString(),
      printedBy,
      printedFor,
      verifyCode: shortCodeText(short),
      verifyUrl: verifyUrlOf(config, code),
      pdfUrl: pdfUrlOf(copyNo),
    };
    const rendered = await deps.render(documentOf(forPrint, { copyNo, n, m, printedBy, printedFor, printedAt: copy.printedAt, verifyCode: copy.verifyCode, verifyUrl: copy.verifyUrl }));
    const mill = await millOrganisation(db);
    const sealCert = await certificateFor(db, config.seals, mill.id, 'quality');
    const pdf = await sealPdf(db, config.seals, {
      pdf: Buffer.from(rendered.pdf),
      certificate: sealCert,
      fieldName: 'QualitySeal',
      page: rendered.seal.page,
      rect: rendered.seal.rect,
      signingTime: now,
      name: `${mill.name} 质量专用章`,
      reason: `质保书 ${cert.certificate_no} 副本 ${copyNo}`,
    });
    const pdfHash = sha256(pdf);
    await db.transaction(async (trx) => {
      // A right or share link withdrawn while the copy was rendered refuses it still.
      if (share) {
        const s = await ps.lockShare(trx, share.id);
        if (!s || s.revoked_at) throw new Gone('share.revoked', 'The customer revoked this share link');
      } else if (!office && who.kind === 'user' && !(await ps.userCanPrint(trx, who.principal.userId))) {
        throw new Forbidden('print.not_allowed', 'You do not have the right to print certificates');
      }
      await ps.insertCopy(trx, {
        copy_no: copyNo,
        certificate_id: cert!.id,
        customer_id: customerId,
        series,
        n,
        m,
        share_id: share?.id ?? null,
        printed_by_user_id: who.kind === 'user' ? who.principal.userId : null,
        printed_by: printedBy,
        printed_for: printedFor,
        printed_at: toDbTime(now),
        verify_code: code,
        short_code: short,
        pdf_sha256: pdfHash,
        data_sha256: dataHashOf(forPrint.certificate),
        size: pdf.length,
        pdf,
      });
      await recordUse(trx, { certificateId: sealCert.id, subjectType: 'certificate', subjectId: cert!.id, documentSha256: pdfHash, authorisedBy: who.kind === 'user' ? who.principal.userId : null, at: now });
      await audit(
        trx,
        who.actor,
        { action: 'certificate.print', entity: 'certificate', entityId: cert!.id, details: { copyNo, n, m, office, printedFor, shareId: share?.id ?? null, sha256: pdfHash } },
        who.kind === 'share' ? { organisationId: customerId } : {},
      );
    });
    return { copy, pdf };
  } catch (err) {
    await giveBack().catch(() => undefined);
    throw err;
  }
}

export async function copyPdf(db: Knex, p: Principal, copyNo: string): Promise<{ copyNo: string; pdf: Buffer; sha256: string }> {
  const c = await ps.visibleCopyPdf(db, p, copyNo);
  if (!c) throw new NotFound('copy.not_found', `Copy ${copyNo} not found`);
  return { copyNo: c.copy_no, pdf: Buffer.from(c.pdf), sha256: c.pdf_sha256 };
}

// ---- print log ----

export async function printLog(db: Knex, p: Principal, f: PrintLogQuery & { certificateId?: number }): Promise<PrintLogPage> {
  if (f.certificateId !== undefined && !(await store.findVisible(db, p, f.certificateId))) throw new NotFound('certificate.not_found', `Certificate ${f.certificateId} not found`);
  const page = f.page ?? 1;
  const pageSize = f.pageSize ?? 20;
  const { rows, total } = await ps.printLog(db, p, { certificateId: f.certificateId, customerId: f.customerId, limit: pageSize, offset: (page - 1) * pageSize });
  return {
    items: rows.map((r) => ({
      copyNo: r.copy_no,
      certificateId: Number(r.certificate_id),
      certificateNo: r.certificate_no,
      customer: { id: Number(r.customer_id), code: r.customer_code, name: r.customer_name },
      n: Number(r.n),
      m: Number(r.m),
      office: r.series === 'office',
      printedAt: fromDbTime(r.printed_at)!,
      printedBy: r.printed_by,
      printedFor: r.printed_for,
      share: r.share_id ? { id: Number(r.share_id), buyerName: r.buyer_name ?? '' } : null,
      verifyCode: shortCodeText(r.short_code),
      pdfUrl: pdfUrlOf(r.copy_no),
    })),
    total,
    page,
    pageSize,
  };
}

// ---- share links ----

function shareOf(cfg: Config, s: ps.ShareRow): CertificateShare {
  return {
    id: Number(s.id),
    certificateId: Number(s.certificate_id),
    token: s.token,
    url: shareUrlOf(cfg, s.token),
    buyerName: s.buyer_name,
    expiresAt: fromDbTime(s.expires_at)!,
    maxCopies: Number(s.max_copies),
    used: Number(s.used),
    revokedAt: fromDbTime(s.revoked_at),
    createdAt: fromDbTime(s.created_at)!,
    createdBy: s.created_by_name ?? '',
  };
}

const YEAR_MS = 366 * 24 * 3600_000;

/** A customer user with the print right passes a certificate to its buyer: 192 random bits, base64url. */
export async function createShare(trx: Knex.Transaction, cfg: Config, p: Principal, actor: Actor, certificateId: number, body: ShareBody): Promise<CertificateShare> {
  const cert = await store.findVisible(trx, p, certificateId);
  if (!cert || !isCustomer(p)) throw new NotFound('certificate.not_found', `Certificate ${certificateId} not found`);
  if (!(await ps.userCanPrint(trx, p.userId))) throw new Forbidden('print.not_allowed', 'You do not have the right to print certificates');
  if (!(await printRights(trx, cfg, p.organisationId)).allowed) throw new Forbidden('print.not_allowed', 'The mill does not allow this customer to print certificates');
  if (cert.withdrawn_at) throw new Conflict('certificate.withdrawn', `Certificate ${cert.certificate_no} was withdrawn by the mill`);
  const expires = new Date(body.expiresAt);
  const now = new Date();
  if (!(expires.getTime() > now.getTime()) || expires.getTime() - now.getTime() > YEAR_MS) throw new Invalid('share.bad_expiry', 'The expiry must lie in the future and at most a year ahead');
  const token = randomBytes(24).toString('base64url');
  const id = await ps.insertShare(trx, {
    certificate_id: cert.id,
    customer_id: p.organisationId,
    token,
    buyer_name: body.buyerName.trim(),
    expires_at: toDbTime(expires),
    max_copies: body.maxCopies,
    used: 0,
    revoked_at: null,
    revoked_by: null,
    created_by: p.userId,
    created_at: toDbTime(now),
  });
  await audit(trx, actor, { action: 'certificate.share', entity: 'certificate', entityId: cert.id, details: { shareId: id, buyerName: body.buyerName, expiresAt: body.expiresAt, maxCopies: body.maxCopies } });
  return shareOf(cfg, (await ps.shareById(trx, id))!);
}

export async function listShares(db: Knex, cfg: Config, p: Principal, certificateId: number): Promise<CertificateShare[]> {
  const cert = await store.findVisible(db, p, certificateId);
  if (!cert) throw new NotFound('certificate.not_found', `Certificate ${certificateId} not found`);
  return (await ps.sharesOf(db, cert.id, isCustomer(p) ? p.organisationId : null)).map((s) => shareOf(cfg, s));
}

/** The customer's users revoke their organisation's links; quality staff any. Takes effect at once. */
export async function revokeShare(trx: Knex.Transaction, cfg: Config, p: Principal, actor: Actor, shareId: number): Promise<CertificateShare> {
  const s = await ps.lockShare(trx, shareId);
  if (!s || (isCustomer(p) && Number(s.customer_id) !== p.organisationId)) throw new NotFound('share.not_found', 'No such share link');
  if (!(await ps.revokeShare(trx, shareId, p.username, toDbTime(new Date())))) throw new Conflict('share.already_revoked', 'This share link is revoked already');
  await audit(trx, actor, { action: 'certificate.share_revoked', entity: 'certificate', entityId: s.certificate_id, details: { shareId } });
  return shareOf(cfg, (await ps.shareById(trx, shareId))!);
}

function publicBatches(c: CertificateDetail): PublicBatch[] {
  return c.batches.map((b) => ({ heatNo: b.heatNo, batchNo: b.batchNo, grade: b.grade, spec: b.spec, pieces: b.pieces, weightKg: b.weightKg }));
}

export async function sharedCertificate(db: Knex, token: string): Promise<SharedCertificate> {
  const s = await shareForPrint(db, token, new Date());
  const f = await certificateForPrint(db, s.certificate_id);
  const c = f.certificate;
  if (c.withdrawal) throw new Conflict('certificate.withdrawn', `Certificate ${c.certificateNo} was withdrawn by the mill`);
  return {
    certificateNo: c.certificateNo,
    documentType: c.documentType,
    issueDate: c.issueDate,
    standard: c.standard,
    productName: c.productName,
    mill: f.mill?.name ?? '',
    customerName: c.customer.name ?? c.customer.code,
    buyerName: s.buyer_name,
    batches: publicBatches(c),
    weightKg: c.weightKg,
    copiesLeft: Math.max(0, Number(s.max_copies) - Number(s.used)),
    maxCopies: Number(s.max_copies),
    expiresAt: fromDbTime(s.expires_at)!,
  };
}

// ---- public verification ----

/** Checks a copy by its code; with `pdf`, also its seal and that it is byte for byte the copy stored. */
export async function verifyCopy(db: Knex, rawCode: string, pdf?: Buffer): Promise<CopyVerification> {
  const parsed = parseVerifyCode(rawCode);
  const copy = parsed ? await ps.copyByCode(db, parsed.column, parsed.value) : undefined;
  if (!copy) throw new NotFound('verify.no_such_copy', 'No copy of a quality certificate has this code: check it was typed exactly as printed. A made-up or altered code matches no copy.');
  const f = await certificateForPrint(db, copy.certificate_id);
  const c = f.certificate;
  const dataMatches = dataHashOf(c) === copy.data_sha256;
  const withdrawn = c.withdrawal ? { at: c.withdrawal.at, reason: c.withdrawal.reason } : null;
  let pdfCheck: CopyVerification['pdf'];
  if (pdf) {
    let intact = false;
    let trusted = false;
    try {
      const v = await verify(db, pdf);
      intact = v.signatures.length > 0 && v.signatures.every((s) => s.intact) && !v.modifiedAfterSigning;
      trusted = v.signatures.length > 0 && v.signatures.every((s) => s.trusted && s.validAtSigning);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
    }
    pdfCheck = { intact, trusted, matchesStored: sha256(pdf) === copy.pdf_sha256 };
  }
  const reason: CopyVerification['reason'] = withdrawn
    ? 'withdrawn'
    : !dataMatches
      ? 'data_changed'
      : pdfCheck && !pdfCheck.intact
        ? 'pdf_not_intact'
        : pdfCheck && !pdfCheck.trusted
          ? 'pdf_not_trusted'
          : pdfCheck && !pdfCheck.matchesStored
            ? 'pdf_not_stored'
            : undefined;
  return {
    genuine: reason === undefined,
    ...(reason ? { reason } : {}),
    copyNo: copy.copy_no,
    certificateNo: c.certificateNo,
    documentType: c.documentType,
    issueDate: c.issueDate,
    standard: c.standard,
    productName: c.productName,
    mill: f.mill?.name ?? '',
    customerName: c.customer.name ?? c.customer.code,
    batches: publicBatches(c),
    weightKg: c.weightKg,
    printedAt: fromDbTime(copy.printed_at)!,
    printedFor: copy.printed_for,
    n: Number(copy.n),
    m: Number(copy.m),
    office: copy.series === 'office',
    withdrawn,
    dataMatches,
    ...(pdfCheck ? { pdf: pdfCheck } : {}),
  };
}
