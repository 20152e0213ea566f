// `npm run ca:passphrase -- check|rotate`: key management for the portal's CA (docs/operations.md §6).
//
//   check   proves CA_PASSPHRASE opens every stored seal key (the root's and every organisation's); changes nothing
//   rotate  re-encrypts every stored key from CA_PASSPHRASE to CA_PASSPHRASE_NEW in one transaction, all or nothing
//
// Both passphrases come from the environment, never from the command line (where `ps` and shell history keep them).
// Rotate with every portal instance stopped, then start them with CA_PASSPHRASE set to the new value: an instance
// still holding the old one cannot seal (its sealing retries wait until it is restarted). In development, where the
// passphrase was generated under DATA_DIR, that file is updated too.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigOrExit } from '../../server/src/config.js';
import { createKnex } from '../../server/src/db/knex.js';
import { AppError } from '../../server/src/errors.js';
import { checkCaPassphrase, rotateCaPassphrase } from '../../server/src/modules/seals/rotate.js';

const command = process.argv[2];
if (command !== 'check' && command !== 'rotate') {
  console.error('usage: npm run ca:passphrase -- check|rotate   (CA_PASSPHRASE, and CA_PASSPHRASE_NEW for rotate, in the environment)');
  process.exit(2);
}

const config = loadConfigOrExit();
const db = createKnex({ url: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'portal.sqlite') });
try {
  if (command === 'check') {
    const { keys } = await checkCaPassphrase(db, config.seals.caPassphrase);
    console.log(`CA_PASSPHRASE opens all ${keys} stored seal keys`);
  } else {
    const next = process.env.CA_PASSPHRASE_NEW ?? '';
    const { keys } = await rotateCaPassphrase(db, config.seals.caPassphrase, next);
    if (!process.env.CA_PASSPHRASE && config.env !== 'production') {
      writeFileSync(path.join(config.dataDir, 'ca-passphrase'), next + '\n', { mode: 0o600 });
      console.log(`${keys} seal keys re-encrypted; the development passphrase under ${config.dataDir} is updated`);
    } else {
      console.log(`${keys} seal keys re-encrypted: start the portal with CA_PASSPHRASE set to the new value, and store it where the old one was kept`);
    }
  }
} catch (err) {
  if (err instanceof AppError) {
    console.error(`${err.code}: ${err.message}${err.details ? ' ' + JSON.stringify(err.details) : ''}`);
    process.exitCode = 1;
  } else throw err;
} finally {
  await db.destroy();
}
