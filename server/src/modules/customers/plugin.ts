// Wires the Customers module's derived data: after every sync that applied documents the ERP customer master is
// matched and the credit snapshot refreshed; every night all customers are graded (and on demand by a route).
import fp from 'fastify-plugin';
import { recomputeCustomers, refreshChangedCredit } from './credit.js';
import { matchErpCustomers } from './matching.js';

export default fp(
  async (app) => {
    app.erpSync.afterApply(async () => {
      await matchErpCustomers(app.db);
      await refreshChangedCredit(app.db);
    });
    app.scheduler.add({
      name: 'customers.grade',
      schedule: app.config.customers.gradeSchedule,
      // Each grade change writes a history row computed from a read before the write: two instances grading the
      // same slot would both write it.
      once: true,
      run: () => recomputeCustomers(app.db),
    });
  },
  { name: 'customers', dependencies: ['erp-sync', 'scheduler'] },
);
