// Organisation routes: staff list organisations in their scope; anyone reads an organisation they may see.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Organisation, OrganisationListQuery, OrganisationPage } from '../../../../shared/api/organisations.js';
import { IdParams } from '../../../../shared/api/common.js';
import { allow } from '../../plugins/access.js';
import { principalOf } from '../../plugins/auth.js';
import { withErrors } from '../../http.js';
import { getOrganisation, listOrganisations } from './service.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/organisations',
    {
      config: { access: allow.staff('organisation') },
      schema: { tags: ['organisations'], summary: 'List organisations', querystring: OrganisationListQuery, response: withErrors({ 200: OrganisationPage }) },
    },
    async (request) => listOrganisations(app.db, principalOf(request), request.query),
  );
  app.get(
    '/organisations/:id',
    {
      config: { access: allow.signedIn('organisation') },
      schema: { tags: ['organisations'], summary: 'Read one organisation', params: IdParams, response: withErrors({ 200: Organisation }) },
    },
    async (request) => getOrganisation(app.db, principalOf(request), request.params.id),
  );
};

export default routes;
