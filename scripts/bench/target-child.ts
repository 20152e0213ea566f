// Child process serving one bench target: argv[2] is its TargetSpec; reports {port} over IPC and stops on {stop}.
import { startLocal, type TargetSpec } from './targets.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as TargetSpec;

// The bench process went away: do not outlive it.
process.on('disconnect', () => process.exit(1));

// BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of this serving process (main thread), written when it stops.
const profileDir = process.env.BENCH_CPU_PROFILE;
let writeProfile = async () => {};
if (profileDir) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  writeProfile = async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${profileDir}/target-${process.pid}.cpuprofile`, JSON.stringify(profile));
  };
}

try {
  const target = await startLocal(spec);
  process.on('message', (m: { stop?: boolean }) => {
    if (!m.stop) return;
    writeProfile()
      .then(() => target.stop())
      .then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
  });
  process.send?.({ port: target.port });
} catch (err) {
  const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (process.send) process.send({ error }, () => process.exit(1));
  else {
    console.error(error);
    process.exit(1);
  }
}
