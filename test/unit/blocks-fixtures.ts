/** Runs and sessions for the block builder tests, and ways to look inside a built message. */
import type { Run, Session } from '../../src/runs/types';

export const T0 = Date.UTC(2025, 0, 15, 9, 30, 0);

let counter = 0;

export function makeSession(over: Partial<Session> = {}): Session {
  counter += 1;
  const n = String(counter).padStart(4, '0');
  return {
    sessionId: `sess-${n}`,
    checkId: `00000000-0000-4000-8000-00000000${n}`,
    name: `Check ${n}`,
    checkType: 'API',
    link: `https://app.checklyhq.com/checks/${n}/check-sessions/sess-${n}`,
    status: 'PASSED',
    locations: ['eu-west-1'],
    failedLocations: [],
    ...over,
  };
}

export function makeRun(over: Partial<Run> = {}): Run {
  return {
    id: 'run-1',
    teamId: 'T1',
    channel: 'C1',
    requester: 'U123ABC',
    target: { tags: [['prod', 'api']], checkIds: [], all: false },
    refreshCache: false,
    phase: 'running',
    sessions: [],
    createdAt: T0,
    ...over,
  };
}

export interface FoundText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
}

/** Every text object anywhere in the blocks (headers, sections, context, buttons, confirm dialogs). */
export function textsOf(blocks: unknown): FoundText[] {
  const found: FoundText[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(walk);
      return;
    }
    if (typeof x !== 'object' || x === null) return;
    const o = x as Record<string, unknown>;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') {
      found.push({ type: o.type, text: o.text });
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(blocks);
  return found;
}

export function mrkdwnOf(blocks: unknown): string[] {
  return textsOf(blocks)
    .filter((t) => t.type === 'mrkdwn')
    .map((t) => t.text);
}

/** All mrkdwn text joined, for "appears somewhere" assertions. */
export function allMrkdwn(blocks: unknown): string {
  return mrkdwnOf(blocks).join('\n');
}

export interface FoundButton {
  action_id: string;
  text: string;
  value?: string;
  url?: string;
  style?: string;
  confirm?: unknown;
}

export function buttonsOf(blocks: unknown): FoundButton[] {
  const found: FoundButton[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(walk);
      return;
    }
    if (typeof x !== 'object' || x === null) return;
    const o = x as Record<string, unknown>;
    if (o.type === 'button') {
      const text = (o.text as { text?: unknown } | undefined)?.text;
      found.push({
        action_id: String(o.action_id),
        text: typeof text === 'string' ? text : '',
        ...(typeof o.value === 'string' ? { value: o.value } : {}),
        ...(typeof o.url === 'string' ? { url: o.url } : {}),
        ...(typeof o.style === 'string' ? { style: o.style } : {}),
        ...(o.confirm !== undefined ? { confirm: o.confirm } : {}),
      });
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(blocks);
  return found;
}

/**
 * The `<...>` tokens in mrkdwn that we did not mean to write: only web links, date tokens and a
 * mention of the requester are ours. A hostile name that got through unescaped shows up here.
 */
export function foreignTokens(mrkdwn: string, requester = 'U123ABC'): string[] {
  const ours = [/^<https?:\/\/[^|<>\s]+\|[^<>]+>$/, /^<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9T:Z-]+>$/, new RegExp(`^<@${requester}>$`)];
  const tokens = mrkdwn.match(/<[^>]*>?/g) ?? [];
  return tokens.filter((t) => !ours.some((re) => re.test(t)));
}

/** `&` that does not start one of the three entities Slack knows: text that was not escaped. */
export function bareAmpersands(mrkdwn: string): number {
  return (mrkdwn.match(/&(?!amp;|lt;|gt;)/g) ?? []).length;
}

/** `<` or `>` outside the tokens we write on purpose: 0 when everything from outside was escaped. */
export function strayAngles(mrkdwn: string, requester = 'U123ABC'): number {
  const stripped = mrkdwn
    .replace(/<https?:\/\/[^|<>\s]+\|[^<>]+>/g, '')
    .replace(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9T:Z-]+>/g, '')
    .split(`<@${requester}>`)
    .join('');
  return (stripped.match(/[<>]/g) ?? []).length;
}
