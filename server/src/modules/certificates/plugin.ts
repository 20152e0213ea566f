// Wires the Certificates module: after every sync that applied documents, the ERP's changed certificate documents
// are materialised into the portal's certificate tables (after the customers module has matched new customers).
import fp from 'fastify-plugin';
import { materialiseCertificates } from './service.js';

export default fp(
  async (app) => {
    app.erpSync.afterApply(() => materialiseCertificates(app.db));
  },
  { name: 'certificates', dependencies: ['erp-sync', 'customers'] },
);
