// Wires the Allocation module's clock: offers not answered by their deadline expire and their tonnage returns to
// the plan, every few minutes (answers after the deadline are refused on their own, whatever the job's timing).
import fp from 'fastify-plugin';
import { expireDue } from './service.js';

export default fp(
  async (app) => {
    app.scheduler.add({
      name: 'allocation.expire',
      schedule: '*/5 * * * *',
      run: async () => ({ expired: await app.db.transaction((trx) => expireDue(trx)) }),
    });
  },
  { name: 'allocation', dependencies: ['scheduler'] },
);
