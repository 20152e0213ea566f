// One PDF worker pool for the whole process (contracts, certificate copies, audit trails): its threads start on the
// first document, each loads the Chinese fonts once, and the pool closes with the app. Two pools would double the
// threads and the ~40 MB of parsed fonts on a two-core machine for no gain.
import fp from 'fastify-plugin';
import { createPdfPool, type PdfPool } from '../pdf/pool.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** renders in the shared worker pool, started on first use */
    pdf: Pick<PdfPool, 'render'>;
  }
}

export default fp(
  async (app) => {
    let pool: PdfPool | null = null;
    app.decorate('pdf', { render: (kind, input, o) => (pool ??= createPdfPool()).render(kind, input, o) } satisfies Pick<PdfPool, 'render'>);
    app.addHook('onClose', async () => {
      await pool?.close();
    });
  },
  { name: 'pdf' },
);
