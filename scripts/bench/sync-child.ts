// Child process of the sync figures: runs one timed workload against the MariaDB stores named in argv[2] and
// reports over IPC. A process of its own, like the portal process that runs the sync in production, so that
// the bench's generated world (hundreds of MB on its heap) does not slow either side with garbage collection.
//   {"mode":"sync"|"bare", "portalUrl", "stagingUrl", "jwtSecret", "dataDir"}
import { INBOUND_INTERFACES, inboundTable } from '../../shared/erp/interfaces.js';
import { loadConfig } from '../../server/src/config.js';
import { createKnex } from '../../server/src/db/knex.js';
import { createBareTable, timeBareUpsert, timeSync, type BareRow } from './sync.js';
import { BENCH_CA_PASSPHRASE } from './targets.js';

interface Job {
  mode: 'sync' | 'bare';
  portalUrl: string;
  stagingUrl: string;
  jwtSecret: string;
  dataDir: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
process.on('disconnect', () => process.exit(1));

const db = createKnex({ url: job.portalUrl, sqliteFile: '' });
const staging = createKnex({ url: job.stagingUrl, sqliteFile: '' });
try {
  if (job.mode === 'sync') {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: job.jwtSecret,
      CA_PASSPHRASE: BENCH_CA_PASSPHRASE,
      DATA_DIR: job.dataDir,
      DATABASE_URL: job.portalUrl,
      STAGING_DATABASE_URL: job.stagingUrl,
      LOG_LEVEL: 'silent',
      SYNC_BATCH_SIZE: process.env.SYNC_BATCH_SIZE,
    });
    process.send?.({ result: { ...(await timeSync(db, staging, config)), batchSize: config.sync.batchSize } });
  } else {
    // The same rows the sync reads, in the same order (per interface, by staging id); loading them is not timed.
    const rows: BareRow[] = [];
    for (const iface of INBOUND_INTERFACES) {
      const part = await staging(inboundTable(iface)).select('doc_key', 'seq', 'op', 'payload').orderBy('id');
      for (const r of part) rows.push({ interface: iface, doc_key: String(r.doc_key), seq: Number(r.seq), payload: r.op === 'delete' ? null : r.payload === null ? null : String(r.payload) });
    }
    await createBareTable(db);
    process.send?.({ result: await timeBareUpsert(db, rows) });
  }
} catch (err) {
  process.send?.({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
} finally {
  await db.destroy();
  await staging.destroy();
  process.disconnect?.();
}
