// CLI of the ERP simulator: writes a realistic world of ERP documents into the staging store, then (--follow) keeps
// playing the mill's ERP: new activity every interval, and answers to the portal's contracts, demands and profiles.
//   npm run erp:simulate -- [--customers 20] [--months 3] [--scale 1] [--bad-rate 0] [--seed 1] [--follow] [--interval-ms 2000] [--no-world]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INBOUND_INTERFACES } from '../../shared/erp/interfaces.js';
import { loadConfig } from '../../server/src/config.js';
import { createKnex } from '../../server/src/db/knex.js';
import { migrateLatest } from '../../server/src/db/migrate.js';
import { DEFAULT_WORLD, followTick, generateWorld, maxSeq, newFollowState, stagingRowCount, summarize, writeRows, type WorldRow } from './world.js';

const USAGE = `usage: npm run erp:simulate -- [options]
  --customers N      customers in the world (default ${DEFAULT_WORLD.customers}; the first three are the portal's demo customers)
  --months M         months of history ending yesterday (default ${DEFAULT_WORLD.months})
  --scale S          multiplies the number of orders and what follows from them (default ${DEFAULT_WORLD.scale})
  --bad-rate R       share of document rows made bad: invalid JSON, schema or rule violations (default ${DEFAULT_WORLD.badRate})
  --seed X           the same seed gives the same world (default ${DEFAULT_WORLD.seed})
  --follow           keep producing changes and answering outbound rows until Ctrl-C
  --interval-ms MS   time between follow ticks (default 2000)
  --no-world         do not write a world first (follow only)
The staging store is STAGING_DATABASE_URL, or DATA_DIR/staging.sqlite.`;

function number(name: string, raw: string | undefined, fallback: number, ok: (n: number) => boolean): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !ok(n)) {
    console.error(`--${name}: invalid value "${raw}"\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

function describeTarget(url: string | undefined, file: string): string {
  if (!url) return file;
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function printSummary(rows: WorldRow[], genMs: number, writeMs: number) {
  const s = summarize(rows);
  const pad = (v: string | number, n: number) => String(v).padStart(n);
  const lines = [`${'interface'.padEnd(22)}${pad('rows', 8)}${pad('updates', 9)}${pad('deletes', 9)}${pad('bad', 6)}`];
  const total = { rows: 0, updates: 0, deletes: 0, bad: 0 };
  for (const i of INBOUND_INTERFACES) {
    lines.push(`${i.padEnd(22)}${pad(s[i].rows, 8)}${pad(s[i].updates, 9)}${pad(s[i].deletes, 9)}${pad(s[i].bad, 6)}`);
    total.rows += s[i].rows;
    total.updates += s[i].updates;
    total.deletes += s[i].deletes;
    total.bad += s[i].bad;
  }
  lines.push(`${'total'.padEnd(22)}${pad(total.rows, 8)}${pad(total.updates, 9)}${pad(total.deletes, 9)}${pad(total.bad, 6)}`);
  const kinds = { invalid_json: 0, schema: 0, rule: 0 };
  for (const r of rows) if (r.bad) kinds[r.bad]++;
  console.log(lines.join('\n'));
  if (total.bad) console.log(`bad rows: ${kinds.invalid_json} invalid JSON, ${kinds.schema} schema, ${kinds.rule} rule`);
  const rate = writeMs > 0 ? Math.round((rows.length * 1000) / writeMs) : rows.length;
  console.log(`generated in ${genMs} ms, written in ${writeMs} ms (${rate.toLocaleString('en')} rows/s); seq ${rows[0]?.seq ?? '-'}..${rows[rows.length - 1]?.seq ?? '-'}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string' },
      months: { type: 'string' },
      scale: { type: 'string' },
      'bad-rate': { type: 'string' },
      seed: { type: 'string' },
      follow: { type: 'boolean', default: false },
      'interval-ms': { type: 'string' },
      'no-world': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const world = {
    customers: number('customers', values.customers, DEFAULT_WORLD.customers, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000),
    months: number('months', values.months, DEFAULT_WORLD.months, (n) => Number.isInteger(n) && n >= 1 && n <= 120),
    scale: number('scale', values.scale, DEFAULT_WORLD.scale, (n) => n > 0 && n <= 1000),
    badRate: number('bad-rate', values['bad-rate'], DEFAULT_WORLD.badRate, (n) => n >= 0 && n < 1),
    seed: number('seed', values.seed, DEFAULT_WORLD.seed, Number.isInteger),
  };
  const intervalMs = number('interval-ms', values['interval-ms'], 2000, (n) => Number.isInteger(n) && n >= 10);

  const config = loadConfig();
  const sqliteFile = path.join(config.dataDir, 'staging.sqlite');
  const staging = createKnex({ url: config.stagingDatabaseUrl, sqliteFile });
  try {
    await migrateLatest(staging, 'staging');
    const existing = await stagingRowCount(staging);
    console.log(`staging store: ${describeTarget(config.stagingDatabaseUrl, sqliteFile)} (${existing} inbound rows before)`);

    // With --follow on a store that already has data, just keep it moving.
    if (!values['no-world'] && !(values.follow && existing > 0)) {
      console.log(`world: ${world.customers} customers, ${world.months} months, scale ${world.scale}, bad rate ${world.badRate}, seed ${world.seed}`);
      const t0 = performance.now();
      const rows = generateWorld({ ...world, startSeq: (await maxSeq(staging)) + 1 });
      const t1 = performance.now();
      const batchId = `SIM-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-W${world.seed}`;
      await writeRows(staging, rows, batchId);
      const t2 = performance.now();
      printSummary(rows, Math.round(t1 - t0), Math.round(t2 - t1));
    }

    if (values.follow) {
      const state = newFollowState({ seed: world.seed });
      let stop = false;
      let wake: (() => void) | null = null;
      const onSignal = () => {
        stop = true;
        wake?.();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      console.log(`following every ${intervalMs} ms (Ctrl-C to stop)`);
      while (!stop) {
        try {
          const r = await followTick(staging, state);
          const parts = Object.entries(r.perInterface).map(([k, v]) => `${k} ${v}`);
          const acks = Object.entries(r.acks)
            .filter(([, a]) => a.accepted + a.rejected > 0)
            .map(([k, a]) => `${k} +${a.accepted}/-${a.rejected}`);
          console.log(`${new Date().toISOString()} ${r.batchId}: ${r.rows} rows${parts.length ? ` (${parts.join(', ')})` : ''}${acks.length ? `; acks ${acks.join(', ')}` : ''}`);
        } catch (err) {
          console.error(`tick failed: ${(err as Error).message}`);
        }
        if (stop) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, intervalMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  } finally {
    await staging.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
