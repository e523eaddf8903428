#!/usr/bin/env node
// `npm start`: runs the built app (dist/app.js), building first only when dist/ is missing or older
// than src/. A production install (`npm ci --omit=dev`) has no compiler, so there it never builds:
// ship dist/ with it (the Dockerfile does) or run `node dist/app.js` directly.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const entry = path.join(root, 'dist', 'app.js');

/** Newest modification time of any file under `dir` (0 when it does not exist). */
function newest(dir) {
  let latest = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    latest = Math.max(latest, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return latest;
}

function needsBuild() {
  if (!fs.existsSync(entry)) return true;
  const src = path.join(root, 'src');
  // A production copy may ship without src/: then dist/ is all there is.
  return fs.existsSync(src) && newest(src) > newest(path.join(root, 'dist'));
}

if (needsBuild()) {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    process.stderr.write(
      'start: dist/ is missing or older than src/, and TypeScript is not installed (npm ci --omit=dev?). Run `npm ci && npm run build` first.\n',
    );
    process.exit(1);
  }
  process.stderr.write('start: building dist/ from src/\n');
  const built = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

// Replace this process's work with the app's in the same process: signals reach the app directly.
require(entry).runMain();
