// The portal's certificate authority: its root, the organisations' seal certificates (合同专用章 / 质量专用章), and a signer loaded from storage.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { Invalid } from '../../errors.js';
import { isValidCreditCode } from '../../../../shared/credit-code.js';
import {
  algorithm,
  bytesOf,
  children,
  commonNameOf,
  derOf,
  derToPem,
  isContext,
  nameToString,
  OID,
  oidOf,
  parseCertificate,
  parseDer,
  pemToDer,
  seq,
  toBinary,
  type Asn1,
  type ParsedCertificate,
} from './cms.js';

const generateKeyPairAsync = promisify(generateKeyPair);
const { asn1 } = forge;

export type SealPurpose = 'contract' | 'quality';

/** The words a Chinese company seal of that kind carries, appended to the organisation's name in the CN. */
const PURPOSE_SUFFIX: Readonly<Record<SealPurpose, string>> = { contract: '合同专用章', quality: '质量专用章' };

export interface RootCa {
  certPem: string;
  /** PKCS#8, encrypted with the passphrase (PBES2, AES-256-CBC). */
  keyPem: string;
  serial: string;
}

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8, encrypted with keyPassphrase (PBES2, AES-256-CBC). */
  keyPem: string;
  /** Lowercase hex, as revocation lists and verifyPdf report it. */
  serial: string;
  /** RFC 4514 form, Chinese intact. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

/** What a seal is signed with: the decrypted key, and the certificates exactly as stored, parsed once. */
export interface Signer {
  readonly privateKey: KeyObject;
  readonly certificate: ParsedCertificate;
  /** The issuing chain up to and including the root, signer excluded. */
  readonly chain: readonly ParsedCertificate[];
  readonly certDer: Buffer;
  readonly chainDer: readonly Buffer[];
  readonly subject: string;
  readonly commonName: string;
  readonly serial: string;
}

interface CaKeyInput {
  certPem: string;
  keyPem: string;
  passphrase: string;
}

// The CN upper bound of RFC 5280 Appendix A (ub-common-name 64 characters).
const MAX_COMMON_NAME = 64;

function requirePassphrase(passphrase: string, what: string): void {
  // Its strength is the configuration's business; an empty one would store the key effectively in clear.
  if (typeof passphrase !== 'string' || !passphrase) throw new Invalid('seal.passphrase_missing', `The ${what} key needs a passphrase`);
}

/** A positive 16-byte serial (RFC 5280 §4.1.2.2 allows up to 20 octets); the first byte is 01..7f so the DER INTEGER stays 16 bytes. */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = b[0] & 0x7f || 0x01;
  return b.toString('hex');
}

async function newKeyPair(): Promise<{ privateKey: KeyObject; spkiDer: Buffer }> {
  // Node's native keygen: forge's JS keygen takes seconds for RSA-2048.
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return { privateKey, spkiDer: publicKey.export({ type: 'spki', format: 'der' }) };
}

export const encryptKey = (key: KeyObject, passphrase: string): string =>
  key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;

export function decryptKey(keyPem: string, passphrase: string, what: string): KeyObject {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem', passphrase });
  } catch (e) {
    throw new Invalid('seal.key_passphrase_wrong', `The ${what} key cannot be decrypted with this passphrase`, { cause: (e as Error).message });
  }
}

function assertKeyMatches(key: KeyObject, cert: ParsedCertificate, what: string): void {
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!spki.equals(derOf(tbsFields(cert).spki))) throw new Invalid('seal.key_mismatch', `The ${what} key does not belong to its certificate`);
}

function tbsFields(cert: ParsedCertificate): { spki: Asn1; extensions: Asn1[] } {
  const tbs = children(children(cert.node)[0], 'TBSCertificate');
  const off = isContext(tbs[0], 0) ? 1 : 0;
  const extWrapper = tbs.slice(off + 6).find((n) => isContext(n, 3));
  return { spki: tbs[off + 5], extensions: extWrapper ? children(children(extWrapper)[0], 'Extensions') : [] };
}

/** The issuer's key identifier for the child's authorityKeyIdentifier: its own SKI, else RFC 5280 §4.2.1.2 method (1). */
function subjectKeyId(cert: ParsedCertificate): Buffer {
  const { spki, extensions } = tbsFields(cert);
  for (const ext of extensions) {
    const f = children(ext, 'Extension');
    // extnValue wraps the DER of the KeyIdentifier OCTET STRING.
    if (oidOf(f[0]) === '2.5.29.14') return bytesOf(parseDer(bytesOf(f[f.length - 1])), 'SubjectKeyIdentifier');
  }
  return createHash('sha1').update(bytesOf(children(spki)[1]).subarray(1)).digest();
}

type DnAttribute = { type: string; value: string; valueTagClass: number };

interface CertificateSpec {
  serialHex: string;
  subject: DnAttribute[];
  /** The issuer's Name node taken from the issuer certificate's own DER; absent for a self-signed root. */
  issuerName?: Asn1;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  extensions: object[];
  signingKey: KeyObject;
}

const getTbsCertificate = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): Asn1 }).getTBSCertificate;

/**
 * forge lays out the TBSCertificate; the issuer Name is spliced in from the issuer's DER (forge re-encodes parsed
 * UTF8String names twice, which breaks chain building for Chinese names), and the RSA step is Node's crypto.
 */
function buildCertificate(spec: CertificateSpec): Buffer {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = spec.serialHex;
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  // forge's key reader wants the BIT STRING decoded into its RSAPublicKey, hence its own default parse here.
  cert.publicKey = forge.pki.publicKeyFromAsn1(asn1.fromDer(toBinary(spec.spkiDer)));
  const attrs = spec.subject as unknown as forge.pki.CertificateField[];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions(spec.extensions);
  cert.siginfo.algorithmOid = OID.sha256WithRSAEncryption;
  const tbs = getTbsCertificate(cert);
  if (spec.issuerName) (tbs.value as Asn1[])[3] = spec.issuerName;
  const signature = sign('sha256', derOf(tbs), spec.signingKey);
  const bitString = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${toBinary(signature)}`);
  return derOf(seq(tbs, algorithm(OID.sha256WithRSAEncryption, true), bitString));
}

// CN and O carry Chinese and must be UTF8String (forge writes PrintableString by default); RFC 5280 Appendix A
// defines countryName and serialNumber as PrintableString, and both values here are plain ASCII.
const utf8 = (type: string, value: string): DnAttribute => ({ type, value, valueTagClass: asn1.Type.UTF8 });
const printable = (type: string, value: string): DnAttribute => ({ type, value, valueTagClass: asn1.Type.PRINTABLESTRING });

function validity(validYears: number, cap?: Date): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(validYears) || validYears < 1 || validYears > 30) throw new Invalid('seal.validity_invalid', 'A certificate is valid for 1 to 30 years');
  // Backdated by a minute so a seal applied right after issuing is not "not yet valid" on a slightly slow clock.
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  let notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + validYears);
  if (cap && notAfter > cap) notAfter = cap;
  return { notBefore, notAfter };
}

export async function createRootCa(o: { commonName: string; organisation: string; passphrase: string; validYears?: number }): Promise<RootCa> {
  requirePassphrase(o.passphrase, 'root');
  if (!o.commonName.trim() || [...o.commonName].length > MAX_COMMON_NAME) throw new Invalid('seal.name_invalid', 'The root needs a common name of at most 64 characters');
  const { privateKey, spkiDer } = await newKeyPair();
  const serial = randomSerialHex();
  const der = buildCertificate({
    serialHex: serial,
    subject: [printable(OID.countryName, 'CN'), utf8(OID.organizationName, o.organisation), utf8(OID.commonName, o.commonName)],
    ...validity(o.validYears ?? 20),
    spkiDer,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
    signingKey: privateKey,
  });
  return { certPem: derToPem(der), keyPem: encryptKey(privateKey, o.passphrase), serial };
}

export { isValidCreditCode };

export async function issueOrgCertificate(
  root: CaKeyInput,
  o: { orgName: string; creditCode: string; purpose: SealPurpose; keyPassphrase: string; validYears?: number },
): Promise<IssuedCertificate> {
  requirePassphrase(o.keyPassphrase, 'seal');
  if (!Object.hasOwn(PURPOSE_SUFFIX, o.purpose)) throw new Invalid('seal.purpose_invalid', 'Unknown seal purpose');
  const orgName = o.orgName.trim();
  const commonName = `${orgName} ${PURPOSE_SUFFIX[o.purpose]}`;
  if (!orgName || [...commonName].length > MAX_COMMON_NAME) throw new Invalid('seal.name_invalid', 'The organisation name is empty or too long for a certificate');
  if (!isValidCreditCode(o.creditCode)) throw new Invalid('seal.credit_code_invalid', 'The unified social credit code is not valid');

  const rootCert = parseCertificate(pemToDer(root.certPem));
  const rootKey = decryptKey(root.keyPem, root.passphrase, 'root');
  assertKeyMatches(rootKey, rootCert, 'root');

  const { privateKey, spkiDer } = await newKeyPair();
  const serial = randomSerialHex();
  const { notBefore, notAfter } = validity(o.validYears ?? 3, rootCert.notAfter);
  const der = buildCertificate({
    serialHex: serial,
    subject: [
      printable(OID.countryName, 'CN'),
      utf8(OID.organizationName, orgName),
      printable(OID.serialNumber, o.creditCode),
      utf8(OID.commonName, commonName),
    ],
    issuerName: rootCert.subject,
    notBefore,
    notAfter,
    spkiDer,
    // digitalSignature + nonRepudiation for document signatures (ETSI EN 319 412-2 §4.3.2). No extended key usage:
    // pdfsig rejects documentSigning-only certificates. No AIA/OCSP/CRL URLs: the portal decides revocation itself.
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: toBinary(subjectKeyId(rootCert)) },
    ],
    signingKey: rootKey,
  });
  const parsed = parseCertificate(der);
  return {
    certPem: derToPem(der),
    keyPem: encryptKey(privateKey, o.keyPassphrase),
    serial,
    subject: nameToString(parsed.subject),
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  };
}

/**
 * A signer from stored PEM strings. The certificates are kept as the DER read from storage and parsed once, so the
 * SignerInfo's issuer and serial are the certificate's own bytes (see the double-UTF-8 issue in DESIGN.md §7).
 */
export function loadSigner(stored: CaKeyInput, chainPems: string[]): Signer {
  const certificate = parseCertificate(pemToDer(stored.certPem));
  const privateKey = decryptKey(stored.keyPem, stored.passphrase, 'seal');
  assertKeyMatches(privateKey, certificate, 'seal');
  const chain = chainPems.map((pem) => parseCertificate(pemToDer(pem))).filter((c) => !c.der.equals(certificate.der));
  return {
    privateKey,
    certificate,
    chain,
    certDer: certificate.der,
    chainDer: chain.map((c) => c.der),
    subject: nameToString(certificate.subject),
    commonName: commonNameOf(certificate.subject),
    serial: certificate.serialHex,
  };
}
