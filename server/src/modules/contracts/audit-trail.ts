// The audit trail of a contract for its evidence bundle (证据包): every stored version with its SHA-256, each party's
// consent and sealing events (time, user, address, browser, one-time-code check) and each use of a seal. Rendered in
// a PDF worker and then sealed by the mill, so that the trail itself cannot be changed unnoticed.
import PDFDocument from 'pdfkit';
import type { PdfFonts } from '../../pdf/fonts.js';

export interface AuditTrail {
  contractNo: string;
  generatedAt: string;
  buyer: string;
  seller: string;
  versions: { version: number; kind: string; sha256: string; size: number; certificateSerial: string | null; createdAt: string }[];
  events: { at: string; event: string; username: string | null; ip: string | null; userAgent: string | null; details: string }[];
  sealUses: { usedAt: string; serial: string; documentSha256: string; authorisedBy: string | null }[];
}

const EVENT_ZH: Record<string, string> = {
  code_sent: '发送签署验证码',
  code_failed: '验证码校验失败',
  taken: '摘牌（验证码校验通过）',
  buyer_sealed: '需方电子签章',
  seller_sealed: '供方电子签章',
  seal_failed: '签章失败（将重试）',
};
const KIND_ZH: Record<string, string> = { rendered: '生成合同文本', buyer_sealed: '需方签章后', seller_sealed: '双方签章后' };
const china = (iso: string) => `${new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')} (UTC+8)`;

export function renderAuditTrail(t: AuditTrail, fonts: PdfFonts): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margins: { top: 50, bottom: 50, left: 50, right: 50 }, info: { Title: `合同 ${t.contractNo} 审计轨迹`, Creator: 'steel-sales-portal' } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('regular', fonts.regular);
  doc.registerFont('bold', fonts.bold);
  const width = doc.page.width - 100;
  const heading = (text: string) => doc.moveDown(0.6).font('bold').fontSize(12).text(text, { width }).moveDown(0.2);
  const line = (text: string) => doc.font('regular').fontSize(8.5).text(text, { width });

  doc.font('bold').fontSize(16).text('电子合同审计轨迹 Audit trail', { align: 'center', width });
  doc.moveDown(0.5);
  line(`合同编号 Contract: ${t.contractNo}`);
  line(`供方 Seller: ${t.seller}`);
  line(`需方 Buyer: ${t.buyer}`);
  line(`生成时间 Generated: ${china(t.generatedAt)}`);

  heading('一、文档版本及摘要 Document versions (SHA-256)');
  for (const v of t.versions) {
    line(`第 ${v.version} 版 · ${KIND_ZH[v.kind] ?? v.kind} · ${china(v.createdAt)} · ${v.size} 字节${v.certificateSerial ? ` · 证书序列号 ${v.certificateSerial}` : ''}`);
    line(`    ${v.sha256}`);
  }

  heading('二、签约意愿及签章事件 Consent and sealing events');
  for (const e of t.events) {
    line(`${china(e.at)} · ${EVENT_ZH[e.event] ?? e.event} · ${e.username ?? '系统 system'}${e.ip ? ` · IP ${e.ip}` : ''}`);
    if (e.userAgent) line(`    ${e.userAgent}`);
    if (e.details) line(`    ${e.details}`);
  }

  heading('三、印章使用记录 Seal uses');
  for (const u of t.sealUses) line(`${china(u.usedAt)} · 证书 ${u.serial} · 授权人 ${u.authorisedBy ?? '系统 system'} · 文档摘要 ${u.documentSha256}`);

  doc.moveDown(1);
  line('本审计轨迹由平台生成并加盖供方电子签章，任何改动都会使签章验证失败。This trail is sealed by the seller; any change breaks the seal.');
  doc.end();
  return done;
}
