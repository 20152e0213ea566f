// PAdES baseline signatures (ETSI EN 319 142-1) on the portal's PDFs: the incremental update that adds a signature field, and the CMS that fills it.
import { createHash, sign as cryptoSign } from 'node:crypto';
import forge from 'node-forge';
import type { Signer } from './ca.js';
import { attribute, buildSignedData, fromBinary, octets, OID, oidNode, parseDer, signingCertificateV2, toBinary, type Asn1 } from './cms.js';
import { requestTimestamp, type TsaOptions } from './tsa.js';

// ---- a small reader for classic-xref PDFs (ISO 32000-1 §7.2–7.5), enough for the objects a signature touches ----

export type PdfValue =
  | { k: 'name'; v: string }
  | { k: 'num'; v: string }
  /** A string's bytes, and where its token sits in the file (so /Contents can be located exactly). */
  | { k: 'str'; v: Buffer; start: number; end: number }
  | { k: 'ref'; n: number; g: number }
  | { k: 'arr'; v: PdfValue[] }
  | { k: 'dict'; v: Map<string, PdfValue> }
  | { k: 'bool'; v: boolean }
  | { k: 'null' };

type PdfDict = Map<string, PdfValue>;

const WHITESPACE = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) WHITESPACE[c] = 1;
const DELIMITER = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIMITER[c.charCodeAt(0)] = 1;
const isRegular = (c: number | undefined) => c !== undefined && !WHITESPACE[c] && !DELIMITER[c];

function skipSpace(buf: Buffer, pos: number): number {
  for (;;) {
    const c = buf[pos];
    if (c === undefined) return pos;
    if (WHITESPACE[c]) pos++;
    else if (c === 0x25 /* % comment to end of line */) {
      while (pos < buf.length && buf[pos] !== 10 && buf[pos] !== 13) pos++;
    } else return pos;
  }
}

function readToken(buf: Buffer, pos: number): [string, number] {
  const start = pos;
  while (isRegular(buf[pos])) pos++;
  return [buf.toString('latin1', start, pos), pos];
}

const INTEGER = /^\d+$/;

function parseLiteralString(buf: Buffer, pos: number): [Buffer, number] {
  const out: number[] = [];
  let depth = 1;
  pos++;
  while (pos < buf.length) {
    const c = buf[pos++];
    if (c === 0x5c /* backslash */) {
      const e = buf[pos++];
      const simple: Record<number, number> = { 0x6e: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x66: 12, 0x28: 0x28, 0x29: 0x29, 0x5c: 0x5c };
      if (e in simple) out.push(simple[e]);
      else if (e >= 0x30 && e <= 0x37) {
        let v = e - 0x30;
        for (let i = 0; i < 2 && buf[pos] >= 0x30 && buf[pos] <= 0x37; i++) v = v * 8 + (buf[pos++] - 0x30);
        out.push(v & 0xff);
      } else if (e === 13) {
        if (buf[pos] === 10) pos++;
      } else if (e !== 10) out.push(e);
    } else if (c === 0x28) {
      depth++;
      out.push(c);
    } else if (c === 0x29) {
      if (--depth === 0) return [Buffer.from(out), pos];
      out.push(c);
    } else out.push(c);
  }
  throw new Error('Unterminated string in PDF');
}

function parseValue(buf: Buffer, pos: number): [PdfValue, number] {
  pos = skipSpace(buf, pos);
  const c = buf[pos];
  if (c === 0x2f /* / */) {
    const [name, end] = readToken(buf, pos + 1);
    return [{ k: 'name', v: name }, end];
  }
  if (c === 0x28 /* ( */) {
    const [v, end] = parseLiteralString(buf, pos);
    return [{ k: 'str', v, start: pos, end }, end];
  }
  if (c === 0x3c /* < */) {
    if (buf[pos + 1] === 0x3c) {
      const dict: PdfDict = new Map();
      let p = pos + 2;
      for (;;) {
        p = skipSpace(buf, p);
        if (buf[p] === 0x3e && buf[p + 1] === 0x3e) return [{ k: 'dict', v: dict }, p + 2];
        if (buf[p] !== 0x2f) throw new Error(`Malformed dictionary in PDF at byte ${p}`);
        const [key, afterKey] = readToken(buf, p + 1);
        const [value, afterValue] = parseValue(buf, afterKey);
        dict.set(key, value);
        p = afterValue;
      }
    }
    const end = buf.indexOf(0x3e, pos);
    if (end < 0) throw new Error('Unterminated hex string in PDF');
    const hex = buf.toString('latin1', pos + 1, end).replace(/[^0-9A-Fa-f]/g, '');
    return [{ k: 'str', v: Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex'), start: pos, end: end + 1 }, end + 1];
  }
  if (c === 0x5b /* [ */) {
    const items: PdfValue[] = [];
    let p = pos + 1;
    for (;;) {
      p = skipSpace(buf, p);
      if (buf[p] === 0x5d) return [{ k: 'arr', v: items }, p + 1];
      if (p >= buf.length) throw new Error('Unterminated array in PDF');
      const [item, next] = parseValue(buf, p);
      items.push(item);
      p = next;
    }
  }
  const [token, end] = readToken(buf, pos);
  if (!token) throw new Error(`Unexpected byte in PDF at ${pos}`);
  if (token === 'true' || token === 'false') return [{ k: 'bool', v: token === 'true' }, end];
  if (token === 'null') return [{ k: 'null' }, end];
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(token)) throw new Error(`Unexpected token "${token}" in PDF at byte ${pos}`);
  if (INTEGER.test(token)) {
    // "n g R" is an indirect reference.
    const p1 = skipSpace(buf, end);
    const [gen, p2] = readToken(buf, p1);
    if (INTEGER.test(gen)) {
      const p3 = skipSpace(buf, p2);
      if (buf[p3] === 0x52 /* R */ && !isRegular(buf[p3 + 1])) return [{ k: 'ref', n: Number(token), g: Number(gen) }, p3 + 1];
    }
  }
  return [{ k: 'num', v: token }, end];
}

interface XrefEntry {
  offset: number;
  gen: number;
  free: boolean;
}

/** A PDF opened for reading: its newest cross-reference view and trailer. Parsing is lazy, object by object. */
interface PdfFile {
  buf: Buffer;
  startxref: number;
  trailer: PdfDict;
  entries: Map<number, XrefEntry>;
}

function readXrefSection(buf: Buffer, offset: number): { entries: Map<number, XrefEntry>; trailer: PdfDict } {
  let pos = skipSpace(buf, offset);
  if (buf.toString('latin1', pos, pos + 4) !== 'xref') {
    throw new Error('This PDF uses a cross-reference stream (PDF 1.5+); only classic cross-reference tables are supported');
  }
  pos += 4;
  const entries = new Map<number, XrefEntry>();
  for (;;) {
    pos = skipSpace(buf, pos);
    let first: string;
    [first, pos] = readToken(buf, pos);
    if (first === 'trailer') break;
    pos = skipSpace(buf, pos);
    let count: string;
    [count, pos] = readToken(buf, pos);
    if (!INTEGER.test(first) || !INTEGER.test(count)) throw new Error('Malformed cross-reference table');
    for (let i = 0; i < Number(count); i++) {
      let off: string, gen: string, type: string;
      [off, pos] = readToken(buf, skipSpace(buf, pos));
      [gen, pos] = readToken(buf, skipSpace(buf, pos));
      [type, pos] = readToken(buf, skipSpace(buf, pos));
      if (type !== 'n' && type !== 'f') throw new Error('Malformed cross-reference entry');
      entries.set(Number(first) + i, { offset: Number(off), gen: Number(gen), free: type === 'f' });
    }
  }
  const [trailer] = parseValue(buf, pos);
  if (trailer.k !== 'dict') throw new Error('Malformed trailer');
  return { entries, trailer: trailer.v };
}

function openPdf(buf: Buffer): PdfFile {
  const at = buf.lastIndexOf('startxref');
  if (at < 0 || buf.toString('latin1', 0, 5) !== '%PDF-') throw new Error('Not a PDF file');
  const [token] = readToken(buf, skipSpace(buf, at + 9));
  const startxref = Number(token);
  const entries = new Map<number, XrefEntry>();
  let trailer: PdfDict | undefined;
  const seen = new Set<number>();
  // Newest section first; older sections (/Prev) only fill in objects not redefined since (ISO 32000-1 §7.5.6).
  for (let off: number | undefined = startxref; off !== undefined; ) {
    if (seen.has(off) || !(off >= 0 && off < buf.length)) throw new Error('Broken /Prev chain in PDF');
    seen.add(off);
    const section = readXrefSection(buf, off);
    for (const [n, e] of section.entries) if (!entries.has(n)) entries.set(n, e);
    trailer ??= section.trailer;
    const prev = section.trailer.get('Prev');
    off = prev?.k === 'num' ? Number(prev.v) : undefined;
  }
  return { buf, startxref, trailer: trailer!, entries };
}

function resolve(file: PdfFile, v: PdfValue | undefined): PdfValue | undefined {
  if (!v || v.k !== 'ref') return v;
  const e = file.entries.get(v.n);
  if (!e || e.free) return { k: 'null' };
  let pos = skipSpace(file.buf, e.offset);
  const parts: string[] = [];
  for (let i = 0; i < 3; i++) {
    let t: string;
    [t, pos] = readToken(file.buf, skipSpace(file.buf, pos));
    parts.push(t);
  }
  if (parts[0] !== String(v.n) || parts[2] !== 'obj') throw new Error(`Cross-reference entry of object ${v.n} does not point at it`);
  return parseValue(file.buf, pos)[0];
}

function resolveDict(file: PdfFile, v: PdfValue | undefined, what: string): PdfDict {
  const r = resolve(file, v);
  if (r?.k !== 'dict') throw new Error(`PDF ${what} is missing or not a dictionary`);
  return r.v;
}

const nameOf = (v: PdfValue | undefined): string | undefined => (v?.k === 'name' ? v.v : undefined);
const numberOf = (v: PdfValue | undefined): number | undefined => (v?.k === 'num' ? Number(v.v) : undefined);

/** A PDF text string (ISO 32000-1 §7.9.2.2): UTF-16BE with a BOM, UTF-8 with a BOM (PDF 2.0), else PDFDocEncoding (read as Latin-1). */
export function decodeTextString(b: Buffer): string {
  if (b[0] === 0xfe && b[1] === 0xff) {
    const swapped = Buffer.from(b.subarray(2, 2 + ((b.length - 2) & ~1)));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString('utf8');
  return b.toString('latin1');
}

function encodeTextString(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;
  const utf16 = Buffer.from(s, 'utf16le');
  utf16.swap16();
  return `<FEFF${utf16.toString('hex').toUpperCase()}>`;
}

function serialize(v: PdfValue): string {
  switch (v.k) {
    case 'name':
      return `/${v.v}`;
    case 'num':
      return v.v;
    case 'str':
      return `<${v.v.toString('hex')}>`;
    case 'ref':
      return `${v.n} ${v.g} R`;
    case 'arr':
      return `[${v.v.map(serialize).join(' ')}]`;
    case 'dict':
      return `<<\n${[...v.v].map(([key, value]) => `/${key} ${serialize(value)}`).join('\n')}\n>>`;
    case 'bool':
      return String(v.v);
    case 'null':
      return 'null';
  }
}

function pageRef(file: PdfFile, index: number): { ref: Extract<PdfValue, { k: 'ref' }>; dict: PdfDict } {
  const catalog = resolveDict(file, file.trailer.get('Root'), 'catalog');
  let node = catalog.get('Pages');
  let skip = index;
  // Walk the page tree by /Count so only one branch per level is read (ISO 32000-1 §7.7.3).
  for (let depth = 0; depth < 32; depth++) {
    const dict = resolveDict(file, node, 'page tree node');
    const kids = resolve(file, dict.get('Kids'));
    if (kids?.k !== 'arr') throw new Error('PDF page tree node without /Kids');
    let next: PdfValue | undefined;
    for (const kid of kids.v) {
      const kd = resolveDict(file, kid, 'page');
      if (nameOf(kd.get('Type')) === 'Pages') {
        const count = numberOf(kd.get('Count')) ?? 0;
        if (skip < count) {
          next = kid;
          break;
        }
        skip -= count;
      } else if (skip === 0) {
        if (kid.k !== 'ref') throw new Error('PDF page is not an indirect object');
        return { ref: kid, dict: kd };
      } else skip--;
    }
    if (!next) break;
    node = next;
  }
  throw new RangeError(`The PDF has no page ${index + 1}`);
}

// ---- the incremental update ----

class IncrementalUpdate {
  private readonly parts: Buffer[] = [];
  private length: number;
  private readonly written = new Map<number, { offset: number; gen: number }>();
  private nextNumber: number;

  constructor(private readonly file: PdfFile) {
    this.length = file.buf.length;
    this.nextNumber = numberOf(file.trailer.get('Size')) ?? 0;
    // A revision starts on a new line (ISO 32000-1 §7.5.6); earlier bytes are never touched.
    const last = file.buf[file.buf.length - 1];
    if (last !== 10 && last !== 13) this.push(Buffer.from('\n'));
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }

  allocate(): Extract<PdfValue, { k: 'ref' }> {
    return { k: 'ref', n: this.nextNumber++, g: 0 };
  }

  /** Writes an object: a new one, or a new version of an existing one under its own number and generation. */
  write(ref: { n: number; g: number }, body: string | Buffer): void {
    this.written.set(ref.n, { offset: this.length, gen: ref.g });
    this.push(Buffer.from(`${ref.n} ${ref.g} obj\n`, 'latin1'));
    this.push(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
    this.push(Buffer.from('\nendobj\n', 'latin1'));
  }

  finish(): Buffer {
    const xrefOffset = this.length;
    const numbers = [...this.written.keys()].sort((a, b) => a - b);
    let xref = 'xref\n';
    for (let i = 0; i < numbers.length; ) {
      let j = i;
      while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
      xref += `${numbers[i]} ${j - i + 1}\n`;
      for (let k = i; k <= j; k++) {
        const e = this.written.get(numbers[k])!;
        // Each entry is exactly 20 bytes (ISO 32000-1 §7.5.4).
        xref += `${String(e.offset).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n\r\n`;
      }
      i = j + 1;
    }
    const trailer: PdfDict = new Map();
    trailer.set('Size', { k: 'num', v: String(Math.max(this.nextNumber, ...numbers.map((n) => n + 1))) });
    for (const key of ['Root', 'Info', 'ID']) {
      const v = this.file.trailer.get(key);
      if (v) trailer.set(key, v);
    }
    trailer.set('Prev', { k: 'num', v: String(this.file.startxref) });
    this.push(Buffer.from(`${xref}trailer\n${serialize({ k: 'dict', v: trailer })}\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'));
    return Buffer.concat([this.file.buf, ...this.parts]);
  }
}

export interface PlaceholderOptions {
  /** The signature field's partial name (ISO 32000-1 §12.7.3.2: no periods), unique in the document. */
  fieldName: string;
  /** 0-based page index. */
  page: number;
  /** Widget rectangle in PDF user space [x1, y1, x2, y2]; it lies over the seal already drawn in the page content. */
  rect: [number, number, number, number];
  /** Written to /M; with a timestamp the token's time is the trusted one. */
  signingTime: Date;
  name: string;
  reason: string;
  location?: string;
  contactInfo?: string;
  /** Bytes reserved for the CMS in /Contents; the default fits a 3-certificate chain and an RFC 3161 token. */
  contentsBytes?: number;
}

export const DEFAULT_CONTENTS_BYTES = 16_384;
const BYTE_RANGE_PLACEHOLDER = '[0 /********** /********** /**********]';

/** A PDF date (ISO 32000-1 §7.9.4) in China time with its offset, e.g. D:20261123101500+08'00'. */
export function pdfDate(d: Date): string {
  const c = new Date(d.getTime() + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `D:${c.getUTCFullYear()}${p(c.getUTCMonth() + 1)}${p(c.getUTCDate())}${p(c.getUTCHours())}${p(c.getUTCMinutes())}${p(c.getUTCSeconds())}+08'00'`;
}

/** Reads a PDF date; missing fields default as ISO 32000-1 §7.9.4 says, a missing offset is taken as UTC. */
export function parsePdfDate(s: string): Date | null {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(?:(\d{2})'?(\d{2})?'?)?)?/.exec(s.trim());
  if (!m) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', sec = '00', sign, oh = '00', om = '00'] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  const offset = sign === '+' || sign === '-' ? (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60_000 : 0;
  return new Date(utc - offset);
}

const fieldNameOf = (file: PdfFile, field: PdfDict): string => {
  const t = resolve(file, field.get('T'));
  return t?.k === 'str' ? decodeTextString(t.v) : '';
};

/**
 * Appends an incremental update with a signature dictionary (PAdES: /SubFilter /ETSI.CAdES.detached, ETSI EN 319
 * 142-1 §5.3), its field and widget on the page, and the AcroForm entry with /SigFlags 3. Earlier bytes, including
 * any earlier signature, are left exactly as they were.
 */
export function preparePlaceholder(pdf: Buffer, o: PlaceholderOptions): Buffer {
  if (!o.fieldName || o.fieldName.includes('.')) throw new Error('A signature field name must be non-empty and contain no period');
  if (o.rect.length !== 4 || !o.rect.every(Number.isFinite)) throw new Error('The widget rectangle needs four finite numbers');
  const contentsBytes = o.contentsBytes ?? DEFAULT_CONTENTS_BYTES;
  if (!Number.isInteger(contentsBytes) || contentsBytes < 1024) throw new Error('contentsBytes must be an integer of at least 1024');

  const file = openPdf(pdf);
  if (file.trailer.has('Encrypt')) throw new Error('Encrypted PDFs cannot be sealed');
  const rootRef = file.trailer.get('Root');
  if (rootRef?.k !== 'ref') throw new Error('PDF trailer has no /Root reference');
  const catalog = resolveDict(file, rootRef, 'catalog');
  const page = pageRef(file, o.page);
  const update = new IncrementalUpdate(file);
  const gen = (n: number) => file.entries.get(n)?.gen ?? 0;

  // The AcroForm: an indirect object (rewritten under its number), inline in the catalog, or new.
  const acroValue = catalog.get('AcroForm');
  const acroForm: PdfDict = acroValue ? new Map(resolveDict(file, acroValue, 'AcroForm')) : new Map();
  const fieldsValue = acroForm.get('Fields');
  const fieldsResolved = resolve(file, fieldsValue);
  const fields: PdfValue[] = fieldsResolved?.k === 'arr' ? [...fieldsResolved.v] : [];
  for (const f of fields) {
    const fd = resolve(file, f);
    if (fd?.k === 'dict' && fieldNameOf(file, fd.v) === o.fieldName) throw new Error(`The PDF already has a field named ${o.fieldName}`);
  }

  const sigRef = update.allocate();
  const widgetRef = update.allocate();
  const appearanceRef = update.allocate();

  const hexZeros = '0'.repeat(contentsBytes * 2);
  const sigDict = [
    '<<',
    '/Type /Sig',
    '/Filter /Adobe.PPKLite',
    '/SubFilter /ETSI.CAdES.detached',
    `/ByteRange ${BYTE_RANGE_PLACEHOLDER}`,
    `/Contents <${hexZeros}>`,
    // The claimed time is /M; PAdES forbids the CMS signing-time attribute (ETSI EN 319 142-1 §5.2.1).
    `/M ${encodeTextString(pdfDate(o.signingTime))}`,
    `/Name ${encodeTextString(o.name)}`,
    `/Reason ${encodeTextString(o.reason)}`,
    ...(o.location ? [`/Location ${encodeTextString(o.location)}`] : []),
    ...(o.contactInfo ? [`/ContactInfo ${encodeTextString(o.contactInfo)}`] : []),
    '>>',
  ].join('\n');
  update.write(sigRef, sigDict);

  const [x1, y1, x2, y2] = [Math.min(o.rect[0], o.rect[2]), Math.min(o.rect[1], o.rect[3]), Math.max(o.rect[0], o.rect[2]), Math.max(o.rect[1], o.rect[3])];
  const num = (n: number) => String(Math.round(n * 1000) / 1000);
  // An empty appearance: the seal image is part of the page content, and viewers must not paint their own over it.
  update.write(
    appearanceRef,
    `<<\n/Type /XObject\n/Subtype /Form\n/BBox [0 0 ${num(x2 - x1)} ${num(y2 - y1)}]\n/Resources <<\n>>\n/Length 0\n>>\nstream\n\nendstream`,
  );
  // A merged field and widget (ISO 32000-1 §12.5.6.19, §12.7.4.5); /F 132 = Print + Locked.
  update.write(
    widgetRef,
    [
      '<<',
      '/Type /Annot',
      '/Subtype /Widget',
      '/FT /Sig',
      `/T ${encodeTextString(o.fieldName)}`,
      `/V ${sigRef.n} 0 R`,
      '/F 132',
      `/Rect [${num(x1)} ${num(y1)} ${num(x2)} ${num(y2)}]`,
      `/P ${page.ref.n} ${page.ref.g} R`,
      `/AP <<\n/N ${appearanceRef.n} 0 R\n>>`,
      '>>',
    ].join('\n'),
  );

  // The page's /Annots: inline array (rewrite the page) or an indirect array (rewrite that array).
  const annots = page.dict.get('Annots');
  if (annots?.k === 'ref') {
    const arr = resolve(file, annots);
    update.write(annots, serialize({ k: 'arr', v: [...(arr?.k === 'arr' ? arr.v : []), widgetRef] }));
  } else {
    const newPage = new Map(page.dict);
    newPage.set('Annots', { k: 'arr', v: [...(annots?.k === 'arr' ? annots.v : []), widgetRef] });
    update.write(page.ref, serialize({ k: 'dict', v: newPage }));
  }

  fields.push(widgetRef);
  if (fieldsValue?.k === 'ref') update.write(fieldsValue, serialize({ k: 'arr', v: fields }));
  else acroForm.set('Fields', { k: 'arr', v: fields });
  // SignaturesExist | AppendOnly (ISO 32000-1 §12.7.2, Table 219).
  acroForm.set('SigFlags', { k: 'num', v: '3' });
  // NeedAppearances makes viewers regenerate appearances, which they then report as a change after signing.
  if (acroForm.has('NeedAppearances')) acroForm.set('NeedAppearances', { k: 'bool', v: false });
  if (acroValue?.k === 'ref') {
    update.write(acroValue, serialize({ k: 'dict', v: acroForm }));
  } else {
    const newCatalog = new Map(catalog);
    if (acroValue) newCatalog.set('AcroForm', { k: 'dict', v: acroForm });
    else {
      const acroRef = update.allocate();
      update.write(acroRef, serialize({ k: 'dict', v: acroForm }));
      newCatalog.set('AcroForm', acroRef);
    }
    update.write({ n: rootRef.n, g: gen(rootRef.n) }, serialize({ k: 'dict', v: newCatalog }));
  }
  return update.finish();
}

// ---- reading signatures back ----

export interface SignatureField {
  fieldName: string;
  dict: PdfDict;
  /** /ByteRange, or null while it is still the unsigned placeholder. */
  byteRange: [number, number, number, number] | null;
  /** The /Contents hex string's token in the file, delimiters included: [start, end). */
  contents: { start: number; end: number; bytes: Buffer } | null;
}

/** The signature fields of the newest revision, in AcroForm order, with where their /Contents sit in the file. */
export function readSignatureFields(pdf: Buffer): SignatureField[] {
  const file = openPdf(pdf);
  const catalog = resolveDict(file, file.trailer.get('Root'), 'catalog');
  const acro = resolve(file, catalog.get('AcroForm'));
  if (acro?.k !== 'dict') return [];
  const out: SignatureField[] = [];
  const visit = (value: PdfValue, parentName: string, inheritedType: string | undefined, depth: number) => {
    const field = resolve(file, value);
    if (field?.k !== 'dict' || depth > 16) return;
    const partial = fieldNameOf(file, field.v);
    const name = partial ? (parentName ? `${parentName}.${partial}` : partial) : parentName;
    const type = nameOf(field.v.get('FT')) ?? inheritedType;
    const kids = resolve(file, field.v.get('Kids'));
    if (kids?.k === 'arr') for (const kid of kids.v) visit(kid, name, type, depth + 1);
    if (type !== 'Sig') return;
    const sig = resolve(file, field.v.get('V'));
    if (sig?.k !== 'dict') return;
    const br = resolve(file, sig.v.get('ByteRange'));
    const nums = br?.k === 'arr' ? br.v.map(numberOf) : [];
    const contents = sig.v.get('Contents');
    out.push({
      fieldName: name,
      dict: sig.v,
      byteRange: nums.length === 4 && nums.every((n) => Number.isInteger(n)) ? (nums as [number, number, number, number]) : null,
      contents: contents?.k === 'str' ? { start: contents.start, end: contents.end, bytes: contents.v } : null,
    });
  };
  const fields = resolve(file, acro.v.get('Fields'));
  if (fields?.k === 'arr') for (const f of fields.v) visit(f, '', undefined, 0);
  return out;
}

/** The signed byte ranges of every signature in the document. */
export function signatureRanges(pdf: Buffer): Array<{ fieldName: string; byteRange: [number, number, number, number] }> {
  return readSignatureFields(pdf).flatMap((f) => (f.byteRange ? [{ fieldName: f.fieldName, byteRange: f.byteRange }] : []));
}

// ---- signing ----

export interface SignOptions {
  /** 'node' (default): Node's crypto hashes and signs. 'forge': node-forge does both; the benchmark's reference only. */
  engine?: 'node' | 'forge';
  /** With a TSA the signature becomes PAdES B-T: an RFC 3161 token over the signature value. */
  tsa?: TsaOptions;
}

interface Engine {
  hash(pieces: readonly Buffer[]): Buffer;
  sign(data: Buffer): Buffer;
}

const forgeKeys = new WeakMap<Signer, forge.pki.rsa.PrivateKey>();

function engineFor(signer: Signer, name: 'node' | 'forge'): Engine {
  if (name === 'node') {
    return {
      hash: (pieces) => {
        const h = createHash('sha256');
        for (const p of pieces) h.update(p);
        return h.digest();
      },
      sign: (data) => nodeSign(data, signer),
    };
  }
  let key = forgeKeys.get(signer);
  if (!key) {
    key = forge.pki.privateKeyFromPem(signer.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey;
    forgeKeys.set(signer, key);
  }
  const forgeKey = key;
  const forgeHash = (pieces: readonly Buffer[]) => {
    const md = forge.md.sha256.create();
    for (const p of pieces) md.update(toBinary(p));
    return md;
  };
  return {
    hash: (pieces) => fromBinary(forgeHash(pieces).digest().getBytes()),
    sign: (data) => fromBinary(forgeKey.sign(forgeHash([data]))),
  };
}

// crypto.sign with an RSA KeyObject is RSASSA-PKCS1-v1_5 (RFC 8017 §8.2), what sha256WithRSAEncryption names.
const nodeSign = (data: Buffer, signer: Signer): Buffer => cryptoSign('sha256', data, signer.privateKey);

/**
 * Fills the newest placeholder: writes /ByteRange, hashes the two ranges (ISO 32000-1 §12.8.1), and writes a
 * detached CMS whose signed attributes are exactly contentType, messageDigest and signing-certificate-v2
 * (ETSI EN 319 142-1 §6.3 baseline B-B), plus a signature timestamp as unsigned attribute when a TSA is given (B-T).
 */
export async function signPlaceholder(pdf: Buffer, signer: Signer, o: SignOptions = {}): Promise<Buffer> {
  const at = pdf.lastIndexOf(`/ByteRange ${BYTE_RANGE_PLACEHOLDER}`);
  if (at < 0) throw new Error('The PDF has no unsigned signature placeholder; call preparePlaceholder first');
  const rangeAt = at + '/ByteRange '.length;
  const contentsKey = pdf.indexOf('/Contents <', rangeAt);
  if (contentsKey < 0 || contentsKey > rangeAt + 256) throw new Error('The signature placeholder has no /Contents next to its /ByteRange');
  const start = contentsKey + '/Contents '.length;
  const end = pdf.indexOf(0x3e, start) + 1;
  if (end <= 0) throw new Error('Unterminated /Contents in the signature placeholder');

  const out = Buffer.from(pdf);
  const range = `[0 ${start} ${end} ${out.length - end}`;
  if (range.length + 1 > BYTE_RANGE_PLACEHOLDER.length) throw new Error('The PDF is too large for the /ByteRange placeholder');
  out.write(`${range.padEnd(BYTE_RANGE_PLACEHOLDER.length - 1, ' ')}]`, rangeAt, 'latin1');

  const engine = engineFor(signer, o.engine ?? 'node');
  const digest = engine.hash([out.subarray(0, start), out.subarray(end)]);
  const certHash = engine.hash([signer.certDer]);
  const tsa = o.tsa;
  const cms = await buildSignedData({
    digestOid: OID.sha256,
    signedAttrs: [
      attribute(OID.contentType, oidNode(OID.data)),
      attribute(OID.messageDigest, octets(digest)),
      signingCertificateV2(signer.certificate, certHash),
    ],
    sign: (signedAttrsDer) => engine.sign(signedAttrsDer),
    signatureOid: OID.sha256WithRSAEncryption,
    signer: signer.certificate,
    certificates: [signer.certificate, ...signer.chain],
    unsignedAttrs: tsa
      ? async (signature): Promise<Asn1[]> => {
          // ETSI EN 319 142-1 §5.3 / EN 319 122-1 §5.3: the signature-time-stamp covers the SignerInfo's signature value.
          const token = await requestTimestamp(signature, tsa);
          return [attribute(OID.timeStampToken, parseDer(token))];
        }
      : undefined,
  });

  const capacity = end - start - 2;
  const hex = cms.toString('hex');
  if (hex.length > capacity) {
    throw new Error(`The signature needs ${cms.length} bytes but /Contents holds ${capacity / 2}; prepare the placeholder with a larger contentsBytes`);
  }
  out.write(hex, start + 1, 'latin1');
  return out;
}
