// Registers the Chinese fonts with a pdfkit document, reusing each font's parsed form across the documents of a thread.
import type { PdfFonts } from './fonts.js';

type Doc = PDFKit.PDFDocument;

// Parsing the 10.5 MB TTF again for every document is most of the time pdfkit spends on a Chinese PDF (measured:
// a two-page contract in about 125 ms when each document parses both fonts, about 25 ms when they are reused). pdfkit
// takes an already parsed fontkit font wherever it takes a Buffer, and makes a fresh subset of it per document.
// The parsed font is read from pdfkit's current font after the first use: pdfkit has no public getter for it, and
// fontkit is pdfkit's dependency, not ours. If that internal ever changes, the Buffer is simply parsed each time.
const parsedFonts = new WeakMap<Buffer, object>();

/** Registers `font` under `name` and opens it once (which fixes pdfkit's font numbering, parsed or not). */
export function registerParsedFont(doc: Doc, name: string, font: Buffer): void {
  const parsed = parsedFonts.get(font);
  doc.registerFont(name, (parsed ?? font) as Buffer);
  // Opened here whether parsed or not: pdfkit numbers fonts (F2, F3) in the order they are opened, and the bytes
  // must not depend on whether this thread had parsed the font before.
  doc.font(name);
  if (parsed) return;
  const current = (doc as unknown as { _font?: { font?: { layout?: unknown } } })._font?.font;
  if (current && typeof current.layout === 'function') parsedFonts.set(font, current);
}

/** The house fonts as 'regular' then 'bold', in that order, so that every renderer's font numbering is the same. */
export function registerDocFonts(doc: Doc, fonts: PdfFonts): void {
  registerParsedFont(doc, 'regular', fonts.regular);
  registerParsedFont(doc, 'bold', fonts.bold);
}
