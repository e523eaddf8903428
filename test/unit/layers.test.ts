/**
 * The shape of src/ (issues 10 and 22), read from the import lines: every room (folder or root file)
 * has its rules of what it may import, the run domain speaks only the domain, Checkly's wire maps to
 * the domain without reaching into it, no entrance knows Checkly, and no two rooms import each other
 * through any path. docs/architecture.md says what each room is for.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '../../src');

/** Every .ts file under src/, relative to it. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [path.relative(SRC, full)] : [];
  });
}

/** The folder (or root file) a path under src/ belongs to: `runs`, `store`, or `app.ts`. */
function unitOf(relative: string): string {
  return relative.split(path.sep)[0]!;
}

/** The src/-relative files a file imports (relative imports only; packages are listed apart). */
function importsOf(relative: string): { local: string[]; packages: string[] } {
  const text = readFileSync(path.join(SRC, relative), 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'|require\('([^']+)'\)/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3]!,
  );
  const local: string[] = [];
  const packages: string[] = [];
  for (const spec of specs) {
    if (spec.startsWith('.')) local.push(path.relative(SRC, path.resolve(path.dirname(path.join(SRC, relative)), spec)));
    else packages.push(spec);
  }
  return { local, packages };
}

const files = sourceFiles();

/** The entrances: what Slack's requests and the run API's reach first. They go through ports, never to checkly/. */
const ENTRANCES = ['commands', 'picker', 'listing', 'buttons', 'api', 'workflow', 'home', 'alerts'];

/**
 * Each room and the rooms it may import, from the ground floor up. A room not listed fails the test:
 * a new folder is placed here, with its rules, on purpose.
 */
const ROOMS: Record<string, readonly string[]> = {
  shared: [],
  runs: ['shared'],
  store: ['runs', 'shared'],
  budget: ['store'],
  access: ['runs'],
  grammar: ['runs', 'shared'],
  checkly: ['budget', 'runs', 'shared'],
  catalogue: ['checkly', 'runs'],
  blocks: ['access', 'catalogue', 'grammar', 'runs', 'shared'],
  slack: ['blocks', 'budget', 'runs', 'shared'],
  ops: ['checkly', 'grammar', 'runs', 'shared', 'slack'],
  guard: ['access', 'ops', 'shared'],
  picker: ['blocks', 'catalogue', 'grammar', 'guard', 'ops', 'runs', 'shared', 'slack'],
  listing: ['blocks', 'catalogue', 'guard', 'ops', 'runs', 'shared'],
  buttons: ['blocks', 'guard', 'ops', 'runs', 'shared', 'slack'],
  commands: ['blocks', 'grammar', 'guard', 'listing', 'ops', 'picker', 'runs', 'shared'],
  api: ['access', 'grammar', 'guard', 'ops', 'runs', 'shared', 'store'],
  workflow: ['blocks', 'grammar', 'guard', 'ops', 'runs', 'shared', 'slack'],
  home: ['blocks', 'catalogue', 'grammar', 'guard', 'ops', 'runs', 'shared'],
  alerts: ['blocks', 'grammar', 'guard', 'ops', 'runs', 'shared', 'slack'],
  config: ['access', 'api', 'shared'],
  wiring: [
    'alerts',
    'blocks',
    'buttons',
    'catalogue',
    'checkly',
    'commands',
    'config',
    'guard',
    'home',
    'listing',
    'ops',
    'picker',
    'runs',
    'shared',
    'slack',
    'workflow',
  ],
  'app.ts': ['api', 'checkly', 'config', 'ops', 'shared', 'store', 'wiring'],
};

/** Folder → the folders it imports from. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const from = unitOf(file);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const target of importsOf(file).local) {
      const to = unitOf(target);
      if (to !== from) graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** Strongly connected components of more than one folder: each is a cycle. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

describe('the layers of src/', () => {
  test('the files are found and their imports read (the checks below see something)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(importsOf(path.join('runs', 'runner.ts')).local).toContain(path.join('runs', 'ports'));
    expect(folderGraph().get('app.ts')?.has('wiring')).toBe(true);
  });

  test('every room of src/ has its rules, and every import keeps to them', () => {
    const rooms = [...new Set(files.map(unitOf))].sort();
    expect(rooms.filter((room) => !(room in ROOMS))).toEqual([]);
    const outside = files.flatMap((f) =>
      importsOf(f)
        .local.filter((t) => !t.startsWith('..') && unitOf(t) !== unitOf(f) && !(ROOMS[unitOf(f)] ?? []).includes(unitOf(t)))
        .map((t) => `${f} → ${t}`),
    );
    expect(outside).toEqual([]);
  });

  test('no entrance imports checkly/: the find features, Details and the runs go through ports', () => {
    const reaching = files
      .filter((f) => ENTRANCES.includes(unitOf(f)))
      .flatMap((f) =>
        importsOf(f)
          .local.filter((t) => unitOf(t) === 'checkly')
          .map((t) => `${f} → ${t}`),
      );
    expect(reaching).toEqual([]);
    for (const entrance of ENTRANCES) expect(ROOMS[entrance]).not.toContain('checkly');
  });

  test('the rules are no wider than the imports: every allowed room is used (a stale rule hides nothing)', () => {
    const used = folderGraph();
    const unused = Object.entries(ROOMS).flatMap(([room, allowed]) => allowed.filter((to) => !used.get(room)?.has(to)).map((to) => `${room} → ${to}`));
    expect(unused).toEqual([]);
  });

  test('the access sequence is written once: only the guard checks access and counts refusals', () => {
    const writers = files.filter((f) => /\b(checkAccess|decide)\(|\.refused\(/.test(readFileSync(path.join(SRC, f), 'utf8')));
    expect(writers.sort()).toEqual([path.join('access', 'check.ts'), path.join('access', 'policy.ts'), path.join('guard', 'index.ts')]);
  });

  test('runs/ imports only itself, shared/ and the logger, and no package but p-retry', () => {
    const outside = files
      .filter((f) => unitOf(f) === 'runs')
      .flatMap((f) => {
        const { local, packages } = importsOf(f);
        return [
          ...local.filter((t) => !['runs', 'shared'].includes(unitOf(t))).map((t) => `${f} → ${t}`),
          ...packages.filter((p) => !['p-retry', 'node:events', 'node:crypto'].includes(p)).map((p) => `${f} → ${p}`),
        ];
      });
    expect(outside).toEqual([]);
  });

  // runs/status holds the domain's own word on which statuses are final: the adapter asks it rather than keep a copy.
  test("checkly/ takes from runs/ only the domain's types, ports and status rules it maps to", () => {
    const reached = files
      .filter((f) => unitOf(f) === 'checkly')
      .flatMap((f) => importsOf(f).local.filter((t) => unitOf(t) === 'runs'))
      .filter((t) => ![path.join('runs', 'types'), path.join('runs', 'ports'), path.join('runs', 'status')].includes(t));
    expect(reached).toEqual([]);
  });

  test('the grammar, the access policy and the storage adapters know nothing of Slack or HTTP', () => {
    const offending = files
      .filter((f) => ['grammar', 'store', 'runs'].includes(unitOf(f)) || f === path.join('access', 'policy.ts'))
      .flatMap((f) => {
        const { local, packages } = importsOf(f);
        return [
          ...local
            .filter((t) => ['slack', 'blocks', 'api', 'commands', 'picker', 'listing', 'buttons', 'workflow', 'home'].includes(unitOf(t)))
            .map((t) => `${f} → ${t}`),
          ...packages.filter((p) => p.startsWith('@slack/') || p === 'node:http' || p === 'axios').map((p) => `${f} → ${p}`),
        ];
      });
    expect(offending).toEqual([]);
  });

  test('no folder-level import cycle', () => {
    expect(cycles(folderGraph())).toEqual([]);
  });

  test('the cycle finder finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
  });
});
