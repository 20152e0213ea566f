// The printable summary of a survey's results (A4, Chinese with English labels), rendered in the shared PDF worker
// pool: response rate, every question's figures and distribution as bars, NPS, the matrix means and the trend.
import PDFDocument from 'pdfkit';
import type { SurveyResults } from '../../../../shared/api/surveys.js';
import type { PdfFonts } from '../../pdf/fonts.js';
import { registerDocFonts } from '../../pdf/doc-fonts.js';

export interface SurveySummaryDocument {
  results: SurveyResults;
  generatedAt: string;
}

const china = (iso: string) => `${new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ')} (UTC+8)`;
const fig = (v: number | null, suffix = '') => (v === null ? '—' : `${v}${suffix}`);
const TYPE_ZH: Record<string, string> = { single: '单选', multiple: '多选', rating: '评分 1–5', nps: 'NPS 0–10', matrix: '矩阵', short_text: '短文本', long_text: '长文本' };

export function renderSurveySummary(d: SurveySummaryDocument, fonts: PdfFonts): Promise<Buffer> {
  const r = d.results;
  const doc = new PDFDocument({ size: 'A4', margins: { top: 50, bottom: 50, left: 50, right: 50 }, info: { Title: `问卷结果 ${r.title}`, Creator: 'steel-sales-portal' } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  registerDocFonts(doc, fonts);
  const width = doc.page.width - 100;
  const line = (text: string, size = 9) => doc.font('regular').fontSize(size).text(text, { width });
  const heading = (text: string) => doc.moveDown(0.6).font('bold').fontSize(11).text(text, { width }).moveDown(0.2);

  doc.font('bold').fontSize(16).text(`问卷结果汇总 Survey results`, { align: 'center', width });
  doc.font('bold').fontSize(13).text(r.title, { align: 'center', width }).moveDown(0.5);
  line(`生成时间 Generated: ${china(d.generatedAt)}${r.anonymous ? ' · 匿名问卷 anonymous' : ''}`);
  line(`回收 Responses: ${r.responses} · 邀请客户 Invited: ${r.rate.invited} · 已答客户 Responded: ${r.rate.responded} · 回复率 Rate: ${fig(r.rate.ratePct, '%')}`);

  r.questions.forEach((q, i) => {
    if (doc.y > doc.page.height - 160) doc.addPage();
    heading(`${i + 1}. ${q.title}（${TYPE_ZH[q.type] ?? q.type}）`);
    line(`作答 Answered ${q.answered} · 跳过 Skipped ${q.skipped} · 未显示 Not shown ${Math.max(0, r.responses - q.shown)}${q.mean !== null ? ` · 均值 Mean ${q.mean} · 标准差 SD ${fig(q.sd)}` : ''}`);
    if (q.nps) line(`NPS ${fig(q.nps.score)} · 推荐者 Promoters ${q.nps.promoters} (${fig(q.nps.promotersPct, '%')}) · 中立者 Passives ${q.nps.passives} (${fig(q.nps.passivesPct, '%')}) · 贬损者 Detractors ${q.nps.detractors} (${fig(q.nps.detractorsPct, '%')})`);
    const max = Math.max(1, ...q.distribution.map((x) => x.count));
    for (const x of q.distribution) {
      const y = doc.y;
      doc.font('regular').fontSize(8.5).text(x.label, 60, y, { width: 150, lineBreak: false, ellipsis: true });
      doc.rect(215, y + 1, (220 * x.count) / max, 8).fill('#4a7bd0').fillColor('black');
      doc.text(`${x.count} (${fig(x.pct, '%')})`, 440, y, { width: 100 });
      doc.x = 50;
    }
    for (const m of q.matrix ?? []) line(`  ${m.label}: ${m.counts.join(' / ')} · 均值 ${fig(m.mean)} · SD ${fig(m.sd)}`, 8.5);
    if (q.texts) {
      for (const t of q.texts.slice(0, 10)) line(`  · ${t.text.slice(0, 200)}`, 8.5);
      if (q.texts.length > 10) line(`  …… 共 ${q.texts.length} 条 (${q.texts.length} in all)`, 8.5);
    }
  });

  if (r.trend.length) {
    heading('月度趋势 Trend by month');
    for (const t of r.trend) line(`${t.month} · 回收 ${t.responses} · NPS ${fig(t.nps)} · 满意度 Satisfaction ${fig(t.satisfaction)}`);
  }
  heading('按客户类别 By class');
  for (const b of r.breakdown.class) line(`${b.label} · 邀请 ${b.invited} · 已答 ${b.responded} · ${fig(b.ratePct, '%')} · NPS ${fig(b.nps)} · 满意度 ${fig(b.satisfaction)}`);
  doc.moveDown(1);
  line('均值与标准差（总体标准差）保留两位小数，比例与 NPS 保留一位小数，四舍五入。Means and population SD to 2 decimals, shares and NPS to 1, half away from zero.', 8);
  doc.end();
  return done;
}
