/**
 * A person's Home tab: gathered (their record, their runs, what is failing now), rendered
 * (blocks/home.ts) and published; published again when one of their runs ends, at most once every
 * REFRESH_MS per person (a burst of runs ending is one publish), and only for people who opened it.
 */
import type { View } from '@slack/types';
import { renderHome, type HomeContent } from '../blocks/home';
import type { CatalogueCache } from '../catalogue/cache';
import { failingChecks } from '../catalogue/model';
import type { RunObserver } from '../runs/lifecycle';
import type { RunService } from '../runs/service';
import { runErrorOf, type Run } from '../runs/types';
import { errorText } from '../shared/error-text';
import type { Logger } from '../shared/log';
import type { Secrets } from '../shared/secrets';
import { messageLink } from '../shared/urls';
import type { HomeBook, Person } from './book';

/** The least time between two refreshes of one person's tab (views.publish is Tier 4: 100 a minute and more). */
export const REFRESH_MS = 5000;

/** Where the tab goes (implemented over Slack's views.publish). */
export interface HomeViews {
  publish(userId: string, view: View): Promise<void>;
}

export interface HomeTabDeps {
  book: HomeBook;
  runs: Pick<RunService, 'read'>;
  catalogue: Pick<CatalogueCache, 'get' | 'conditions'>;
  views: HomeViews;
  commandName: string;
  /** For the run messages' links (messageLink). */
  workspaceUrl?: string;
  /** Scrubbed from the tab (check names and errors are outside text). */
  secrets: Secrets;
  now: () => number;
  logger: Pick<Logger, 'warn'>;
  refreshMs?: number;
}

export class HomeTab {
  private readonly lastPublished = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: HomeTabDeps) {}

  /** Hears of runs: a person's run is noted when its message goes up, and their tab refreshed when it ends. */
  get observer(): RunObserver {
    return {
      posted: (run) => {
        const person = personOf(run);
        if (person) void this.deps.book.noteRun(person, run.id).catch((err: unknown) => this.failed('noting a run for the Home tab', err));
      },
      over: (run) => {
        const person = personOf(run);
        if (person) void this.refreshIfOpened(person);
      },
    };
  }

  /** Publishes the person's tab now, with `notice` on top. Never rejects. */
  async publish(person: Person, notice?: string): Promise<void> {
    const { views, secrets, now } = this.deps;
    this.lastPublished.set(keyOf(person), now());
    try {
      const view = renderHome(await this.content(person, notice));
      await views.publish(person.userId, secrets.scrub(view));
    } catch (err) {
      this.failed('publishing the Home tab', err);
    }
  }

  /** Publishes the tab again, at most once every REFRESH_MS per person. */
  refresh(person: Person): void {
    const key = keyOf(person);
    if (this.pending.has(key)) return;
    const wait = (this.lastPublished.get(key) ?? -Infinity) + (this.deps.refreshMs ?? REFRESH_MS) - this.deps.now();
    if (wait <= 0) {
      void this.publish(person);
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(key);
      void this.publish(person);
    }, wait);
    timer.unref();
    this.pending.set(key, timer);
  }

  stop(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private async refreshIfOpened(person: Person): Promise<void> {
    try {
      if ((await this.deps.book.read(person)).openedAt !== undefined) this.refresh(person);
    } catch (err) {
      this.failed('reading a Home tab', err);
    }
  }

  private async content(person: Person, notice: string | undefined): Promise<HomeContent> {
    const { book, runs, commandName, now } = this.deps;
    const record = await book.read(person);
    const [found, failing] = await Promise.all([Promise.all(record.runs.map((id) => runs.read(id))), this.failing()]);
    return {
      now: now(),
      commandName,
      ...(notice !== undefined && { notice }),
      failing,
      pins: record.pins,
      runs: found.filter((run): run is Run => run !== undefined).map((run) => ({ run, link: this.link(run) })),
    };
  }

  private async failing(): Promise<HomeContent['failing']> {
    try {
      const [catalogue, states] = await Promise.all([this.deps.catalogue.get(), this.deps.catalogue.conditions()]);
      return { rows: failingChecks(catalogue.value, states.value), checks: catalogue.value.checks.length };
    } catch (err) {
      return { unavailable: runErrorOf(err) };
    }
  }

  private link(run: Run): string | undefined {
    return run.ts === undefined ? undefined : messageLink(this.deps.workspaceUrl, { channel: run.channel, ts: run.ts, threadTs: run.threadTs });
  }

  private failed(what: string, err: unknown): void {
    this.deps.logger.warn({ err: errorText(err) }, `${what} failed`);
  }
}

/** The person a run belongs to: whoever typed, clicked or submitted it, or the person a workflow step named; none for the API. */
export function personOf(run: Run): Person | undefined {
  const origin = run.origin;
  const userId = origin === undefined ? run.requester : origin.kind === 'api' ? undefined : origin.userId;
  return userId !== undefined && /^[UW][A-Z0-9]{2,}$/.test(userId) ? { teamId: run.teamId, userId } : undefined;
}

function keyOf(person: Person): string {
  return `${person.teamId}:${person.userId}`;
}
