/**
 * The failure evidence of a finished run: the details of its first failing checks for the thread
 * reply, and the screenshots of its failed browser checks. Bounded whatever the run's size (10 result
 * fetches, 3 screenshots), and every request goes through the Checkly budget behind the polls of
 * running sessions; anything that does not come in time is simply left out of the reply.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from '../log';
import { errorText } from '../shared/error-text';
import type { EvidencePort } from './ports';
import { ResultGone, type CheckType, type LocationResult, type ResultDetail, type Session } from './types';

/** Failing checks whose result the thread reply details. */
export const EVIDENCE_CHECKS = 10;
/** Screenshots uploaded per run. */
const SCREENSHOTS_PER_RUN = 3;
/** Slack takes far bigger files; a failure screenshot is a few hundred KB, and this caps what we hold. */
const SCREENSHOT_MAX_BYTES = 5 * 1024 * 1024;
const SCREENSHOT_TYPES: ReadonlySet<CheckType> = new Set(['BROWSER', 'PLAYWRIGHT']);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What the thread reply knows of one failing check. */
export interface FailureEvidence {
  checkId: string;
  /** The failing location's result the details come from. */
  result?: LocationResult;
  detail?: ResultDetail;
  /** Why there are no details (a clear line for the reply), when there are none. */
  problem?: string;
}

export interface Screenshot {
  checkId: string;
  name: string;
  location: string;
  filename: string;
  bytes: Buffer;
}

export interface EvidenceOptions {
  checkly: EvidencePort;
  logger: Logger;
  /** How long the reply waits for the details (they wait behind polls); later ones are left out. */
  waitMs: number;
  /**
   * Aborts when the process stops: a fetch it cuts off is not a failure to report (the reply or the
   * screenshots are left to the next process).
   */
  stopping?: AbortSignal;
}

/** The first failing location's result of a session, where its evidence is. */
function failingResult(session: Session): LocationResult | undefined {
  return session.results?.find((r) => r.failing);
}

/** The details of these sessions (the first failing ones of a run, in the reply's order), by check id. */
export async function gatherEvidence(sessions: readonly Session[], opts: EvidenceOptions): Promise<Map<string, FailureEvidence>> {
  const picked = sessions.slice(0, EVIDENCE_CHECKS);
  const out = new Map<string, FailureEvidence>();
  // Past the wait, the fetches still queued behind polls are called off: the reply has gone without them.
  const late = new AbortController();
  // One listener per request in flight (up to EVIDENCE_CHECKS, and their retries): not a leak.
  setMaxListeners(0, late.signal);
  const timer = setTimeout(() => late.abort(), opts.waitMs);
  timer.unref();
  const quit = () => late.abort();
  opts.stopping?.addEventListener('abort', quit, { once: true });
  await Promise.all(
    picked.map(async (session) => {
      const result = failingResult(session);
      if (!result) return;
      const evidence: FailureEvidence = { checkId: session.checkId, result };
      out.set(session.checkId, evidence);
      try {
        const got = await beforeAbort(opts.checkly.resultDetail(session.checkId, result.resultId, late.signal), late.signal);
        if (got !== undefined) evidence.detail = got;
      } catch (err) {
        if (late.signal.aborted) return;
        evidence.problem =
          err instanceof ResultGone
            ? 'Checkly no longer has this result (404): open it in Checkly.'
            : 'Checkly did not give the details of this result: open it in Checkly.';
        opts.logger.warn({ checkId: session.checkId, err: errorText(err) }, 'could not fetch a result for the thread reply');
      }
    }),
  );
  clearTimeout(timer);
  opts.stopping?.removeEventListener('abort', quit);
  return out;
}

/**
 * The failure screenshots of the first failed browser and Playwright checks among `sessions`, at most
 * SCREENSHOTS_PER_RUN: one asset manifest and one download each, PNGs under SCREENSHOT_MAX_BYTES only.
 */
export async function gatherScreenshots(sessions: readonly Session[], opts: EvidenceOptions): Promise<Screenshot[]> {
  const candidates = sessions
    .filter((s) => SCREENSHOT_TYPES.has(s.checkType) && s.status !== 'DEGRADED' && failingResult(s) !== undefined)
    .slice(0, SCREENSHOTS_PER_RUN);
  const shots = await Promise.all(
    candidates.map(async (session): Promise<Screenshot | undefined> => {
      const result = failingResult(session)!;
      try {
        const fetching = opts.checkly.screenshot(session.checkId, result.resultId, SCREENSHOT_MAX_BYTES);
        // A process that stops does not wait for a download in flight: it hands the screenshots over.
        const bytes = opts.stopping ? await beforeAbort(fetching, opts.stopping) : await fetching;
        if (!bytes) return undefined;
        if (!bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
          opts.logger.warn({ checkId: session.checkId }, 'the failure screenshot is not a PNG; not uploaded');
          return undefined;
        }
        return {
          checkId: session.checkId,
          name: session.name,
          location: result.location,
          filename: `${safeFileName(session.name)}-${safeFileName(result.location)}.png`,
          bytes,
        };
      } catch (err) {
        if (!opts.stopping?.aborted) opts.logger.warn({ checkId: session.checkId, err: errorText(err) }, 'could not fetch the failure screenshot');
        return undefined;
      }
    }),
  );
  return shots.filter((s): s is Screenshot => s !== undefined);
}

function safeFileName(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'check'
  );
}

/**
 * The value, or undefined as soon as `signal` aborts: a request still waiting for its place in the
 * budget cannot be taken back at once (it ends as aborted when its place comes), but nobody waits for it.
 */
function beforeAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
