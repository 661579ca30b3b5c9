// `densho migrate`: create the database if needed and apply pending migrations (db/migrations/NNNN_*.sql).
import { migrate, migrationStatus } from '../../platform/node/migrator.ts';
import { openDatabase } from '../../platform/node/sqlite.ts';
import { assertNoServer, type Command, dbFile } from './shared.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create the database and apply pending migrations',
  usage: 'densho migrate',
  help: `Creates DENSHO_DATA_DIR/densho.db if it does not exist and applies every pending migration, each in its own
transaction (the same d1_migrations table wrangler uses). Refused while a server runs on the data directory:
stop it, migrate, start it with the new version. \`densho serve\` also migrates at startup.`,
  options: {},
  async run(ctx) {
    const config = ctx.config();
    assertNoServer(config, 'migrate');
    const opened = openDatabase(dbFile(config));
    try {
      const applied = migrate(opened.sqlite);
      const { applied: all } = migrationStatus(opened.sqlite);
      ctx.io.out(
        applied.length > 0
          ? `applied ${applied.length} migration(s): ${applied.join(', ')} (${dbFile(config)})`
          : `database is up to date (${all.length} migrations applied; ${dbFile(config)})`,
      );
    } finally {
      await opened.close();
    }
  },
};
