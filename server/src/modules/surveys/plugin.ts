// Wires the Surveys module: app.surveys.onEvent for other modules (feedback calls it when an item is resolved), the
// scheduler's job that opens, closes, notifies and reminds, and the reader of ERP sales orders and delivery notes
// that sends event-triggered surveys after each sync.
import fp from 'fastify-plugin';
import type { Knex } from 'knex';
import { erpEvents, onEvent, tick, type EventOutcome, type SurveyEventInput } from './service.js';

export interface SurveysApi {
  /** Sends the open event survey for this event to the customer, unless one went to it recently; in trx when given one. */
  onEvent(db: Knex | Knex.Transaction, input: SurveyEventInput): Promise<EventOutcome>;
}

declare module 'fastify' {
  interface FastifyInstance {
    surveys: SurveysApi;
  }
}

export default fp(
  async (app) => {
    const settings = app.config.surveys;
    app.decorate('surveys', { onEvent: (db, input) => onEvent(db, settings, input) } satisfies SurveysApi);
    app.scheduler.add({ name: 'surveys.tick', schedule: settings.schedule, run: () => tick(app.db, settings) });
    app.erpSync.afterApply(() => erpEvents(app.db, settings));
  },
  { name: 'surveys', dependencies: ['scheduler', 'notifications', 'erp-sync', 'customers'] },
);
