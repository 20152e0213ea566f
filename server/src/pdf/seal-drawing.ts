// The red round seal (印章) drawn in a page's content, shared by the contract and the quality certificate renderers.
// Only the picture: the PDF digital signature whose widget goes over it is applied later (server/src/modules/seals).

type Doc = PDFKit.PDFDocument;

/** 42 mm across, the usual size of a company's round seal (合同专用章, 质量专用章). */
export const SEAL_RADIUS = ((42 / 25.4) * 72) / 2;
export const SEAL_RED = '#d40000';
/** Slightly transparent so the name and date under a seal stay readable. */
const SEAL_OPACITY = 0.8;

/** Where a seal is drawn, for the signature widget that goes exactly over it. */
export interface SealPlacement {
  /** 0-based page index */
  page: number;
  /** PDF user space, origin bottom-left: x1, y1, x2, y2 */
  rect: [number, number, number, number];
}

/** "<organisation> <title>": the name goes along the seal's arc, the title under its star. */
export function splitSealTitle(sealTitle: string, fallbackName: string): { name: string; title: string } {
  const text = sealTitle.trim();
  const cut = text.search(/\s\S+$/);
  if (cut < 0) return { name: fallbackName, title: text };
  return { name: text.slice(0, cut).trim(), title: text.slice(cut).trim() };
}

/** A five-pointed star centred on (cx, cy), one point up. */
function star(doc: Doc, cx: number, cy: number, outer: number): void {
  const inner = outer * 0.382;
  const points: [number, number][] = [];
  for (let k = 0; k < 10; k++) {
    const r = k % 2 === 0 ? outer : inner;
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    points.push([cx + r * Math.cos(angle), cy + r * Math.sin(angle)]);
  }
  doc.polygon(...points).fill();
}

/**
 * A round company seal in vector form, centred on (cx, cy) in pdfkit's top-left coordinates: the red ring, a star in
 * the centre, the organisation's name along the upper arc one character at a time (each turned to face the centre),
 * and the seal's title level under the star. Needs the 'bold' font registered (server/src/pdf/doc-fonts.ts).
 */
export function drawSeal(doc: Doc, cx: number, cy: number, sealTitle: string, fallbackName: string): void {
  const { name, title } = splitSealTitle(sealTitle, fallbackName);
  const ring = 3.4;
  const chars = [...name];
  // The name fills between 150° and 250° of the arc, like a stamped seal; long names get smaller characters.
  const span = Math.min(250, Math.max(150, chars.length * 22));
  const step = chars.length > 1 ? span / (chars.length - 1) : 0;
  const textTop = SEAL_RADIUS - ring - 3;
  const size = Math.min(15, Math.max(7, ((step * Math.PI) / 180) * (textTop - 8) * 0.92 || 15));
  // An empty ActualText keeps the seal's characters out of copied and extracted text: a seal is a picture, and its
  // characters would otherwise land in the middle of the document's lines (pdftotext honours it).
  doc.addContent('/Span << /ActualText () >> BDC');
  doc.save();
  doc.fillColor(SEAL_RED).strokeColor(SEAL_RED).fillOpacity(SEAL_OPACITY).strokeOpacity(SEAL_OPACITY);
  doc.lineWidth(ring).circle(cx, cy, SEAL_RADIUS - ring / 2).stroke();
  star(doc, cx, cy - 4, SEAL_RADIUS * 0.27);
  doc.font('bold').fontSize(size);
  chars.forEach((ch, i) => {
    const angle = chars.length > 1 ? -span / 2 + i * step : 0;
    const width = doc.widthOfString(ch);
    doc.save();
    doc.translate(cx, cy).rotate(angle);
    // pdfkit's y is the top of the line box; CJK glyphs start about 0.28 em below it in Noto Sans SC.
    doc.text(ch, -width / 2, -textTop - 0.28 * size, { lineBreak: false });
    doc.restore();
  });
  const titleSize = 11;
  doc.font('bold').fontSize(titleSize);
  const titleWidth = doc.widthOfString(title);
  doc.text(title, cx - titleWidth / 2, cy + SEAL_RADIUS * 0.3, { lineBreak: false });
  doc.restore();
  doc.addContent('EMC');
}

/** PDF user space (origin bottom-left) of a seal drawn centred on (cx, cy) in pdfkit's top-left coordinates. */
export function sealRect([cx, cy]: [number, number], pageHeight: number): [number, number, number, number] {
  const round = (v: number) => Math.round(v * 100) / 100;
  return [round(cx - SEAL_RADIUS), round(pageHeight - cy - SEAL_RADIUS), round(cx + SEAL_RADIUS), round(pageHeight - cy + SEAL_RADIUS)];
}
