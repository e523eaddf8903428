// `npm run chaos`: the long chaos run of issue 9 (test/e2e/chaos.ts). Exits 1 when the invariant breaks.
//   npm run chaos -- --seed 42 --kills 50 --mode sqlite|redis [--logs DIR]
import { formatReport, runChaos, type ChaosMode } from '../test/e2e/chaos';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const seed = Number(option('seed') ?? Math.floor(Math.random() * 2 ** 31));
  const kills = Number(option('kills') ?? 50);
  const mode = (option('mode') ?? 'sqlite') as ChaosMode;
  if (!Number.isInteger(seed) || !Number.isInteger(kills) || kills < 1 || (mode !== 'sqlite' && mode !== 'redis')) {
    process.stderr.write('usage: npm run chaos -- [--seed N] [--kills N] [--mode sqlite|redis] [--logs DIR]\n');
    process.exit(2);
  }
  const report = await runChaos({
    seed,
    kills,
    mode,
    logDir: option('logs'),
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${formatReport(report)}\n`);
  if (report.notes.length > 0) process.stdout.write(`\nnotes:\n${report.notes.join('\n')}\n`);
  if (report.problems.length > 0) process.stdout.write(`\nproblems:\n${report.problems.join('\n')}\n`);
  process.exit(report.problems.length === 0 && report.slowExits === 0 ? 0 : 1);
}

void main();
