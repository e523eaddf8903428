/**
 * Renders the failure evidence (the thread reply and the Details modal) as the app builds them, for the
 * README: the real renderers on a sample run, turned into HTML that looks like Slack, then screenshot
 * by a headless Chromium when one is installed (`apt-get install chromium`).
 * Usage: npm run render:evidence [-- out-dir]   (default docs/)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderDetailsModal } from '../src/blocks/details-modal';
import { evidenceSessions, renderEvidenceReplies } from '../src/blocks/evidence';
import { renderFailureReply } from '../src/blocks/thread';
import { resultDetail } from '../src/checkly/result-detail';
import type { CheckResult } from '../src/checkly/types';
import type { FailureEvidence } from '../src/runs/gather-evidence';
import type { Run, Session } from '../src/runs/types';

const APP = 'https://app.checklyhq.com/accounts/0f2c/checks';

function session(n: number, over: Partial<Session>): Session {
  const checkId = `00000000-0000-4000-8000-00000000000${n}`;
  return {
    sessionId: `s${n}`,
    checkId,
    name: `Check ${n}`,
    checkType: 'API',
    link: `${APP}/${checkId}/check-sessions/s${n}`,
    status: 'PASSED',
    locations: ['eu-west-1', 'us-east-1'],
    failedLocations: [],
    timeElapsed: 1200,
    ...over,
  };
}

const orders = session(1, {
  name: 'Orders API',
  status: 'FAILED',
  failedLocations: ['us-east-1'],
  results: [
    { resultId: 'r1', location: 'us-east-1', link: `${APP}/o/results/r1`, failing: true },
    { resultId: 'r2', location: 'eu-west-1', link: `${APP}/o/results/r2`, failing: false },
  ],
});
const checkout = session(2, {
  name: 'Checkout flow',
  checkType: 'BROWSER',
  status: 'FAILED',
  locations: ['eu-west-1'],
  failedLocations: ['eu-west-1'],
  timeElapsed: 31_200,
  results: [{ resultId: 'r3', location: 'eu-west-1', link: `${APP}/c/results/r3`, failing: true }],
});
const search = session(3, {
  name: 'Search API',
  status: 'DEGRADED',
  locations: ['eu-west-1'],
  failedLocations: ['eu-west-1'],
  results: [{ resultId: 'r4', location: 'eu-west-1', link: `${APP}/s/results/r4`, failing: true }],
});
const run: Run = {
  id: 'run-1',
  teamId: 'T1',
  channel: 'C1',
  ts: '1.1',
  requester: 'U0ALICE',
  target: { tags: [['prod']], checkIds: [], all: false },
  refreshCache: false,
  phase: 'final',
  sessions: [orders, checkout, search, ...Array.from({ length: 9 }, (_, i) => session(4 + i, { name: `Check ${i + 4}` }))],
  createdAt: Date.UTC(2026, 10, 27, 9, 0),
  finishedAt: Date.UTC(2026, 10, 27, 9, 1),
};

const base = { resultType: 'FINAL' as const, traceId: null, errorGroupIds: [] };
const ordersResult: CheckResult = {
  ...base,
  runLocation: 'us-east-1',
  hasFailures: true,
  attempts: 3,
  responseTime: 182,
  apiCheckResult: {
    assertions: [
      { source: 'STATUS_CODE', property: '', comparison: 'EQUALS', target: '200', actual: 500, error: 'Expected 500 to equal 200' },
      { source: 'JSON_BODY', property: '$.items.length', comparison: 'GREATER_THAN', target: '0', actual: 0, error: 'Expected 0 to be greater than 0' },
      { source: 'RESPONSE_TIME', property: '', comparison: 'LESS_THAN', target: '1000', actual: 182 },
    ],
    request: { method: 'GET', url: 'https://api.example.com/v2/orders?limit=20' },
    response: { status: 500, statusText: 'Internal Server Error' },
    requestError: null,
    jobLog: { request: ['GET https://api.example.com/v2/orders?limit=20', 'answered 500 in 182 ms', 'assertion STATUS_CODE failed'] },
  },
};
const checkoutResult: CheckResult = {
  ...base,
  runLocation: 'eu-west-1',
  hasFailures: true,
  responseTime: 31_200,
  browserCheckResult: {
    errors: [{ message: 'Timeout 30000ms exceeded waiting for selector "#pay"', stack: 'TimeoutError\n    at /check/__checks__/checkout.spec.ts:27:16' }],
    jobLog: [
      { msg: 'Navigating to https://shop.example.com/cart' },
      { msg: 'Clicked "Proceed to checkout"' },
      { msg: 'Filled the shipping address' },
      { msg: 'Waiting for selector "#pay"' },
      { msg: 'TimeoutError: Timeout 30000ms exceeded waiting for selector "#pay"' },
    ],
  },
};
const searchResult: CheckResult = {
  ...base,
  runLocation: 'eu-west-1',
  isDegraded: true,
  responseTime: 2_350,
  apiCheckResult: {
    assertions: [{ source: 'RESPONSE_TIME', property: '', comparison: 'LESS_THAN', target: '2000', actual: 2350, error: 'Took 2350 ms, over 2000 ms' }],
    request: { method: 'GET', url: 'https://api.example.com/search?q=shoes' },
    response: { status: 200, statusText: 'OK' },
  },
};

const evidence = new Map<string, FailureEvidence>([
  [orders.checkId, { checkId: orders.checkId, result: orders.results![0]!, detail: resultDetail(ordersResult) }],
  [checkout.checkId, { checkId: checkout.checkId, result: checkout.results![0]!, detail: resultDetail(checkoutResult) }],
  [search.checkId, { checkId: search.checkId, result: search.results![0]!, detail: resultDetail(searchResult) }],
]);
if (evidenceSessions(run).length !== 3) throw new Error('the sample run should have three failing checks');
const replies = renderEvidenceReplies(run, renderFailureReply(run), evidence);
const modal = renderDetailsModal(
  orders,
  [
    { result: orders.results![0]!, detail: resultDetail(ordersResult) },
    { result: orders.results![1]!, detail: resultDetail({ ...base, runLocation: 'eu-west-1', responseTime: 95, apiCheckResult: { ...ordersResult.apiCheckResult!, assertions: [], response: { status: 200, statusText: 'OK' }, jobLog: { request: ['GET https://api.example.com/v2/orders?limit=20', 'answered 200 in 95 ms'] } } }) },
  ],
  '',
);

// ---- Block Kit to HTML, as Slack shows it (enough of it for these blocks) ----

function mrkdwn(text: string): string {
  const codeBlocks: string[] = [];
  let out = text.replace(/```\n?([\s\S]*?)\n?```/g, (_, body: string) => {
    codeBlocks.push(`<pre>${body}</pre>`);
    return `\u0000${codeBlocks.length - 1}\u0000`;
  });
  out = out
    .replace(/<@([A-Z0-9]+)>/g, (_, id: string) => `<span class="mention">@${id === 'U0ALICE' ? 'alice' : id}</span>`)
    .replace(/<!date\^[^|]*\|([^>]*)>/g, '$1')
    .replace(/<(https?:[^|>]+)\|([^>]*)>/g, '<a href="$1">$2</a>')
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>')
    .replace(/\n/g, '<br>');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL marks the code blocks set aside above; no text has one.
  return out.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codeBlocks[Number(i)] ?? '');
}

type Block = Record<string, unknown> & { type: string };
const plain = (t: unknown): string => String((t as { text?: string } | undefined)?.text ?? '').replace(/&(?!amp;|lt;|gt;)/g, '&amp;');

function element(el: Record<string, unknown>): string {
  if (el.type === 'button') return `<span class="button">${plain(el.text)}</span>`;
  if (el.type === 'static_select') return `<span class="button select">${plain(el.placeholder)} ▾</span>`;
  return '';
}

function blocksHtml(blocks: readonly unknown[]): string {
  return (blocks as Block[])
    .map((b) => {
      switch (b.type) {
        case 'header':
          return `<h2>${plain(b.text)}</h2>`;
        case 'section': {
          const accessory = b.accessory ? `<div class="accessory">${element(b.accessory as Record<string, unknown>)}</div>` : '';
          return `<div class="section"><div class="text">${mrkdwn(plain(b.text) && String((b.text as { text: string }).text))}</div>${accessory}</div>`;
        }
        case 'context':
          return `<div class="context">${(b.elements as Array<{ text: string }>).map((e) => mrkdwn(e.text)).join(' ')}</div>`;
        case 'actions':
          return `<div class="actions">${(b.elements as Array<Record<string, unknown>>).map(element).join('')}</div>`;
        case 'divider':
          return '<hr>';
        default:
          return '';
      }
    })
    .join('\n');
}

const STYLE = `
body { font: 15px/1.46 -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; color: #1d1c1d; margin: 0; background: #fff; }
.pane { width: 760px; padding: 16px 20px; }
.message { display: flex; gap: 10px; margin-bottom: 14px; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #0075ff; color: #fff; font-weight: 700; display: flex; align-items: center; justify-content: center; flex: none; }
.who { font-weight: 900; } .who small { color: #616061; font-weight: 400; margin-left: 6px; }
.section { display: flex; justify-content: space-between; gap: 12px; margin: 4px 0 8px; }
.text { flex: 1; overflow-wrap: anywhere; }
a { color: #1264a3; text-decoration: none; }
code { font: 12px Menlo, "DejaVu Sans Mono", monospace; color: #e01e5a; background: #f6f6f6; border: 1px solid #ddd; border-radius: 3px; padding: 1px 3px; }
pre { font: 12px/1.5 Menlo, "DejaVu Sans Mono", monospace; background: #f8f8f8; border: 1px solid #ddd; border-radius: 4px; padding: 8px; white-space: pre-wrap; margin: 4px 0; }
.mention { color: #1264a3; background: #e8f5fa; border-radius: 3px; padding: 0 2px; }
.button { display: inline-block; border: 1px solid #bbb; border-radius: 4px; padding: 3px 12px; font-weight: 700; font-size: 13px; margin-right: 8px; white-space: nowrap; }
.context { color: #616061; font-size: 13px; margin: 4px 0; }
.file { border: 1px solid #ddd; border-radius: 8px; padding: 10px; width: 320px; display: flex; gap: 10px; align-items: center; font-size: 14px; }
.file .thumb { width: 90px; height: 60px; background: linear-gradient(135deg, #f5f5f5, #d9e3f0); border-radius: 4px; display: flex; align-items: center; justify-content: center; color: #999; font-size: 11px; }
.modal { width: 520px; margin: 20px; border: 1px solid #ccc; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.15); }
.modal .title { font-weight: 900; font-size: 20px; padding: 14px 20px; border-bottom: 1px solid #ddd; }
.modal .body { padding: 12px 20px; } .modal .foot { border-top: 1px solid #ddd; padding: 12px 20px; text-align: right; }
h2 { font-size: 18px; margin: 4px 0; } hr { border: 0; border-top: 1px solid #ddd; margin: 10px 0; }
`;

const threadHtml = `<!doctype html><meta charset="utf-8"><style>${STYLE}</style><div class="pane">
<div class="context" style="margin-bottom:10px">Thread · #deploys</div>
${replies
  .map(
    (r) => `<div class="message"><div class="avatar">C</div><div><div class="who">Checkly <small>APP 9:01</small></div>${blocksHtml(r.blocks)}</div></div>`,
  )
  .join('\n')}
<div class="message"><div class="avatar">C</div><div><div class="who">Checkly <small>APP 9:01</small></div>
<div class="file"><div class="thumb">screenshot</div><div><b>Checkout flow · eu-west-1</b><br><small>PNG</small></div></div></div></div>
</div>`;
const modalHtml = `<!doctype html><meta charset="utf-8"><style>${STYLE}</style>
<div class="modal"><div class="title">${plain(modal.title)}</div><div class="body">${blocksHtml(modal.blocks)}</div>
<div class="foot"><span class="button">${plain(modal.close)}</span></div></div>`;

const outDir = path.resolve(process.argv[2] ?? 'docs');
mkdirSync(outDir, { recursive: true });
// Without a browser the HTML is the result; with one, it is only the screenshot's source.
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const htmlDir = chromium ? mkdtempSync(path.join(tmpdir(), 'render-evidence-')) : outDir;
const pages: Array<[string, string, string]> = [
  ['evidence-thread', threadHtml, '800,560'],
  ['evidence-modal', modalHtml, '570,860'],
];
for (const [name, html, size] of pages) {
  const file = path.join(htmlDir, `${name}.html`);
  writeFileSync(file, html);
  if (!chromium) continue;
  execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=${size}`, `--screenshot=${path.join(outDir, `${name}.png`)}`, `file://${file}`], {
    stdio: 'ignore',
  });
}
process.stdout.write(chromium ? `rendered ${pages.map((p) => `${p[0]}.png`).join(', ')} in ${outDir}\n` : `no Chromium: wrote the HTML only, in ${outDir}\n`);
