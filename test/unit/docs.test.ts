import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { loadConfig } from '../../src/config';

/**
 * The manual stays true to the repository and the code: every link a reader follows leads somewhere,
 * and every variable the configuration reads is documented, with the default it really has.
 */
const ROOT = path.join(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The Markdown a reader of the repository follows: the front door, the policies and the manual. */
const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  'SECURITY.md',
  'CHANGELOG.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The lines Markdown reads as prose: fenced code blocks left out. */
function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker !== undefined && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    if (fence === undefined) lines.push(line);
  }
  return lines;
}

/** The targets of the inline links and images of a page (`[text](target)`, `![alt](target)`), outside code. */
function linkTargets(markdown: string): string[] {
  return proseLines(markdown).flatMap((line) => [...line.replace(/`[^`]*`/g, '').matchAll(/\[[^\]]*\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!));
}

/**
 * The anchors of a page's headings, as GitHub makes them: the heading's text in lower case, without
 * punctuation or symbols, spaces as hyphens, and `-1`, `-2` after a repeated one.
 */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** What is wrong with one link of `page`, or undefined when it leads somewhere. Links off the repository are not followed. */
function brokenLink(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  const hash = target.indexOf('#');
  const file = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const resolved = file === '' ? path.join(ROOT, page) : path.resolve(path.join(ROOT, path.dirname(page)), decodeURIComponent(file));
  if (path.relative(ROOT, resolved).startsWith('..')) return `${target}: outside the repository`;
  if (!existsSync(resolved)) return `${target}: no such file`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md')) return `${target}: an anchor into a file that is not Markdown`;
  return anchors(readFileSync(resolved, 'utf8')).has(anchor) ? undefined : `${target}: no such heading`;
}

describe('links in the README, CONTRIBUTING, SECURITY, the CHANGELOG and docs/', () => {
  test.each(PAGES)('%s: every relative link names a file that exists, and every #anchor a heading in it', (page) => {
    const broken = linkTargets(read(page))
      .map((target) => brokenLink(page, target))
      .filter((problem) => problem !== undefined);
    expect(broken).toEqual([]);
  });

  test('the README links every page of docs/, CONTRIBUTING.md and SECURITY.md', () => {
    const targets = linkTargets(read('README.md'));
    for (const page of PAGES.filter((p) => p.startsWith('docs/')).concat('CONTRIBUTING.md', 'SECURITY.md')) {
      expect(targets).toContain(page);
    }
  });

  test('anchors are made as GitHub makes them', () => {
    const made = anchors("# Runs: `npm run bench`\n## Slack's limits\n```\n# not a heading\n```\n## `GET /api/v1/runs/{id}`\n## Logs\n## Logs\n");
    expect([...made]).toEqual(['runs-npm-run-bench', 'slacks-limits', 'get-apiv1runsid', 'logs', 'logs-1']);
  });

  test('a link that leads nowhere is found', () => {
    expect(brokenLink('README.md', 'docs/nowhere.md')).toBe('docs/nowhere.md: no such file');
    expect(brokenLink('README.md', 'docs/operations.md#nowhere')).toBe('docs/operations.md#nowhere: no such heading');
    expect(brokenLink('docs/operations.md', '../README.md#quick-start')).toBeUndefined();
    expect(linkTargets('see `[not](a-link.md)` and [a link](b.md)\n```\n[nor](c.md)\n```\n')).toEqual(['b.md']);
  });
});

describe('every variable, in docs/operations.md and .env.example', () => {
  const BASE = {
    SLACK_BOT_TOKEN: 'xoxb-1-docs-test-bot-token',
    SLACK_SIGNING_SECRET: 'docs-test-signing-secret',
    CHECKLY_API_KEY: 'cu_docs_test_key',
    CHECKLY_ACCOUNT_ID: '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f',
  };

  /** The variables the configuration reads, whatever reads them: seen through the environment it is given. */
  function variablesRead(): Set<string> {
    const seen = new Set<string>();
    const env = new Proxy<Record<string, string | undefined>>(
      { ...BASE },
      {
        get(target, name) {
          if (typeof name === 'string') seen.add(name.toUpperCase());
          return Reflect.get(target, name);
        },
      },
    );
    loadConfig(env);
    return seen;
  }

  /** The rows of the configuration table: the variables each row names, and its default cell. */
  function documented(): Array<{ names: string[]; fallback: string }> {
    const page = read('docs/operations.md');
    const start = page.indexOf('\n## Configuration\n');
    const section = page.slice(start, page.indexOf('\n## ', start + 1));
    return section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => {
        const cells = line.replace(/^\|\s*|\s*\|$/g, '').split(/\s\|\s/);
        return { names: [...cells[0]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!), fallback: cells[cells.length - 1]!.trim() };
      });
  }

  const literal = (fallback: string) => /^`([^`]*)`$/.exec(fallback)?.[1];
  const example = dotenv.parse(read('.env.example').replace(/^#\s*(?=[A-Z][A-Z0-9_]*=)/gm, ''));

  test('the configuration table has a row for every variable the configuration reads, and none it does not read', () => {
    const rows = documented().flatMap((row) => row.names);
    const readByConfig = [...variablesRead()].sort();
    expect(readByConfig.length).toBeGreaterThan(25);
    expect([...new Set(rows)].sort()).toEqual(readByConfig);
  });

  test('every default in the table is required, unset, or a value that changes nothing when set', () => {
    const base = loadConfig(BASE);
    if (!base.ok) throw new Error(base.problems.join('; '));
    let literals = 0;
    for (const { names, fallback } of documented()) {
      const value = literal(fallback);
      if (value === undefined) {
        expect([names, fallback]).toEqual([names, expect.stringMatching(/^(required|unset)\b/)]);
        continue;
      }
      literals += 1;
      for (const name of names) {
        const set = loadConfig({ ...BASE, [name]: value });
        expect([name, set]).toEqual([name, base]);
      }
    }
    expect(literals).toBeGreaterThan(15);
  });

  test('.env.example lists every variable the configuration reads, and shows the documented default where there is one', () => {
    const readByConfig = variablesRead();
    expect([...readByConfig].filter((name) => !(name in example))).toEqual([]);
    expect(Object.keys(example).filter((name) => !readByConfig.has(name))).toEqual([]);
    for (const { names, fallback } of documented()) {
      const value = literal(fallback);
      if (value === undefined) continue;
      for (const name of names) expect([name, example[name]]).toEqual([name, value]);
    }
  });
});
