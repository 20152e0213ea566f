// Wires the Certificates module: after every sync that applied documents, the ERP's changed certificate documents
// are materialised into the portal's certificate tables (after the customers module has matched new customers);
// printed copies are rendered in a PDF worker pool of the module's own, started on first print, closed with the app.
import fp from 'fastify-plugin';
import { createPdfPool, type PdfPool } from '../../pdf/pool.js';
import type { PrintDeps } from './printing.js';
import { materialiseCertificates } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    certificatePrinting: PrintDeps;
  }
}

export default fp(
  async (app) => {
    let pool: PdfPool | null = null;
    app.decorate('certificatePrinting', {
      db: app.db,
      config: app.config,
      render: (doc) => (pool ??= createPdfPool()).render('certificate', doc),
    } satisfies PrintDeps);
    app.addHook('onClose', async () => {
      await pool?.close();
    });
    app.erpSync.afterApply(() => materialiseCertificates(app.db));
  },
  { name: 'certificates', dependencies: ['erp-sync', 'customers'] },
);
