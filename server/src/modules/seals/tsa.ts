// RFC 3161 time-stamp client (a token over a signature value, for PAdES B-T) and the token reader the verifier shares.
import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { Unavailable } from '../../errors.js';
import {
  algorithm,
  boolNode,
  bigIntNode,
  bytesOf,
  checkSignerInfo,
  children,
  derOf,
  DIGEST_NAMES,
  integerHex,
  isContext,
  nameToString,
  OID,
  oidOf,
  octets,
  parseDer,
  parseSignedData,
  seq,
  intNode,
  timeOf,
} from './cms.js';

const { asn1 } = forge;

export interface TsaOptions {
  url: string;
  /** Whole request, answer included; default 10 s. */
  timeoutMs?: number;
}

export interface TimestampToken {
  time: Date;
  /** The TSA's certificate subject (RFC 4514 form), or its name from TSTInfo when no certificate is included. */
  tsaSubject: string;
  serial: string;
  policy: string;
  imprintAlgorithm: string;
  imprint: Buffer;
  nonce: string | null;
  /** The token's own CMS signature verifies, its messageDigest matches the TSTInfo and its ESS reference names the TSA certificate. */
  signatureValid: boolean;
}

/** A TSA clock further off than this is treated as a failing TSA rather than a time to put in a seal. */
const CLOCK_TOLERANCE_MS = 5 * 60_000;

const tsaUnavailable = (reason: string) => new Unavailable('seal.tsa_unavailable', `The time-stamp authority is unavailable: ${reason}`, { reason });

/** Reads a TimeStampToken (RFC 3161 §2.4.2): its TSTInfo and whether the TSA's signature on it holds. */
export function readTimestampToken(token: Buffer): TimestampToken {
  const sd = parseSignedData(token);
  if (sd.eContentType !== OID.tstInfo || !sd.eContent) throw new Error('Not a time-stamp token');
  const f = children(parseDer(sd.eContent), 'TSTInfo');
  const imprint = children(f[2], 'MessageImprint');
  let nonce: string | null = null;
  let tsaName = '';
  for (const n of f.slice(5)) {
    if (n.tagClass === asn1.Class.UNIVERSAL && n.type === asn1.Type.INTEGER) nonce = integerHex(n);
    // tsa [0] GeneralName; a directoryName is [4] EXPLICIT Name.
    if (isContext(n, 0)) {
      const gn = children(n)[0];
      if (isContext(gn, 4)) tsaName = nameToString(children(gn)[0]);
    }
  }
  const si = sd.signerInfos[0];
  const check = si ? checkSignerInfo(si, [sd.eContent]) : { digestValid: false, signatureValid: false };
  return {
    time: timeOf(f[4]),
    tsaSubject: si?.signerCert ? nameToString(si.signerCert.subject) : tsaName,
    serial: integerHex(f[3]),
    policy: oidOf(f[1]),
    imprintAlgorithm: oidOf(children(imprint[0], 'AlgorithmIdentifier')[0]),
    imprint: bytesOf(imprint[1], 'hashedMessage'),
    nonce,
    signatureValid: check.digestValid && check.signatureValid,
  };
}

/** Whether the token's message imprint is the hash of these bytes (for PAdES: the signature value). */
export function timestampCovers(t: TimestampToken, data: Buffer): boolean {
  const hashName = DIGEST_NAMES[t.imprintAlgorithm];
  return !!hashName && createHash(hashName).update(data).digest().equals(t.imprint);
}

/**
 * Asks the TSA for a token over the SHA-256 of the signature value (RFC 3161 §2.4.1, nonce and certReq set) and
 * checks the answer: status granted, our imprint and nonce, a valid TSA signature and a sane clock. Any failure
 * throws seal.tsa_unavailable, so a seal is never applied without its token or with a time we made up.
 */
export async function requestTimestamp(signatureValue: Buffer, o: TsaOptions): Promise<Buffer> {
  const imprint = createHash('sha256').update(signatureValue).digest();
  const nonce = randomBytes(8);
  const request = derOf(
    seq(
      intNode(1),
      // NULL parameters as OpenSSL's `ts -query` writes them; TSAs compare the imprint, not the encoding.
      seq(algorithm(OID.sha256, true), octets(imprint)),
      bigIntNode(nonce),
      boolNode(true),
    ),
  );
  let body: Buffer;
  try {
    const res = await fetch(o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: new Uint8Array(request),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw tsaUnavailable(`HTTP ${res.status}`);
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof Unavailable) throw e;
    const err = e as Error & { cause?: { code?: string } };
    throw tsaUnavailable(err.name === 'TimeoutError' ? 'no answer in time' : (err.cause?.code ?? err.message));
  }

  let token: Buffer;
  let info: TimestampToken;
  try {
    const resp = children(parseDer(body), 'TimeStampResp');
    const status = children(resp[0], 'PKIStatusInfo');
    const code = parseInt(bytesOf(status[0]).toString('hex') || '0', 16);
    // PKIStatus granted (0) or grantedWithMods (1), RFC 3161 §2.4.2.
    if (code !== 0 && code !== 1) {
      const text = status[1] && Array.isArray(status[1].value) ? status[1].value.map((s) => bytesOf(s).toString('utf8')).join('; ') : '';
      throw new Error(`status ${code}${text ? ` (${text})` : ''}`);
    }
    if (!resp[1]) throw new Error('granted without a token');
    token = derOf(resp[1]);
    info = readTimestampToken(token);
  } catch (e) {
    throw tsaUnavailable(`unusable answer: ${(e as Error).message}`);
  }
  if (!timestampCovers(info, signatureValue)) throw tsaUnavailable('the token does not cover this signature');
  if (info.nonce !== integerHex(bigIntNode(nonce))) throw tsaUnavailable('the token does not answer this request (nonce)');
  if (!info.signatureValid) throw tsaUnavailable('the token’s signature does not verify');
  if (Math.abs(info.time.getTime() - Date.now()) > CLOCK_TOLERANCE_MS) throw tsaUnavailable('its clock is off');
  return token;
}
