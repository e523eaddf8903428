import { renderCatalogueUnavailable, renderCheckList, renderFailingList, type ListedRow, type ListingContext } from '../blocks/listing';
import type { SlackMessage } from '../blocks/message';
import type { Served } from '../catalogue/cache';
import { failingChecks, searchChecks, type Catalogue, type CheckCondition } from '../catalogue/model';
import type { ListingDeps } from './deps';
import { runErrorOf } from '../runs/types';

/** `/checkly checks <words>`: the matches best first, with their state when Checkly tells it. */
export async function listMatches(deps: ListingDeps, words: string): Promise<SlackMessage> {
  let served: Served<Catalogue>;
  try {
    served = await deps.catalogue.get();
  } catch (err) {
    return renderCatalogueUnavailable(runErrorOf(err));
  }
  const found = searchChecks(served.value.checks, words);
  // The states are a bonus here: without them the list still answers the question.
  const states = found.length > 0 ? await deps.catalogue.conditions().catch(() => undefined) : undefined;
  const rows: ListedRow[] = found.map((check) => {
    const condition = states?.value.get(check.id);
    return condition ? { check, condition } : { check };
  });
  return renderCheckList(words, rows, context(deps, served.at, served.stale, found.length > 0 && !states));
}

/** `/checkly failing`: GET /v1/check-statuses joined with the catalogue, worst first. */
export async function listFailing(deps: ListingDeps): Promise<SlackMessage> {
  let served: Served<Catalogue>;
  let states: Served<Map<string, CheckCondition>>;
  try {
    [served, states] = await Promise.all([deps.catalogue.get(), deps.catalogue.conditions()]);
  } catch (err) {
    return renderCatalogueUnavailable(runErrorOf(err));
  }
  const rows = failingChecks(served.value, states.value);
  return renderFailingList(rows, served.value.checks.length, context(deps, served.at, served.stale || states.stale, false));
}

function context(deps: ListingDeps, catalogueAt: number, stale: boolean, statusesUnavailable: boolean): ListingContext {
  return { now: deps.now(), commandName: deps.commandName, catalogueAt, stale, statusesUnavailable };
}
