/**
 * The floor for `npm run bench:api`: a bare node:http server that does what a POST /api/v1/runs must
 * do before it answers, and nothing else: read the JSON body, post one message to Slack (node:http,
 * keep-alive, the same form the app sends), answer 202 with the message's ts. No store, no client
 * library, no access rules. Run in its own process against the same fake Slack in the same run, it
 * says how much of the app's latency this machine and Slack's 20-80 ms leave to the app itself.
 */
import http from 'node:http';

export type FloorReport = { type: 'started'; port: number } | { type: 'busy'; activeMs: number };

const [slackApiUrl = '', botToken = ''] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true });
const slack = new URL('chat.postMessage', slackApiUrl);

function postMessage(channel: string): Promise<string> {
  const form = new URLSearchParams({
    channel,
    text: 'Checkly run smoke: triggering checks…',
    blocks: JSON.stringify([{ type: 'section', text: { type: 'mrkdwn', text: '⏳ Triggering the checks tagged smoke…' } }]),
  }).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      slack,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Bearer ${botToken}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ok: boolean; ts?: string; error?: string };
          if (answer.ok && answer.ts) resolve(answer.ts);
          else reject(new Error(answer.error ?? 'no ts'));
        });
      },
    );
    req.on('error', reject);
    req.end(form);
  });
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { channel } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { channel: string };
    postMessage(channel).then(
      (ts) => {
        res.writeHead(202, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: { channel, ts } }));
      },
      (err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: String(err) }));
      },
    );
  });
});

function report(message: FloorReport): void {
  process.send?.(message);
}

server.listen(0, '127.0.0.1', () => report({ type: 'started', port: (server.address() as { port: number }).port }));
// A bench that dies (or is stopped by a timeout) takes this process with it: no orphan holds its output open.
process.on('disconnect', () => process.exit(1));
process.on('message', (message: { type: string }) => {
  if (message.type === 'busy') report({ type: 'busy', activeMs: performance.eventLoopUtilization().active });
  else process.exit(0);
});
