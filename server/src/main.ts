// Starts the portal: reads config, migrates, loads demo data on a fresh database, listens, and shuts down gracefully.
import { buildApp } from './app.js';
import { loadConfigOrExit } from './config.js';
import { DEMO_PASSWORD, demoSignIns, loadDemoData, loadDemoPlan } from './demo.js';

/**
 * A fresh demo machine has an empty staging store: play the mill's ERP once (the simulator's default world,
 * whose first customers are the demo customers) and sync it, so the portal shows data from the first page.
 * Loaded lazily: production builds never run it unless ERP_SIMULATE_ON_START=true.
 */
async function simulateErpOnce(app: Awaited<ReturnType<typeof buildApp>>): Promise<number> {
  const { simulateOnce } = await import('../../scripts/erp/world.js');
  const written = await simulateOnce(app.staging);
  if (written > 0) {
    const started = Date.now();
    let applied = 0;
    for (let i = 0; i < 100; i++) {
      const run = await app.erpSync.runNow('script', 5000);
      if (run.status !== 'done') break;
      applied += run.applied + run.released;
      if (run.applied + run.released + run.stale + run.quarantined + run.waiting === 0) break;
    }
    app.log.info({ written, applied, ms: Date.now() - started }, 'ERP simulator: demo world written to staging and synced');
    // Grade the new customers now rather than at the first nightly run, so their credit pages are complete.
    await app.scheduler.runNow('customers.grade');
  }
  return written;
}

/** How long a shutdown answers new requests 503 before closing the listener and the idle connections. */
const DRAIN_MS = 1000;

async function main() {
  const config = loadConfigOrExit();
  const app = await buildApp({ config, migrate: true, startJobs: true });
  const loaded = config.demoData ? await loadDemoData(app.db, config) : false;
  const simulated = config.sync.simulateOnStart ? await simulateErpOnce(app) : 0;
  const demoPlan = loaded ? await loadDemoPlan(app.db) : false;

  let closing = false;
  // For the first second of a shutdown the listener stays open and new requests are answered 503 (Connection: close)
  // on the connection they came on. Closing at once would reset every idle keep-alive connection, and with it a
  // request a client had just sent on one that the server had not read yet: under 200 requests/s some requests sent
  // before the signal failed with ECONNRESET (main.test.ts). Requests already in flight finish either way.
  // Decided when the request's headers are read, before any hook runs: a request read before the signal is in
  // flight and finishes even if its hooks (sign-in, rate limit) are still running when the signal comes.
  const lateRequests = new WeakSet<object>();
  app.server.prependListener('request', (req) => {
    if (closing) lateRequests.add(req);
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!lateRequests.has(request.raw)) return;
    reply.header('connection', 'close').header('retry-after', '5');
    return reply.status(503).send({ error: { code: 'service.unavailable', message: 'The server is shutting down, please retry' } });
  });
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out, exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    setTimeout(() => {
      // server.close() drops the connections idle at that moment; keep-alive connections whose
      // in-flight response finishes later would hold the process open until their keep-alive timeout.
      setInterval(() => app.server.closeIdleConnections(), 100).unref();
      app.close().then(
        () => process.exit(0),
        (err) => {
          app.log.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
    }, DRAIN_MS);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  const url = `http://localhost:${config.port}`;
  const lines = [
    '',
    `  Steel sales portal 钢铁销售门户 is running at ${url}`,
    `  API docs: ${url}/api/docs`,
    `  Portal DB: ${config.databaseUrl ? config.databaseUrl.replace(/\/\/[^@]*@/, '//***@') : 'embedded SQLite under ' + config.dataDir}`,
  ];
  if (config.demoData) {
    lines.push(`  Demo sign-ins${loaded ? ' (just loaded)' : ''}, password for all: ${DEMO_PASSWORD}`);
    lines.push(...demoSignIns().map((l) => '    ' + l));
  }
  if (demoPlan) lines.push('  Demo month: next month\'s resource plan is published to the demo customers (sign in as hengda.admin to answer)');
  if (simulated) lines.push(`  ERP simulator: ${simulated} staging rows written and synced (npm run erp:simulate -- --follow keeps the ERP playing)`);
  console.log(lines.join('\n') + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
