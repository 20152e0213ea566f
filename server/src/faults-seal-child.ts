// Test-only child process of faults.test.ts: seals every contract left in 'sealing', one at a time, with the contract
// service itself (the app's renderer run in this thread, the seal settings from the environment's config) until none
// is left; the parent kills it with SIGKILL mid-way. Building the whole app would cost seconds per start.
import { loadConfigOrExit } from './config.js';
import { createKnex, type DbTarget } from './db/knex.js';
import { renderContractPdf } from './modules/contracts/document.js';
import { sealContract, type ContractDeps } from './modules/contracts/service.js';
import { loadFonts } from './pdf/fonts.js';

const [targetJson] = process.argv.slice(2);
const config = loadConfigOrExit();
const db = createKnex(JSON.parse(targetJson!) as DbTarget, { max: 2 });
const fonts = loadFonts();
const deps: ContractDeps = {
  db,
  config,
  sms: { send: async () => Promise.reject(new Error('sealing sends no codes')) },
  secret: config.jwt.secret,
  render: (doc) => renderContractPdf(doc, fonts),
  renderAuditTrail: async () => Promise.reject(new Error('sealing renders no audit trail')),
};
console.log('ready');
for (;;) {
  const next = await db('contracts').where('state', 'sealing').orderBy('id').first('id');
  if (!next) break;
  await sealContract(deps, Number(next.id));
  console.log(`sealed ${next.id}`);
}
await db.destroy();
