/**
 * views.open and views.update for the fake Slack, with Slack's limits (product.md §7): a trigger_id
 * expires 3 s after the click and opens one view; a modal has at most 100 blocks, a title of 24
 * characters and private_metadata of 3,000; an update naming a stale `hash` is refused.
 */
import { blocksProblems } from './slack-blocks';

export const MODAL_LIMITS = { blocks: 100, title: 24, privateMetadata: 3000, callbackId: 255 } as const;
const TRIGGER_TTL_MS = 3000;

export interface FakeView {
  id: string;
  /** Every version, the opened one first. */
  versions: Array<{ view: Record<string, unknown>; at: number; hash: string }>;
  triggerId: string;
  openedAt: number;
}

type Args = Record<string, unknown>;
type Result = { ok: boolean; error?: string } & Record<string, unknown>;

export interface ModalContext {
  now: () => number;
  teamId: string;
  refuse(method: string, error: string, extra?: Record<string, unknown>): Result;
}

/**
 * Trigger ids as the harness makes them (`<epoch ms>.<n>.<hex>`): the leading number says when the
 * click happened. Slack's own start with seconds; either way a trigger older than 3 s is refused.
 */
function triggerTime(triggerId: string): number | undefined {
  const head = Number(triggerId.split('.')[0]);
  if (!Number.isFinite(head) || head <= 0) return undefined;
  return head > 1e12 ? head : head * 1000;
}

export function modalMethods(ctx: ModalContext, views: Map<string, FakeView>): Record<string, (args: Args) => Result> {
  const usedTriggers = new Set<string>();
  let counter = 0;
  const hashOf = (): string => `${ctx.now()}.${(counter += 1)}`;

  const viewProblem = (method: string, view: unknown): Result | undefined => {
    if (typeof view !== 'object' || view === null) return ctx.refuse(method, 'invalid_arguments');
    const v = view as Args;
    const problems: string[] = [];
    if (v.type !== 'modal') problems.push('must be modal [json-pointer:/view/type]');
    const title = v.title as Args | undefined;
    if (!title || title.type !== 'plain_text' || typeof title.text !== 'string' || title.text === '') {
      problems.push('must be a plain_text object [json-pointer:/view/title]');
    } else if (title.text.length > MODAL_LIMITS.title) problems.push(`must be less than ${MODAL_LIMITS.title + 1} characters [json-pointer:/view/title/text]`);
    if (typeof v.private_metadata === 'string' && v.private_metadata.length > MODAL_LIMITS.privateMetadata) {
      problems.push(`must be less than ${MODAL_LIMITS.privateMetadata + 1} characters [json-pointer:/view/private_metadata]`);
    }
    if (typeof v.callback_id === 'string' && v.callback_id.length > MODAL_LIMITS.callbackId) {
      problems.push(`must be less than ${MODAL_LIMITS.callbackId + 1} characters [json-pointer:/view/callback_id]`);
    }
    const blocks = Array.isArray(v.blocks) ? v.blocks : [];
    if (blocks.length > MODAL_LIMITS.blocks) problems.push(`must be less than ${MODAL_LIMITS.blocks + 1} items [json-pointer:/view/blocks]`);
    // The message checks apply to each block; the count is the modal's, checked above.
    problems.push(...blocksProblems(blocks.slice(0, 50)), ...blocksProblems(blocks.slice(50)));
    return problems.length > 0 ? ctx.refuse(method, 'invalid_arguments', { errors: problems, response_metadata: { messages: problems } }) : undefined;
  };

  return {
    'views.open': (args) => {
      const triggerId = typeof args.trigger_id === 'string' ? args.trigger_id : '';
      const at = triggerTime(triggerId);
      if (at === undefined) return ctx.refuse('views.open', 'invalid_trigger_id');
      if (ctx.now() - at > TRIGGER_TTL_MS) return ctx.refuse('views.open', 'expired_trigger_id');
      if (usedTriggers.has(triggerId)) return ctx.refuse('views.open', 'exchanged_trigger_id');
      const problem = viewProblem('views.open', args.view);
      if (problem) return problem;
      usedTriggers.add(triggerId);
      const id = `V${String((counter += 1)).padStart(8, '0')}`;
      const hash = hashOf();
      const view = args.view as Args;
      views.set(id, { id, triggerId, openedAt: ctx.now(), versions: [{ view, at: ctx.now(), hash }] });
      return { ok: true, view: { ...view, id, team_id: ctx.teamId, hash } };
    },
    'views.update': (args) => {
      const id = typeof args.view_id === 'string' ? args.view_id : '';
      const found = views.get(id);
      if (!found) return ctx.refuse('views.update', 'not_found');
      const latest = found.versions[found.versions.length - 1]!;
      if (typeof args.hash === 'string' && args.hash !== latest.hash) return ctx.refuse('views.update', 'hash_conflict');
      const problem = viewProblem('views.update', args.view);
      if (problem) return problem;
      const hash = hashOf();
      const view = args.view as Args;
      found.versions.push({ view, at: ctx.now(), hash });
      return { ok: true, view: { ...view, id, team_id: ctx.teamId, hash } };
    },
  };
}
