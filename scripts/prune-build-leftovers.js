#!/usr/bin/env node
// What compiling a native module (better-sqlite3) leaves in node_modules that nothing loads at run
// time: object files, static libraries, makefiles, its test extension, and the C sources it was built
// from (deps/, src/). Only build/Release/*.node stays, where `bindings` finds it. A package with no
// build/ came prebuilt and is left as published. Run after `npm prune --omit=dev`, in the Dockerfile's
// build stage; scripts/docker-steps.sh runs it the same way.
//
//   node scripts/prune-build-leftovers.js [DIR]   (DIR holds node_modules; default: here)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const modules = path.resolve(process.argv[2] ?? '.', 'node_modules');
/** Built, but never loaded: the test extension better-sqlite3 compiles beside itself. */
const NOT_LOADED = new Set(['test_extension.node']);

function packages(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (!entry.isDirectory() || entry.name.startsWith('.')) return [];
    const full = path.join(dir, entry.name);
    return entry.name.startsWith('@') ? packages(full) : [full];
  });
}

/** The file `require(pkg)` loads: a folder holding it is what the package runs, not a leftover. */
function entryOf(pkg) {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'));
  return path.resolve(pkg, typeof manifest.main === 'string' ? manifest.main : 'index.js');
}

let removed = 0;
const remove = (target) => {
  fs.rmSync(target, { recursive: true, force: true });
  removed += 1;
};
for (const pkg of packages(modules)) {
  const release = path.join(pkg, 'build', 'Release');
  if (!fs.existsSync(path.join(pkg, 'binding.gyp')) || !fs.existsSync(release)) continue;
  for (const name of fs.readdirSync(path.join(pkg, 'build'))) if (name !== 'Release') remove(path.join(pkg, 'build', name));
  for (const name of fs.readdirSync(release)) if (!name.endsWith('.node') || NOT_LOADED.has(name)) remove(path.join(release, name));
  const entry = entryOf(pkg);
  for (const sources of ['deps', 'src'].map((name) => path.join(pkg, name))) {
    if (fs.existsSync(sources) && !entry.startsWith(sources + path.sep)) remove(sources);
  }
}
process.stdout.write(`prune-build-leftovers: ${removed} removed\n`);
