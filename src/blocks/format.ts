/**
 * Durations, dates, counts and check types as every message, modal and tab shows them: one formatter
 * each, so that a run, a list and a form never say the same thing two ways.
 */
import type { CheckType } from '../runs/types';
import { oneLine } from './escape';
import { truncate } from '../shared/truncate';

/** `850ms`, `4.2s`, `42s`, `1m 12s`, `2m`, `1h 5m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0ms';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(tenths % 10 === 0 ? 0 : 1)}s`;
  const seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  return rest > 0 ? `${minutes}m ${rest}s` : `${minutes}m`;
}

/**
 * Slack's date token: each reader sees the time in their own time zone; clients that cannot
 * render it show the ISO fallback.
 */
export function slackDate(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  const fallback = new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
  return `<!date^${seconds}^{date_short_pretty} {time}|${fallback}>`;
}

/** `1 check`, `2 checks`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

const CHECK_TYPE_LABEL: Readonly<Record<CheckType, string>> = {
  AGENTIC: 'Agentic',
  API: 'API',
  BROWSER: 'Browser',
  HEARTBEAT: 'Heartbeat',
  ICMP: 'ICMP',
  MULTI_STEP: 'Multistep',
  TCP: 'TCP',
  PLAYWRIGHT: 'Playwright',
  URL: 'URL',
  DNS: 'DNS',
  SSL: 'SSL',
  GRPC: 'gRPC',
  TRACEROUTE: 'Traceroute',
};

/** `Browser`, `Multistep`, `API`: a check's type as people read it; an unknown type as it came. Plain text: mrkdwn callers escape it. */
export function checkTypeLabel(type: CheckType | string): string {
  // Checkly may add types before our generated types know them.
  const known: string | undefined = (CHECK_TYPE_LABEL as Readonly<Record<string, string>>)[type];
  return known ?? truncate(oneLine(String(type)), 30);
}
