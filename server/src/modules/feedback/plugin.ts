// Wires the Feedback module: its dependencies (configuration, the attachment folder under the data directory, the
// clock, the surveys module's hook when that module is present) and the scheduled overdue notices.
import { mkdirSync } from 'node:fs';
import fp from 'fastify-plugin';
import { attachmentDir } from './attachments.js';
import { notifyOverdue, type FeedbackDeps } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    feedback: FeedbackDeps;
  }
}

export default fp(
  async (app) => {
    const dir = attachmentDir(app.config.dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    app.decorate('feedback', {
      config: app.config.feedback,
      attachmentDir: dir,
      now: () => new Date(),
      // Issue 9: a resolved item may send the customer a short survey. Looked up at the call: the surveys plugin
      // registers after this one, and an installation may leave it out.
      onResolved: async (trx, e) => {
        if (app.hasDecorator('surveys')) await app.surveys.onEvent(trx, { event: 'feedback_resolved', customerId: e.customerId, ref: `feedback:${e.feedbackId}` });
      },
    } satisfies FeedbackDeps);
    app.scheduler.add({ name: 'feedback.overdue', schedule: '*/5 * * * *', run: () => notifyOverdue(app.db, app.feedback.now()) });
  },
  { name: 'feedback', dependencies: ['config', 'db', 'scheduler'] },
);
