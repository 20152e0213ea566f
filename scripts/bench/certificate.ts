// Quality certificate PDF benchmark: a ten-heat certificate copy (QR codes, watermark, seal) rendered N times through
// the PDF worker pool, timed inside the worker per document, with the main thread's event loop delay meanwhile
// (issue 7's target: p95 ≤ 250 ms per document); and the seeding of printed copies for the public verification figure.
import { buildApp } from '../../server/src/app.js';
import type { Config } from '../../server/src/config.js';
import { DEMO_ORGS, DEMO_PASSWORD } from '../../server/src/demo.js';
import { certificatePayload, sampleCertificate } from '../../server/test/certificate-fixture.js';
import { writeStaging } from '../../server/test/erp-fixtures.js';
import { createKnex } from '../../server/src/db/knex.js';
import { benchPoolRender, type RenderBenchResult } from './render.js';

export function benchCertificateRender(o: { documents: number }): Promise<RenderBenchResult> {
  return benchPoolRender('certificate', sampleCertificate({ heats: 10 }), o);
}

/**
 * Gives the demo customer 恒达 (C10001) a certificate through the staging store and one sync run (its customer master
 * first, so it matches the demo organisation), then prints `copies` copies as its admin over HTTP. Returns the copies'
 * verification codes, as a QR code would carry them.
 */
export async function seedPrintedCopies(o: { portalUrl: string; config: Config; copies: number }): Promise<string[]> {
  const org = DEMO_ORGS.find((x) => x.code === 'C10001')!;
  const db = createKnex({ url: o.config.databaseUrl, sqliteFile: '' }, { max: 2 });
  const staging = createKnex({ url: o.config.stagingDatabaseUrl, sqliteFile: '' }, { max: 2 });
  const app = await buildApp({ config: o.config, db, staging, migrate: true });
  try {
    const customerMaster = { code: org.code, name: org.name, creditCode: org.creditCode, province: org.province, city: org.city, address: org.address, contacts: [], active: true };
    await writeStaging(staging, [
      { iface: 'customer', key: org.code, seq: 1, payload: customerMaster },
      { iface: 'quality_certificate', key: 'ZBBENCH0001', seq: 1, payload: certificatePayload('ZBBENCH0001', org.code, { contractNo: undefined, deliveryNo: undefined, salesOrderNo: undefined }) },
    ]);
    const run = await app.erpSync.runNow('manual', 60_000);
    if (run.status !== 'done') throw new Error(`sync for the verification bench: ${JSON.stringify(run)}`);
    const cert = await db('certificates').where('certificate_no', 'ZBBENCH0001').first('id');
    if (!cert) throw new Error('the bench certificate was not materialised');
    await db('certificate_print_rights').insert({ customer_id: (await db('organisations').where('code', org.code).first('id')).id, allowed: true, copies_per_certificate: o.copies, updated_by: 'bench', updated_at: new Date().toISOString().slice(0, 23).replace('T', ' ') }).onConflict('customer_id').merge();
    const login = await fetch(`${o.portalUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'hengda.admin', password: DEMO_PASSWORD }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const codes: string[] = [];
    for (let i = 0; i < o.copies; i++) {
      const res = await fetch(`${o.portalUrl}/api/certificates/${cert.id}/prints`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
      if (res.status !== 201) throw new Error(`printing a bench copy: ${res.status} ${await res.text()}`);
      const copy = (await res.json()) as { verifyUrl: string };
      codes.push(copy.verifyUrl.slice(copy.verifyUrl.lastIndexOf('/') + 1));
    }
    return codes;
  } finally {
    await app.close();
    await db.destroy();
    await staging.destroy();
  }
}
