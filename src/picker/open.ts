import type { webApi } from '@slack/bolt';
import { renderPicker, type PickerMetadata } from '../blocks/picker';
import { section, fallback, type SlackMessage } from '../blocks/message';
import type { PickerDeps } from './deps';
import { readyStatus } from './status';
import { platformError } from '../slack/errors';
import { runErrorOf } from '../runs/types';

const NO_CHOICE = { tags: [], groupIds: [], checkIds: [] };

/**
 * Opens the picker modal. The command is acknowledged before this runs; the modal opens at once, from
 * the cache when it is warm, else with a "reading…" line that an update replaces once Checkly answered.
 * Answers with a note for the requester when the modal could not open.
 */
export async function openPicker(deps: PickerDeps, client: webApi.WebClient, triggerId: string, meta: PickerMetadata): Promise<SlackMessage | undefined> {
  const cached = deps.catalogue.peek();
  if (!cached) deps.catalogue.warm();
  let viewId: string | undefined;
  let hash: string | undefined;
  try {
    const opened = await client.views.open({
      trigger_id: triggerId,
      view: deps.secrets.scrub(renderPicker(meta, cached ? readyStatus(cached, NO_CHOICE) : { kind: 'loading' })),
    });
    viewId = opened.view?.id;
    hash = opened.view?.hash;
  } catch (err) {
    const code = platformError(err);
    deps.logger.warn({ code }, 'views.open failed');
    const line =
      code === 'expired_trigger_id'
        ? '⚠️ The form took too long to open (Slack allows 3 seconds). Type the command again.'
        : `⚠️ Slack did not open the form${code ? ` (${code})` : ''}. Type the command again, or use \`${deps.commandName} run <tags>\`.`;
    return { text: fallback(line), blocks: [section(line)] };
  }
  if (cached || viewId === undefined) return undefined;
  let view: ReturnType<typeof renderPicker>;
  try {
    view = renderPicker(meta, readyStatus(await deps.catalogue.get(), NO_CHOICE));
  } catch (err) {
    view = renderPicker(meta, { kind: 'unavailable', said: runErrorOf(err).message });
  }
  // With the hash of the view as opened: if a choice has updated it since, that update knew more.
  await client.views.update({ view_id: viewId, view: deps.secrets.scrub(view), ...(hash ? { hash } : {}) }).catch((err: unknown) => {
    const code = platformError(err);
    if (code !== 'hash_conflict') deps.logger.warn({ code }, 'views.update of the picker failed');
  });
  return undefined;
}
