// Wires the Certificates module: after every sync that applied documents, the ERP's changed certificate documents
// are materialised into the portal's certificate tables (after the customers module has matched new customers);
// printed copies are rendered in the app's shared PDF worker pool.
import fp from 'fastify-plugin';
import type { PrintDeps } from './printing.js';
import { materialiseCertificates } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    certificatePrinting: PrintDeps;
  }
}

export default fp(
  async (app) => {
    app.decorate('certificatePrinting', {
      db: app.db,
      config: app.config,
      render: (doc) => app.pdf.render('certificate', doc),
    } satisfies PrintDeps);
    app.erpSync.afterApply(() => materialiseCertificates(app.db));
  },
  { name: 'certificates', dependencies: ['erp-sync', 'customers', 'pdf'] },
);
