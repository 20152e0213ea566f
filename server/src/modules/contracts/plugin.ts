// Wires the Contracts module: the PDF worker pool (started on first use, closed with the app), the module's
// dependencies for its routes, and its scheduled work: sealing retries, listing expiry and reminders.
import fp from 'fastify-plugin';
import { createPdfPool, type PdfPool } from '../../pdf/pool.js';
import { expireListings, sealPending, sendReminders, type ContractDeps } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    contracts: ContractDeps;
  }
}

export default fp(
  async (app) => {
    let pool: PdfPool | null = null;
    const deps: ContractDeps = {
      db: app.db,
      config: app.config,
      sms: app.sms,
      secret: app.config.jwt.secret,
      render: (doc) => (pool ??= createPdfPool()).render('contract', doc),
      renderAuditTrail: (trail) => (pool ??= createPdfPool()).render('audit-trail', trail),
    };
    app.decorate('contracts', deps);
    app.addHook('onClose', async () => {
      await pool?.close();
    });
    app.scheduler.add({ name: 'contracts.seal', schedule: app.config.seals.schedule, run: () => sealPending(deps) });
    app.scheduler.add({ name: 'contracts.expire', schedule: '0 * * * * *', run: async () => ({ expired: await expireListings(app.db) }) });
    app.scheduler.add({ name: 'contracts.remind', schedule: '0 */10 * * * *', run: () => sendReminders(app.db) });
  },
  { name: 'contracts', dependencies: ['scheduler', 'notifications'] },
);
