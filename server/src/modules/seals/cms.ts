// DER and CMS (RFC 5652) plumbing over node-forge's asn1 shared by the CA, the PAdES signer, the RFC 3161 client and the verifier.
import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

const { asn1 } = forge;
export type Asn1 = forge.asn1.Asn1;

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  timeStampToken: '1.2.840.113549.1.9.16.2.14',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
} as const;

/** Digest algorithm OIDs a verifier accepts, with Node's names for them. */
export const DIGEST_NAMES: Readonly<Record<string, string>> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

// forge keeps byte strings as "binary" JS strings (one char per byte).
export const toBinary = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('binary');
export const fromBinary = (s: string): Buffer => Buffer.from(s, 'binary');

/** Encodes a node; forge writes primitive values verbatim, so nodes parsed from DER re-encode to the same bytes. */
export const derOf = (node: Asn1): Buffer => fromBinary(asn1.toDer(node).getBytes());

const fromDerWithOptions = asn1.fromDer as unknown as (
  bytes: string,
  options: { strict?: boolean; parseAllBytes?: boolean; decodeBitStrings?: boolean },
) => Asn1;

/**
 * Parses one DER element. BIT STRINGs are left as raw bytes (forge would otherwise try to decode their content and
 * could re-encode them differently), and trailing bytes are allowed because /Contents is zero-padded.
 */
export function parseDer(der: Uint8Array, o: { allowTrailing?: boolean } = {}): Asn1 {
  return fromDerWithOptions(toBinary(der), { strict: true, parseAllBytes: !o.allowTrailing, decodeBitStrings: false });
}

// Builders.
export const seq = (...items: Asn1[]): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
export const oidNode = (oid: string): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes());
export const nullNode = (): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '');
export const octets = (b: Uint8Array): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, toBinary(b));
export const intNode = (n: number): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
export const bigIntNode = (bytes: Uint8Array): Asn1 => {
  // DER INTEGER: positive, minimal (one 0x00 only when the high bit would make it negative).
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0 && (bytes[i + 1] & 0x80) === 0) i++;
  const body = Buffer.from(bytes.subarray(i));
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, toBinary(body[0] & 0x80 ? Buffer.concat([Buffer.of(0), body]) : body));
};
export const boolNode = (v: boolean): Asn1 => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, v ? '\xff' : '\x00');
export const explicit = (tag: number, inner: Asn1): Asn1 => asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, true, [inner]);
export const implicitSet = (tag: number, items: Asn1[]): Asn1 => asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, true, items);
export const algorithm = (oid: string, withNullParams: boolean): Asn1 => (withNullParams ? seq(oidNode(oid), nullNode()) : seq(oidNode(oid)));

/** SET OF in DER order: members sorted by their encodings (X.690 §11.6); needed where the bytes are signed. */
export function derSetOf(items: Asn1[]): { node: Asn1; der: Buffer } {
  const nodes = items
    .map((node) => ({ node, der: derOf(node) }))
    .sort((a, b) => Buffer.compare(a.der, b.der))
    .map((e) => e.node);
  const node = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, nodes);
  return { node, der: derOf(node) };
}

export const attribute = (oid: string, ...values: Asn1[]): Asn1 =>
  seq(oidNode(oid), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, values));

// Readers.
export function children(node: Asn1 | undefined, what = 'ASN.1 element'): Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Error(`Malformed ${what}: expected a constructed element`);
  return node.value;
}
export function bytesOf(node: Asn1 | undefined, what = 'ASN.1 element'): Buffer {
  if (!node || typeof node.value !== 'string') throw new Error(`Malformed ${what}: expected a primitive element`);
  return fromBinary(node.value);
}
export const oidOf = (node: Asn1 | undefined): string => asn1.derToOid(bytesOf(node, 'OID').toString('binary'));
export const isContext = (node: Asn1 | undefined, tag: number): boolean => !!node && node.tagClass === asn1.Class.CONTEXT_SPECIFIC && node.type === tag;

/** An unsigned INTEGER's magnitude in lowercase hex, without the sign-padding zero byte. */
export function integerHex(node: Asn1): string {
  const b = bytesOf(node, 'INTEGER');
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i).toString('hex');
}

export function timeOf(node: Asn1): Date {
  const s = bytesOf(node, 'Time').toString('latin1');
  if (node.type === asn1.Type.UTCTIME) return asn1.utcTimeToDate(s);
  if (node.type === asn1.Type.GENERALIZEDTIME) return asn1.generalizedTimeToDate(s);
  throw new Error('Malformed Time: neither UTCTime nor GeneralizedTime');
}

/** A directory string in whatever ASN.1 string type it was written, as readable text. */
export function decodeDirectoryString(node: Asn1): string {
  const b = bytesOf(node, 'DirectoryString');
  switch (node.type as number) {
    case asn1.Type.UTF8:
      return b.toString('utf8');
    case asn1.Type.BMPSTRING: {
      const swapped = Buffer.from(b);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case 28 /* UniversalString */: {
      let out = '';
      for (let i = 0; i + 3 < b.length; i += 4) out += String.fromCodePoint(b.readUInt32BE(i));
      return out;
    }
    default:
      return b.toString('latin1');
  }
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  [OID.commonName]: 'CN',
  [OID.serialNumber]: 'serialNumber',
  [OID.countryName]: 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  [OID.organizationName]: 'O',
  '2.5.4.11': 'OU',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export interface NameAttribute {
  oid: string;
  shortName: string;
  value: string;
}

/** The attributes of an X.501 Name in encoding order, values decoded (UTF8String Chinese stays Chinese). */
export function nameAttributes(name: Asn1): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of children(name, 'Name')) {
    for (const atv of children(rdn, 'RDN')) {
      const [type, value] = children(atv, 'AttributeTypeAndValue');
      const oid = oidOf(type);
      out.push({ oid, shortName: SHORT_NAMES[oid] ?? oid, value: decodeDirectoryString(value) });
    }
  }
  return out;
}

/** RFC 4514 string form (most specific attribute first), escaping only what RFC 4514 §2.4 requires. */
export function nameToString(name: Asn1): string {
  const escape = (v: string) => v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
  return nameAttributes(name)
    .reverse()
    .map((a) => `${a.shortName}=${escape(a.value)}`)
    .join(', ');
}

export const commonNameOf = (name: Asn1): string => nameAttributes(name).find((a) => a.oid === OID.commonName)?.value ?? '';

/** A certificate read once from its DER: the nodes a SignerInfo, an ESS reference or a verifier needs, all from the original bytes. */
export interface ParsedCertificate {
  readonly der: Buffer;
  readonly node: Asn1;
  readonly serial: Asn1;
  readonly issuer: Asn1;
  readonly subject: Asn1;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function parseCertificate(der: Buffer): ParsedCertificate {
  const node = parseDer(der);
  // Keep the stored bytes authoritative: a certificate that is not DER would be re-encoded differently by forge,
  // and the issuer/serial we copy into SignerInfo would no longer match what verifiers hash and compare.
  if (!derOf(node).equals(der)) throw new Error('Certificate is not DER encoded');
  const tbs = children(children(node, 'Certificate')[0], 'TBSCertificate');
  const off = isContext(tbs[0], 0) ? 1 : 0;
  const validity = children(tbs[off + 3], 'Validity');
  return {
    der,
    node,
    serial: tbs[off],
    issuer: tbs[off + 2],
    subject: tbs[off + 4],
    serialHex: integerHex(tbs[off]),
    notBefore: timeOf(validity[0]),
    notAfter: timeOf(validity[1]),
  };
}

export function pemToDer(pem: string, label = 'CERTIFICATE'): Buffer {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`Not a PEM ${label.toLowerCase()}`);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

export const derToPem = (der: Buffer, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;

/**
 * ESS signing-certificate-v2 (RFC 5035 §3): binds the signature to the signer's certificate by its SHA-256 and
 * issuer/serial. hashAlgorithm is omitted because SHA-256 is its DEFAULT and DER forbids encoding a default.
 */
export function signingCertificateV2(cert: ParsedCertificate, certSha256: Uint8Array): Asn1 {
  const issuerSerial = seq(seq(explicit(4, cert.issuer)), cert.serial);
  return attribute(OID.signingCertificateV2, seq(seq(seq(octets(certSha256), issuerSerial))));
}

export interface SignedDataInput {
  digestOid: string;
  /** Signed attributes in any order; they are sorted into DER order here. */
  signedAttrs: Asn1[];
  /** Produces the signature over the DER SET OF signed attributes (RFC 5652 §5.4). */
  sign(signedAttrsDer: Buffer): Buffer | Promise<Buffer>;
  signatureOid: string;
  signer: ParsedCertificate;
  certificates: readonly ParsedCertificate[];
  /** Encapsulated content type; id-data for a detached signature. */
  eContentType?: string;
  /** Encapsulated content, for tokens that carry it (TSTInfo); absent for detached PAdES signatures. */
  eContent?: Buffer;
  /** Called with the signature value; returns unsigned attributes (e.g. the timestamp token over it). */
  unsignedAttrs?(signature: Buffer): Asn1[] | Promise<Asn1[]>;
}

/** ContentInfo(SignedData) with one SignerInfo identified by issuerAndSerialNumber (so versions 1, RFC 5652 §5.1, §5.3). */
export async function buildSignedData(o: SignedDataInput): Promise<Buffer> {
  const signed = derSetOf(o.signedAttrs);
  const signature = await o.sign(signed.der);
  const unsigned = o.unsignedAttrs ? await o.unsignedAttrs(signature) : [];
  const signedAttrsImplicit = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, signed.node.value as Asn1[]);
  const signerInfo = seq(
    intNode(1),
    seq(o.signer.issuer, o.signer.serial),
    // RFC 5754 §2: SHA-2 AlgorithmIdentifiers omit parameters; RFC 4055 §5: sha*WithRSAEncryption carries NULL.
    algorithm(o.digestOid, false),
    signedAttrsImplicit,
    algorithm(o.signatureOid, true),
    octets(signature),
    ...(unsigned.length ? [implicitSet(1, unsigned)] : []),
  );
  const encap = o.eContent
    ? seq(oidNode(o.eContentType ?? OID.data), explicit(0, octets(o.eContent)))
    : seq(oidNode(o.eContentType ?? OID.data));
  const signedData = seq(
    intNode(o.eContentType && o.eContentType !== OID.data ? 3 : 1),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [algorithm(o.digestOid, false)]),
    encap,
    implicitSet(0, o.certificates.map((c) => c.node)),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [signerInfo]),
  );
  return derOf(seq(oidNode(OID.signedData), explicit(0, signedData)));
}

export interface ParsedSignerInfo {
  digestOid: string;
  signatureOid: string;
  signature: Buffer;
  /** The DER SET OF the signed attributes as signed (tag [0] turned back into SET, RFC 5652 §5.4), or null. */
  signedAttrsDer: Buffer | null;
  signedAttrs: Map<string, Asn1[]>;
  unsignedAttrs: Map<string, Asn1[]>;
  /** The signer's certificate, found among the SignedData certificates by issuer and serial. */
  signerCert: ParsedCertificate | null;
}

export interface ParsedSignedData {
  eContentType: string;
  eContent: Buffer | null;
  certificates: ParsedCertificate[];
  signerInfos: ParsedSignerInfo[];
}

function attributesMap(nodes: Asn1[]): Map<string, Asn1[]> {
  const map = new Map<string, Asn1[]>();
  for (const a of nodes) {
    const [type, values] = children(a, 'Attribute');
    map.set(oidOf(type), children(values, 'AttributeValues'));
  }
  return map;
}

/** Reads a ContentInfo(SignedData); trailing zero padding (as in a PDF's /Contents) is ignored. */
export function parseSignedData(der: Buffer): ParsedSignedData {
  const contentInfo = children(parseDer(der, { allowTrailing: true }), 'ContentInfo');
  if (oidOf(contentInfo[0]) !== OID.signedData) throw new Error('CMS content is not SignedData');
  const sd = children(children(contentInfo[1], 'content')[0], 'SignedData');
  const encap = children(sd[2], 'EncapsulatedContentInfo');
  let eContent: Buffer | null = null;
  if (encap[1]) {
    // BER producers may split an OCTET STRING into constructed segments.
    const inner = children(encap[1], 'eContent')[0];
    eContent = Array.isArray(inner.value) ? Buffer.concat(inner.value.map((p) => bytesOf(p))) : bytesOf(inner);
  }
  let i = 3;
  const certificates: ParsedCertificate[] = [];
  if (isContext(sd[i], 0)) {
    for (const c of children(sd[i], 'certificates')) {
      // Only X.509 certificates (a plain SEQUENCE); attribute certificates and others carry context tags.
      if (c.tagClass === asn1.Class.UNIVERSAL) certificates.push(parseCertificate(derOf(c)));
    }
    i++;
  }
  if (isContext(sd[i], 1)) i++;
  const signerInfos = children(sd[i], 'SignerInfos').map((si): ParsedSignerInfo => {
    const f = children(si, 'SignerInfo');
    const sid = f[1];
    let k = 2;
    const digestOid = oidOf(children(f[k++], 'digestAlgorithm')[0]);
    let signedAttrsDer: Buffer | null = null;
    let signedAttrs = new Map<string, Asn1[]>();
    if (isContext(f[k], 0)) {
      const attrs = children(f[k], 'signedAttrs');
      signedAttrsDer = derOf(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, attrs));
      signedAttrs = attributesMap(attrs);
      k++;
    }
    const signatureOid = oidOf(children(f[k++], 'signatureAlgorithm')[0]);
    const signature = bytesOf(f[k++], 'signature');
    const unsignedAttrs = isContext(f[k], 1) ? attributesMap(children(f[k], 'unsignedAttrs')) : new Map<string, Asn1[]>();
    let signerCert: ParsedCertificate | null = null;
    if (sid.tagClass === asn1.Class.UNIVERSAL) {
      const [issuer, serial] = children(sid, 'IssuerAndSerialNumber');
      const issuerDer = derOf(issuer);
      const serialHex = integerHex(serial);
      signerCert = certificates.find((c) => c.serialHex === serialHex && derOf(c.issuer).equals(issuerDer)) ?? null;
    }
    return { digestOid, signatureOid, signature, signedAttrsDer, signedAttrs, unsignedAttrs, signerCert };
  });
  return { eContentType: oidOf(encap[0]), eContent, certificates, signerInfos };
}

export const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
};

export interface SignerInfoCheck {
  /** messageDigest equals the digest of the signed content. */
  digestValid: boolean;
  /** The signature over the signed attributes verifies with the signer certificate's key, and an ESS signing-certificate(-v2) attribute, if present, names that certificate. */
  signatureValid: boolean;
}

/** Checks one SignerInfo against the content's bytes (a list of pieces, as a PDF ByteRange gives them). */
export function checkSignerInfo(si: ParsedSignerInfo, content: readonly Uint8Array[]): SignerInfoCheck {
  const hashName = DIGEST_NAMES[si.digestOid];
  if (!hashName || !si.signerCert) return { digestValid: false, signatureValid: false };
  const h = createHash(hashName);
  for (const piece of content) h.update(piece);
  const digest = h.digest();
  const key = new X509Certificate(si.signerCert.der).publicKey;
  const sigHash = si.signatureOid === OID.rsaEncryption ? hashName : SIGNATURE_HASHES[si.signatureOid];
  const verifies = (data: Buffer) => {
    try {
      return !!sigHash && cryptoVerify(sigHash, data, key, si.signature);
    } catch {
      return false;
    }
  };
  if (!si.signedAttrsDer) {
    // Without signed attributes the signature is over the content itself (RFC 5652 §5.4); PAdES never does this.
    const ok = verifies(Buffer.concat(content.map((c) => Buffer.from(c))));
    return { digestValid: ok, signatureValid: ok };
  }
  const md = si.signedAttrs.get(OID.messageDigest)?.[0];
  const digestValid = !!md && bytesOf(md, 'messageDigest').equals(digest);
  return { digestValid, signatureValid: verifies(si.signedAttrsDer) && essNamesSigner(si) };
}

/** RFC 5035 §3 / RFC 2634 §5.4: the first ESSCertID(v2) must be the hash of the certificate that verifies the signature. */
function essNamesSigner(si: ParsedSignerInfo): boolean {
  const cert = si.signerCert;
  if (!cert) return false;
  const v2 = si.signedAttrs.get(OID.signingCertificateV2)?.[0];
  const v1 = si.signedAttrs.get(OID.signingCertificate)?.[0];
  if (!v2 && !v1) return true;
  const certs = children(children(v2 ?? v1, 'SigningCertificate')[0], 'certs');
  const first = children(certs[0], 'ESSCertID');
  let hashName = v2 ? 'sha256' : 'sha1';
  let k = 0;
  if (v2 && first[0] && first[0].tagClass === asn1.Class.UNIVERSAL && first[0].type === asn1.Type.SEQUENCE) {
    hashName = DIGEST_NAMES[oidOf(children(first[0])[0])] ?? '';
    k = 1;
  }
  if (!hashName) return false;
  return bytesOf(first[k], 'certHash').equals(createHash(hashName).update(cert.der).digest());
}
