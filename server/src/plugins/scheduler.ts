// Scheduled jobs (node-cron): modules register jobs; they start with the server and stop on shutdown.
import fp from 'fastify-plugin';
import cron, { type ScheduledTask } from 'node-cron';

export interface Job {
  name: string;
  /** cron expression, seconds field optional */
  schedule: string;
  run: () => Promise<unknown>;
}

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
          tasks.push(cron.schedule(job.schedule, () => void runOnce(job).catch(() => undefined), { name: job.name, noOverlap: true }));
        }
      });
    }
    app.addHook('onClose', async () => {
      await Promise.all(tasks.map((t) => t.stop()));
    });
  },
  { name: 'scheduler' },
);
