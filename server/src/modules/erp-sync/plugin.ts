// Wires the ERP sync into the app: app.erpSync.runNow for routes and scripts, and the scheduled job,
// whose every tick is claimed by at most one process (lease + unique tick in sync_runs).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import { toDbTime } from '../../db/knex.js';
import { runSync, type RunResult } from './engine.js';

export const processHolder = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export default fp(
  async (app) => {
    const holder = processHolder();
    const deps = { db: app.db, staging: app.staging, config: app.config };
    const listeners: ((result: RunResult) => Promise<unknown>)[] = [];
    // A listener's failure is logged and does not fail the sync: the listeners catch up on their next run.
    const notify = async (result: RunResult) => {
      if (result.status !== 'done' || result.applied + result.released === 0) return result;
      for (const l of listeners) await l(result).catch((err) => app.log.error({ err }, 'after-sync listener failed'));
      return result;
    };
    app.decorate('erpSync', {
      runNow: (trigger: 'manual' | 'script', waitForLeaseMs = 0) => runSync(deps, { trigger, holder, waitForLeaseMs }).then(notify),
      afterApply: (listener: (result: RunResult) => Promise<unknown>) => void listeners.push(listener),
    });
    if (app.config.sync.enabled) {
      app.scheduler.add({
        name: 'erp.sync',
        schedule: app.config.sync.schedule,
        // The tick is the second the schedule fired; processes firing for the same second share it.
        run: () => runSync(deps, { trigger: 'schedule', holder, tick: new Date().toISOString().slice(0, 19) }).then(notify),
      });
    }
    app.scheduler.add({
      name: 'erp.sync_runs.purge',
      schedule: '23 3 * * *',
      // Runs that found nothing to do are kept a day (they guard their tick), the others 14 days.
      run: async () => {
        await app.db('sync_runs').where('started_at', '<', toDbTime(new Date(Date.now() - 14 * 86400_000))).delete();
        await app.db('sync_runs')
          .where('started_at', '<', toDbTime(new Date(Date.now() - 86400_000)))
          .where({ applied: 0, stale: 0, waiting: 0, released: 0, quarantined: 0, delivered: 0, acknowledged: 0 })
          .whereNull('error')
          .delete();
      },
    });
  },
  { name: 'erp-sync', dependencies: ['scheduler'] },
);
