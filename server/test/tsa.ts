// A tiny RFC 3161 timestamp authority for tests (node:http + forge ASN.1, signing with its own test certificate),
// so that PAdES B-T seals are tested against a real TSA exchange, and a URL where nothing answers.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import { attribute, bigIntNode, buildSignedData, children, derOf, intNode, octets, OID, oidNode, parseCertificate, parseDer, seq, signingCertificateV2, type ParsedCertificate } from '../src/modules/seals/cms.js';

/** ok: answers; rejection: refuses with status 2; other-imprint: stamps other data; down: drops every connection. */
export type TsaMode = 'ok' | 'rejection' | 'other-imprint' | 'down';
export interface TestTsa {
  url: string;
  mode: TsaMode;
  requests: number;
  close(): Promise<void>;
}

function tsaCertificate(key: KeyObject): ParsedCertificate {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  const forgeKey = forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey;
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  const name = [{ name: 'organizationName', value: 'Test' }, { name: 'commonName', value: 'Portal Test TSA' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  // RFC 3161 §2.3: the TSA certificate has exactly one extended key usage, id-kp-timeStamping, marked critical.
  cert.setExtensions([{ name: 'extKeyUsage', timeStamping: true, critical: true }, { name: 'keyUsage', digitalSignature: true, critical: true }]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return parseCertificate(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary'));
}

export async function startTestTsa(): Promise<TestTsa> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = tsaCertificate(privateKey);
  const tsa: TestTsa = { url: '', mode: 'ok', requests: 0, close: async () => {} };
  const answer = async (body: Buffer): Promise<Buffer> => {
    const req = children(parseDer(body));
    const imprint = tsa.mode === 'other-imprint' ? seq(seq(oidNode(OID.sha256)), octets(randomBytes(32))) : req[1];
    const nonce = req.slice(2).find((n) => n.type === forge.asn1.Type.INTEGER);
    const certReq = req.slice(2).some((n) => n.type === forge.asn1.Type.BOOLEAN && n.value === '\xff');
    if (tsa.mode === 'rejection') return derOf(seq(seq(intNode(2))));
    const genTime = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.GENERALIZEDTIME, false, forge.asn1.dateToGeneralizedTime(new Date()));
    const tstInfo = derOf(seq(intNode(1), oidNode('2.999.1'), imprint, bigIntNode(randomBytes(8)), genTime, ...(nonce ? [nonce] : [])));
    const token = await buildSignedData({
      digestOid: OID.sha256,
      signedAttrs: [
        attribute(OID.contentType, oidNode(OID.tstInfo)),
        attribute(OID.messageDigest, octets(createHash('sha256').update(tstInfo).digest())),
        signingCertificateV2(cert, createHash('sha256').update(cert.der).digest()),
      ],
      sign: (data) => sign('sha256', data, privateKey),
      signatureOid: OID.sha256WithRSAEncryption,
      signer: cert,
      certificates: certReq ? [cert] : [],
      eContentType: OID.tstInfo,
      eContent: tstInfo,
    });
    return derOf(seq(seq(intNode(0)), parseDer(token)));
  };
  const server: Server = createServer((req, res) => {
    if (tsa.mode === 'down') {
      tsa.requests++;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      tsa.requests++;
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(400).end();
        return;
      }
      answer(Buffer.concat(chunks)).then(
        (reply) => res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(reply),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tsa.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  tsa.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return tsa;
}

export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/tsa`;
}

