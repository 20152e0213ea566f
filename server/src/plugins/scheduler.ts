// Scheduled jobs (node-cron): modules register jobs; they start with the server and stop on shutdown.
// Every instance fires every job; a job marked `once` runs each schedule slot on the first instance that claims it.
import { hostname } from 'node:os';
import fp from 'fastify-plugin';
import cron, { type RunCoordinator, type ScheduledTask } from 'node-cron';
import { isDuplicateKey, toDbTime } from '../db/knex.js';

export interface Job {
  name: string;
  /** cron expression, seconds field optional */
  schedule: string;
  run: () => Promise<unknown>;
  /**
   * Run each schedule slot on one instance only, claimed in job_ticks. For jobs whose effect repeats when run twice
   * (e.g. a history row per change computed from a read before the write); jobs that claim their own work with
   * conditional updates (reminders, expiries, the SMS outbox) stay on every instance. runNow is never claimed.
   */
  once?: boolean;
}

/** Claims older than this are deleted by the next claim of the same job: a slot is never fired again so late. */
const CLAIMS_KEPT_MS = 7 * 86400_000;

declare module 'fastify' {
  interface FastifyInstance {
    scheduler: { add(job: Job): void; runNow(name: string): Promise<unknown>; jobs(): string[] };
  }
}

export default fp<{ start: boolean }>(
  async (app, opts) => {
    const jobs = new Map<string, Job>();
    const tasks: ScheduledTask[] = [];
    const running = new Set<string>();

    async function runOnce(job: Job) {
      // One run of a job at a time in this process; cross-process exclusion is the job's own lease.
      if (running.has(job.name)) return;
      running.add(job.name);
      const started = Date.now();
      try {
        const result = await job.run();
        app.log.debug({ job: job.name, ms: Date.now() - started, result }, 'job done');
        return result;
      } catch (err) {
        app.log.error({ err, job: job.name }, 'job failed');
        throw err;
      } finally {
        running.delete(job.name);
      }
    }

    const holder = `${hostname()}:${process.pid}`;
    /** node-cron asks before each slot with the key `<job name>:<slot ISO time>`; a claim error skips the slot. */
    function slotClaims(name: string): RunCoordinator {
      return {
        async shouldRun(key: string) {
          const now = new Date();
          try {
            await app.db('job_ticks').insert({ job: name, slot: key.slice(name.length + 1), holder, claimed_at: toDbTime(now) });
          } catch (err) {
            if (isDuplicateKey(err)) return false;
            app.log.error({ err, job: name }, 'job slot claim failed, slot skipped');
            throw err;
          }
          await app.db('job_ticks').where('job', name).where('claimed_at', '<', toDbTime(new Date(now.getTime() - CLAIMS_KEPT_MS))).delete();
          return true;
        },
      };
    }

    app.decorate('scheduler', {
      add(job: Job) {
        if (jobs.has(job.name)) throw new Error(`job ${job.name} registered twice`);
        if (!cron.validate(job.schedule)) throw new Error(`job ${job.name} has an invalid schedule "${job.schedule}"`);
        jobs.set(job.name, job);
      },
      runNow(name: string) {
        const job = jobs.get(name);
        if (!job) throw new Error(`no job ${name}`);
        return runOnce(job);
      },
      jobs: () => [...jobs.keys()],
    });

    if (opts.start) {
      app.addHook('onReady', async () => {
        for (const job of jobs.values()) {
          const claims = job.once ? { distributed: true, runCoordinator: slotClaims(job.name) } : {};
          tasks.push(cron.schedule(job.schedule, () => void runOnce(job).catch(() => undefined), { name: job.name, noOverlap: true, ...claims }));
        }
      });
    }
    app.addHook('onClose', async () => {
      await Promise.all(tasks.map((t) => t.stop()));
    });
  },
  { name: 'scheduler', dependencies: ['db'] },
);
