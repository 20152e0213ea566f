// Opens the portal DB and the staging store (knex), runs migrations when asked, and closes both on shutdown.
import fp from 'fastify-plugin';
import path from 'node:path';
import type { Knex } from 'knex';
import { createKnex } from '../db/knex.js';
import { migrateLatest } from '../db/migrate.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Knex;
    staging: Knex;
  }
}

export interface DbPluginOptions {
  /** already-open connections (tests, scripts); the plugin then leaves closing them to the caller */
  db?: Knex;
  staging?: Knex;
  migrate?: boolean;
}

export default fp<DbPluginOptions>(
  async (app, opts) => {
    const { config } = app;
    const db = opts.db ?? createKnex({ url: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'portal.sqlite') });
    const staging =
      opts.staging ?? createKnex({ url: config.stagingDatabaseUrl, sqliteFile: path.join(config.dataDir, 'staging.sqlite') });
    app.decorate('db', db);
    app.decorate('staging', staging);
    if (opts.migrate) {
      const portalApplied = await migrateLatest(db, 'portal');
      const stagingApplied = await migrateLatest(staging, 'staging');
      if (portalApplied.length || stagingApplied.length) {
        app.log.info({ portal: portalApplied, staging: stagingApplied }, 'migrations applied');
      }
    }
    app.addHook('onClose', async () => {
      if (!opts.db) await db.destroy();
      if (!opts.staging) await staging.destroy();
    });
  },
  { name: 'db', dependencies: ['config'] },
);
