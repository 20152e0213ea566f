// The portal's own check of a sealed PDF, independent of pdfsig: digests, CMS signatures, chains, timestamps and what was appended after signing.
import { X509Certificate } from 'node:crypto';
import { checkSignerInfo, commonNameOf, derOf, nameToString, OID, parseSignedData, type ParsedCertificate, type ParsedSignerInfo } from './cms.js';
import { decodeTextString, parsePdfDate, readSignatureFields, type PdfValue } from './pades.js';
import { readTimestampToken, timestampCovers } from './tsa.js';

export interface VerifiedPdfSignature {
  fieldName: string;
  subFilter: string;
  /** /M as ISO 8601 UTC, or null when absent or unreadable. */
  signingTime: string | null;
  signerSubject: string;
  signerCommonName: string;
  /** Lowercase hex, as the CA reports serials. */
  serial: string;
  issuerSubject: string;
  notBefore: string;
  notAfter: string;
  /** The hash of the signed byte ranges equals the signed messageDigest. */
  digestValid: boolean;
  /** The signature over the signed attributes verifies with the signer's key, and signing-certificate-v2 names that certificate. */
  signatureValid: boolean;
  /** The signer certificate chains to one of trustedRootsDer, every link verifying and valid at the signing (or timestamp) time. */
  chainValid: boolean;
  /** The ranges cover the file from byte 0 to the end of a revision, leaving out exactly this signature's /Contents. */
  coversWholeDocumentAtThatRevision: boolean;
  /** The signature time-stamp (PAdES B-T), when present; valid means its imprint covers this signature and its own signature verifies. */
  timestamp?: { time: string; tsaSubject: string; valid: boolean };
  byteRange: [number, number, number, number];
}

export interface PdfVerification {
  signatures: VerifiedPdfSignature[];
  /** Bytes follow the end of the last signed revision (an unsigned incremental update, or anything appended). */
  modifiedAfterLastSignature: boolean;
  /** At least one signature, every one with a valid digest and signature, and nothing after the last. Trust is chainValid's business. */
  intact: boolean;
}

const nameValue = (v: PdfValue | undefined) => (v?.k === 'name' ? v.v : '');
const textValue = (v: PdfValue | undefined) => (v?.k === 'str' ? decodeTextString(v.v) : '');

/** Walks issuer links from the signer to a trusted root through the certificates the CMS carries. */
function chainsToTrustedRoot(signer: ParsedCertificate, pool: readonly ParsedCertificate[], roots: readonly X509Certificate[], at: Date): boolean {
  if (!roots.length) return false;
  const validAt = (c: X509Certificate) => at >= new Date(c.validFrom) && at <= new Date(c.validTo);
  const candidates = pool.map((c) => new X509Certificate(c.der));
  let current = new X509Certificate(signer.der);
  for (let depth = 0; depth < 8; depth++) {
    if (!validAt(current)) return false;
    if (roots.some((r) => r.raw.equals(current.raw))) return true;
    const root = roots.find((r) => current.checkIssued(r) && current.verify(r.publicKey));
    if (root) return validAt(root);
    const next = candidates.find((c) => !c.raw.equals(current.raw) && c.ca && current.checkIssued(c) && current.verify(c.publicKey));
    if (!next) return false;
    current = next;
  }
  return false;
}

/** Whether `end` is the end of a revision: the bytes before it close with %%EOF and at most one end-of-line. */
function endsRevision(pdf: Buffer, end: number): boolean {
  let i = end;
  if (pdf[i - 1] === 10) i--;
  if (pdf[i - 1] === 13) i--;
  return i >= 5 && pdf.toString('latin1', i - 5, i) === '%%EOF';
}

function timestampOf(si: ParsedSignerInfo): VerifiedPdfSignature['timestamp'] {
  const token = si.unsignedAttrs.get(OID.timeStampToken)?.[0];
  if (!token) return undefined;
  try {
    const t = readTimestampToken(derOf(token));
    return { time: t.time.toISOString(), tsaSubject: t.tsaSubject, valid: t.signatureValid && timestampCovers(t, si.signature) };
  } catch {
    return { time: '', tsaSubject: '', valid: false };
  }
}

function brokenSignature(fieldName: string, subFilter: string, byteRange: VerifiedPdfSignature['byteRange']): VerifiedPdfSignature {
  return {
    fieldName,
    subFilter,
    signingTime: null,
    signerSubject: '',
    signerCommonName: '',
    serial: '',
    issuerSubject: '',
    notBefore: '',
    notAfter: '',
    digestValid: false,
    signatureValid: false,
    chainValid: false,
    coversWholeDocumentAtThatRevision: false,
    byteRange,
  };
}

/**
 * Verifies every signature of a PDF as the portal sees it. Revocation is not decided here: the caller knows which
 * serials were revoked when, and compares with signingTime / timestamp.
 */
export function verifyPdf(pdf: Buffer, o: { trustedRootsDer?: Buffer[] } = {}): PdfVerification {
  const roots = (o.trustedRootsDer ?? []).map((der) => new X509Certificate(der));
  const fields = readSignatureFields(pdf);
  const signatures: VerifiedPdfSignature[] = [];
  let lastSignedEnd = 0;
  for (const f of fields) {
    if (!f.byteRange || !f.contents) continue;
    const [a, b, c, d] = f.byteRange;
    lastSignedEnd = Math.max(lastSignedEnd, c + d);
    const rangeSane = a === 0 && b > 0 && c > b && c + d <= pdf.length;
    let sd: ReturnType<typeof parseSignedData> | null = null;
    try {
      sd = parseSignedData(f.contents.bytes);
    } catch {
      // Unreadable CMS: reported as a broken signature rather than failing the whole document.
    }
    const si = sd?.signerInfos[0];
    if (!sd || !si) {
      signatures.push(brokenSignature(f.fieldName, nameValue(f.dict.get('SubFilter')), f.byteRange));
      continue;
    }
    const cert = si.signerCert;
    const check = rangeSane && cert ? checkSignerInfo(si, [pdf.subarray(0, b), pdf.subarray(c, c + d)]) : { digestValid: false, signatureValid: false };
    const signingTime = parsePdfDate(textValue(f.dict.get('M')));
    const timestamp = timestampOf(si);
    const trustedTime = timestamp?.valid ? new Date(timestamp.time) : (signingTime ?? new Date());
    signatures.push({
      fieldName: f.fieldName,
      subFilter: nameValue(f.dict.get('SubFilter')),
      signingTime: signingTime ? signingTime.toISOString() : null,
      signerSubject: cert ? nameToString(cert.subject) : '',
      signerCommonName: cert ? commonNameOf(cert.subject) : '',
      serial: cert?.serialHex ?? '',
      issuerSubject: cert ? nameToString(cert.issuer) : '',
      notBefore: cert ? cert.notBefore.toISOString() : '',
      notAfter: cert ? cert.notAfter.toISOString() : '',
      digestValid: check.digestValid,
      signatureValid: check.signatureValid,
      chainValid: !!cert && chainsToTrustedRoot(cert, sd.certificates, roots, trustedTime),
      // ISO 32000-1 §12.8.1: the excluded gap is exactly this signature's /Contents string, delimiters included.
      coversWholeDocumentAtThatRevision: rangeSane && b === f.contents.start && c === f.contents.end && endsRevision(pdf, c + d),
      ...(timestamp ? { timestamp } : {}),
      byteRange: f.byteRange,
    });
  }
  const modifiedAfterLastSignature = signatures.length > 0 && pdf.length > lastSignedEnd;
  return {
    signatures,
    modifiedAfterLastSignature,
    intact: signatures.length > 0 && !modifiedAfterLastSignature && signatures.every((s) => s.digestValid && s.signatureValid),
  };
}
