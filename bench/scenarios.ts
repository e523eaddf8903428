/** The benchmark's scenarios: how many runs of how many checks, where, and how slow Checkly is to trigger. */
export interface ScenarioSpec {
  name: string;
  title: string;
  runs: number;
  checksPerRun: number;
  /** Runs are spread over this many channels (Slack allows about one post a second per channel). */
  channels: number;
  /** Extra time Checkly takes to answer a trigger. */
  triggerDelayMs?: number;
  seed: number;
  /**
   * Once every run is final and this long has passed, the same commands again: the second round's
   * figures go to `again`. A minute lets the first round's requests leave the budget's window, so
   * that the second starts with the same budget and differs only in what the app knows.
   */
  repeatAfterMs?: number;
  /** App processes sharing one Redis (default 1, without Redis); commands go to them in turn. */
  replicas?: number;
  /** One replica is killed (SIGKILL) this long after the commands were acknowledged. */
  killReplicaAfterMs?: number;
  /** Not the app: the Checkly CLI's `checks run` over the same checks, on a fake of its own. */
  peer?: 'cli';
  /** Longest the scenario may take before it is called stuck (default 240 s). */
  deadlineMs?: number;
  /** The Checkly account: calm (the default: every session lasts its check's duration) or field-like (FIELD). */
  account?: 'calm' | 'field';
}

export const SCENARIOS: readonly ScenarioSpec[] = [
  { name: 'burst-50', title: 'burst of 50 commands, trigger answered in 2 s', runs: 50, checksPerRun: 3, channels: 10, triggerDelayMs: 2000, seed: 4 },
  { name: 'run-10', title: '1 run of 10 checks', runs: 1, checksPerRun: 10, channels: 1, seed: 1 },
  { name: 'runs-20x10', title: '20 concurrent runs of 10 checks', runs: 20, checksPerRun: 10, channels: 4, seed: 2 },
  { name: 'run-300', title: '1 run of 300 checks, then the same again', runs: 1, checksPerRun: 300, channels: 1, seed: 3, repeatAfterMs: 62_000 },
  { name: 'cli-300', title: 'the Checkly CLI on the same 300 checks', runs: 1, checksPerRun: 300, channels: 1, seed: 3, peer: 'cli' },
  {
    name: 'field-300',
    title: 'the same 300 checks on a field-like account, then again',
    runs: 1,
    checksPerRun: 300,
    channels: 1,
    seed: 3,
    repeatAfterMs: 62_000,
    account: 'field',
  },
  {
    name: 'cli-field-300',
    title: 'the Checkly CLI on the field-like account',
    runs: 1,
    checksPerRun: 300,
    channels: 1,
    seed: 3,
    peer: 'cli',
    account: 'field',
  },
  {
    name: 'replicas-3',
    title: '3 replicas on one Redis, 40 runs of 25 checks in 4 channels, one replica killed',
    runs: 40,
    checksPerRun: 25,
    channels: 4,
    seed: 5,
    replicas: 3,
    killReplicaAfterMs: 45_000,
    deadlineMs: 480_000,
  },
];

/** Sessions last 5 to 90 s. */
export const DURATION_MS = { min: 5_000, max: 90_000 };
/**
 * How a field-like account differs from the calm one, in the fake Checkly's two knobs: a session lasts
 * its check's duration ±30 % (drawn per session), and a check's status reports response times of 0.3
 * to 0.6 of its duration (its results answer in 0.6 of their session).
 */
export const FIELD = { sessionJitter: 0.3, responseTimeShare: { min: 0.3, max: 0.6 } };
/** Checkly answers in 20 to 250 ms (plus a long poll's hold); Slack in 30 to 300 ms. */
export const CHECKLY_LATENCY_MS = { min: 20, max: 250 };
export const SLACK_LATENCY_MS = { min: 30, max: 300 };
/** The limits the fakes enforce, as the real services do. */
export const LIMITS = { checklyPerMinute: 600, slackUpdatesPerMinute: 50, slackPostsPerSecondPerChannel: 1, slackPostBurstSeconds: 5 };
/** The app's budgets (its defaults). */
export const BUDGETS = { checklyPerMinute: 300, slackUpdatesPerMinute: 50 };

/** A small seeded generator (mulberry32), so that every run of the benchmark meets the same checks. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function between(rand: () => number, range: { min: number; max: number }): number {
  return Math.round(range.min + rand() * (range.max - range.min));
}

export interface Spread {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ScenarioResult {
  name: string;
  title: string;
  runs: number;
  sessions: number;
  wallSeconds: number;
  ackMs: Spread;
  /** Commands whose acknowledgement came back before Checkly saw their trigger / before Slack answered their post. */
  ackFirst: { beforeTrigger: number; beforePostAnswered: number; of: number };
  /** From a session's final status to the app knowing it (Checkly's answer to a completion poll). */
  detectedMs: Spread;
  sessionShownMs: Spread;
  runShownMs: Spread;
  /**
   * perSession: every Checkly request the app made from the command on (the round's), per session: what
   * the targets count; sessionPerSession: those starting and following sessions (trigger, completion,
   * session, cancel); byOperation: the round's requests by endpoint (the first round's, when repeated).
   */
  checkly: { requests: number; perSession: number; sessionPerSession: number; peakPerMinute: number; byOperation: Record<string, number>; status429: number };
  slack: { updates: number; updatesPerRun: number; peakUpdatesPerMinute: number; posts: number; status429: number; rejections: number };
  peakRssMb: number;
  /** Runs not shown final, rows wrong, sessions never shown, warnings logged. */
  problems: string[];
  /** The second round of a repeated scenario: the same checks, the app having seen them once. */
  again?: { detectedMs: Spread; perSession: number; sessionPerSession: number; byOperation: Record<string, number>; runShownMs: Spread; problems: number };
  replicas?: number;
  /** A replica was killed, this long after the commands were acknowledged. */
  killedAfterMs?: number;
  peer?: 'cli';
  /** The CLI's exit code and the end of its output (it exits 1 when a check failed, as expected). */
  cli?: { exitCode: number | null; version: string };
}
