// Wires the Contracts module: its dependencies for the routes (rendering in the app's shared PDF worker pool) and its
// scheduled work: sealing retries, listing expiry and reminders.
import fp from 'fastify-plugin';
import { expireListings, sealPending, sendReminders, type ContractDeps } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    contracts: ContractDeps;
  }
}

export default fp(
  async (app) => {
    const deps: ContractDeps = {
      db: app.db,
      config: app.config,
      sms: app.sms,
      secret: app.config.jwt.secret,
      render: (doc) => app.pdf.render('contract', doc),
      renderAuditTrail: (trail) => app.pdf.render('audit-trail', trail),
    };
    app.decorate('contracts', deps);
    app.scheduler.add({ name: 'contracts.seal', schedule: app.config.seals.schedule, run: () => sealPending(deps) });
    app.scheduler.add({ name: 'contracts.expire', schedule: '0 * * * * *', run: async () => ({ expired: await expireListings(app.db) }) });
    app.scheduler.add({ name: 'contracts.remind', schedule: '0 */10 * * * *', run: () => sendReminders(app.db) });
  },
  { name: 'contracts', dependencies: ['scheduler', 'notifications', 'pdf'] },
);
