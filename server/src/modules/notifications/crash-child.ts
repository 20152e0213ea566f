// Test-only child process of crash.test.ts: delivers the SMS outbox with the log provider until nothing is left,
// each gateway acknowledgment slowed down so that a SIGKILL often lands between the hand-over and the "sent" mark.
import { createKnex, type DbTarget } from '../../db/knex.js';
import { deliverSms } from '../../plugins/notifications.js';
import { logProvider, type SmsProvider } from '../../plugins/sms-provider.js';

const [targetJson, logFile, delayArg] = process.argv.slice(2);
const db = createKnex(JSON.parse(targetJson!) as DbTarget, { max: 2 });
const log = logProvider(logFile!);
const delayMs = Number(delayArg ?? 20);
const slow: SmsProvider = {
  name: 'log',
  async send(m) {
    const r = await log.send(m);
    await new Promise((res) => setTimeout(res, delayMs));
    return r;
  },
};

// A 1-second claim: messages a killed run had claimed come due again soon after.
const settings = { maxAttempts: 100, claimSeconds: 1, batchSize: 10 };
for (;;) {
  const r = await deliverSms(db, slow, settings);
  if (r.sent + r.retrying + r.failed > 0) continue;
  const [{ n }] = await db('sms_messages').where('state', 'pending').count({ n: '*' });
  if (Number(n) === 0) break;
  await new Promise((res) => setTimeout(res, 200));
}
await db.destroy();
