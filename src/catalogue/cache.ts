/**
 * The catalogue and the checks' statuses, kept in memory per Checkly account. A burst of commands
 * shares one fetch (single flight). Past its time to live an entry is still served while one refresh
 * runs behind it, so a person never waits for 20 pages once the cache is warm; when Checkly is
 * unavailable, the last catalogue keeps serving and says how old it is.
 */
import type { CheckAlert, CheckStatus } from '../checkly/catalogue';
import { buildCatalogue, conditions, type Catalogue, type CheckCondition } from './model';

export interface CatalogueSource {
  listChecks(): Promise<Parameters<typeof buildCatalogue>[0]>;
  listCheckGroups(): Promise<Parameters<typeof buildCatalogue>[1]>;
  listCheckStatuses(): Promise<CheckStatus[]>;
  /** The alerts of the last hours: since when a check fails. */
  listCheckAlerts(): Promise<CheckAlert[]>;
}

export interface CatalogueCacheDeps {
  source: CatalogueSource;
  /** CHECK_CATALOGUE_TTL_SECONDS, in ms. */
  ttlMs: number;
  /** Statuses change by the minute: "failing now" must not be five minutes old. */
  statusTtlMs?: number;
  now: () => number;
  /** Told when a refresh behind a served entry fails (it is not thrown to anyone), or the alerts do. */
  onBackgroundError?: (what: 'catalogue' | 'statuses' | 'alerts', err: unknown) => void;
}

export interface Served<T> {
  value: T;
  /** When Checkly gave it (epoch ms). */
  at: number;
  /** True when the last refresh failed and this is older than its time to live. */
  stale: boolean;
}

/** One value, fetched once at a time. */
class Entry<T> {
  private value: T | undefined;
  private at = 0;
  private failedSince: number | undefined;
  private inFlight: Promise<T> | undefined;
  fetches = 0;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly onBackgroundError: (err: unknown) => void,
  ) {}

  async get(): Promise<Served<T>> {
    if (this.value === undefined) {
      const value = await this.refresh();
      return { value, at: this.at, stale: false };
    }
    if (this.now() - this.at >= this.ttlMs) this.refresh().catch(this.onBackgroundError);
    return { value: this.value, at: this.at, stale: this.failedSince !== undefined };
  }

  /** Ready without waiting, when there is something to serve. */
  peek(): Served<T> | undefined {
    return this.value === undefined ? undefined : { value: this.value, at: this.at, stale: this.failedSince !== undefined };
  }

  refresh(): Promise<T> {
    if (this.inFlight) return this.inFlight;
    this.fetches += 1;
    const flight = this.load().then(
      (value) => {
        this.value = value;
        this.at = this.now();
        this.failedSince = undefined;
        return value;
      },
      (err: unknown) => {
        this.failedSince ??= this.now();
        throw err;
      },
    );
    this.inFlight = flight.finally(() => {
      if (this.inFlight === settled) this.inFlight = undefined;
    });
    const settled = this.inFlight;
    return settled;
  }
}

export class CatalogueCache {
  private readonly catalogue: Entry<Catalogue>;
  private readonly statuses: Entry<Map<string, CheckCondition>>;

  constructor(private readonly options: CatalogueCacheDeps) {
    const { source, now } = options;
    this.catalogue = new Entry(
      async () => {
        const [checks, groups] = await Promise.all([source.listChecks(), source.listCheckGroups()]);
        return buildCatalogue(checks, groups, now());
      },
      options.ttlMs,
      now,
      (err) => options.onBackgroundError?.('catalogue', err),
    );
    this.statuses = new Entry(
      async () => {
        const statuses = await source.listCheckStatuses();
        // Since when a check fails is a bonus: asked only when one does, and the states stand without it.
        const anyFailing = statuses.some((s) => s && (s.hasFailures || s.hasErrors || s.isDegraded));
        const alerts = anyFailing
          ? await source.listCheckAlerts().catch((err: unknown) => {
              options.onBackgroundError?.('alerts', err);
              return [];
            })
          : [];
        return conditions(statuses, alerts);
      },
      Math.min(options.ttlMs, options.statusTtlMs ?? 30_000),
      now,
      (err) => options.onBackgroundError?.('statuses', err),
    );
  }

  /** The catalogue; waits for Checkly only when nothing is cached. Throws Checkly's error then. */
  get(): Promise<Served<Catalogue>> {
    return this.catalogue.get();
  }

  /** Reads the catalogue again now (one fetch however many ask), e.g. for a check created a minute ago. */
  async reload(): Promise<Served<Catalogue>> {
    await this.catalogue.refresh();
    return this.catalogue.get();
  }

  /** What is cached right now, without waiting or fetching. */
  peek(): Served<Catalogue> | undefined {
    return this.catalogue.peek();
  }

  /** Starts a fetch when nothing is cached (the answer to Slack comes first; the look-up after it). */
  warm(): void {
    if (!this.catalogue.peek()) this.catalogue.refresh().catch((err: unknown) => this.options.onBackgroundError?.('catalogue', err));
  }

  conditions(): Promise<Served<Map<string, CheckCondition>>> {
    return this.statuses.get();
  }

  /** Fetches started so far (for tests and the benchmark's "one fetch for 50 commands"). */
  get fetches(): { catalogue: number; statuses: number } {
    return { catalogue: this.catalogue.fetches, statuses: this.statuses.fetches };
  }
}
