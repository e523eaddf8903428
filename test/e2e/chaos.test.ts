// The short chaos run of issue 9 (about 6 kills each); `npm run chaos` runs the long one (test/e2e/chaos.ts).
// CHAOS_SEED replays a run; the seed is printed either way.
import { formatReport, runChaos, type ChaosMode } from './chaos';

const SEED = Number(process.env.CHAOS_SEED ?? 20261127);

async function chaos(mode: ChaosMode) {
  const report = await runChaos({ seed: SEED, kills: 6, mode, phaseMs: [700, 1500], quietMs: 30_000 });
  process.stdout.write(`${formatReport(report)}\n${[...report.notes, ...report.problems].join('\n')}\n`);
  // The run did what it says, so that the zeros below mean something.
  expect(report.kills).toBe(6);
  expect(report.killsMidTrigger).toBeGreaterThanOrEqual(1);
  expect(report.acknowledged).toBeGreaterThanOrEqual(10);
  expect(report.finalAndRight).toBeGreaterThanOrEqual(1);
  // The invariant, with the evidence of every breach in the failure message.
  expect(report.problems).toEqual([]);
  expect({ stuck: report.stuck, wrong: report.wrong, duplicates: report.duplicates, slowExits: report.slowExits }).toEqual({
    stuck: 0,
    wrong: 0,
    duplicates: 0,
    slowExits: 0,
  });
  expect(report.finalAndRight + report.honestErrors).toBe(report.acknowledged);
  // Every run a kill cut off mid-trigger settled within 30 s of its app being back (also a problem above).
  expect(report.orphans.length).toBeGreaterThanOrEqual(1);
  for (const orphan of report.orphans) expect(orphan.settledAfterBackMs ?? Infinity).toBeLessThanOrEqual(30_000);
}

describe(`chaos: kills, faults and traffic, then every acknowledged action ends final (seed ${SEED})`, () => {
  test('one process with SQLite', () => chaos('sqlite'), 150_000);
  test('two replicas on one Redis, either killed', () => chaos('redis'), 150_000);
});
