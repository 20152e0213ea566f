// Audit log routes: administrators read who changed what.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditListQuery, AuditPage } from '../../../../shared/api/audit.js';
import { allow } from '../../plugins/access.js';
import { withErrors } from '../../http.js';
import { listAuditEntries } from './store.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit',
    {
      config: { access: allow.roles(['admin'], 'mill') },
      schema: { tags: ['audit'], summary: 'List audit entries', querystring: AuditListQuery, response: withErrors({ 200: AuditPage }) },
    },
    async (request) => listAuditEntries(app.db, request.query),
  );
};

export default routes;
