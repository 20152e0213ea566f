// The evidence bundle (证据包) of a contract for disputes: the signed PDF, an audit trail sealed by the mill, the
// certificate chain of both seals and the verification report, in one ZIP download.
import { createHash } from 'node:crypto';
import type { Principal } from '../../plugins/access.js';
import { Conflict } from '../../errors.js';
import { zip } from '../../zip.js';
import { millOrganisation } from '../organisations/service.js';
import { certificateFor, chainOf, recordUse, rootPem, sealPdf, usesOf } from '../seals/service.js';
import type { AuditTrail } from './audit-trail.js';
import { getContract, verifyDocument, type ContractDeps } from './service.js';
import * as store from './store.js';

export async function evidenceBundle(deps: ContractDeps, p: Principal, id: number): Promise<{ name: string; zip: Buffer }> {
  const { db } = deps;
  const contract = await getContract(db, p, id);
  if (contract.state !== 'signed') throw new Conflict('contract.not_signed', 'The evidence bundle exists once both parties have sealed the contract', { state: contract.state });
  const row = (await store.contractById(db, id))!;
  const final = (await store.documentPdf(db, id, row.version))!;
  const pdf = Buffer.from(final.pdf);
  const now = new Date();
  const trail: AuditTrail = {
    contractNo: contract.contractNo,
    generatedAt: now.toISOString(),
    buyer: contract.customerName,
    seller: (await millOrganisation(db)).name,
    versions: contract.versions,
    events: contract.events.map((e) => ({ at: e.at, event: e.event, username: e.username, ip: e.ip, userAgent: e.userAgent, details: e.details ? JSON.stringify(e.details) : '' })),
    sealUses: await usesOf(db, 'contract', id),
  };
  const rendered = await deps.renderAuditTrail(trail);
  const mill = await millOrganisation(db);
  const cert = await certificateFor(db, deps.config.seals, mill.id, 'contract');
  const sealedTrail = await sealPdf(db, deps.config.seals, {
    pdf: rendered,
    certificate: cert,
    fieldName: 'AuditTrailSeal',
    page: 0,
    rect: [0, 0, 0, 0],
    signingTime: now,
    name: mill.name,
    reason: `合同 ${contract.contractNo} 审计轨迹`,
  });
  await db.transaction((trx) =>
    recordUse(trx, { certificateId: cert.id, subjectType: 'contract', subjectId: id, documentSha256: createHash('sha256').update(sealedTrail).digest('hex'), authorisedBy: null, at: now }),
  );
  const serials = [...new Set(contract.versions.map((v) => v.certificateSerial).filter((s): s is string => Boolean(s)))];
  const chain = [...new Set([...(await Promise.all(serials.map((s) => chainOf(db, deps.config.seals, s)))).flat(), await rootPem(db, deps.config.seals)])];
  const report = await verifyDocument(db, pdf);
  const readme = [
    `Evidence bundle of contract ${contract.contractNo} / 合同 ${contract.contractNo} 证据包`,
    '',
    `${contract.contractNo}.pdf       the contract sealed by both parties / 双方签章的合同`,
    'audit-trail.pdf           versions, consent events and seal uses, sealed by the seller / 审计轨迹（供方签章）',
    'certificate-chain.pem     the signing certificates and the portal CA root / 证书链',
    'verification.json         the portal’s verification at download time / 验证报告',
    '',
    'Independent check: import certificate-chain.pem’s root into an NSS database and run',
    `  pdfsig -nssdir sql:DIR ${contract.contractNo}.pdf`,
  ].join('\n');
  return {
    name: `${contract.contractNo}-evidence.zip`,
    zip: zip([
      { name: `${contract.contractNo}.pdf`, data: pdf, modified: now },
      { name: 'audit-trail.pdf', data: sealedTrail, modified: now },
      { name: 'certificate-chain.pem', data: Buffer.from(chain.join('')), modified: now },
      { name: 'verification.json', data: Buffer.from(JSON.stringify(report, null, 2)), modified: now },
      { name: 'README.txt', data: Buffer.from(readme), modified: now },
    ]),
  };
}
