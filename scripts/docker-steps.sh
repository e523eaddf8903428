#!/usr/bin/env bash
# The Dockerfile's steps, without Docker (no daemon where the tests run): into DEST, a clean copy of
# the tracked files, `npm ci` + `npm run build` (build stage), then a runtime folder with package
# files, dist/ and `npm ci --omit=dev` only. test/e2e/docker-steps.test.ts starts the result as a
# non-root user and checks /healthz and SIGTERM.
#
#   scripts/docker-steps.sh DEST            full steps (compiles better-sqlite3: about a minute)
#   REUSE_NODE_MODULES=1 scripts/docker-steps.sh DEST
#       the build stage reuses this checkout's node_modules (same lock file) instead of `npm ci`, and
#       the runtime install reuses its compiled better-sqlite3 (same Node, same platform) instead of
#       compiling it again: what the test does, to stay fast.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:?usage: docker-steps.sh DEST}"
build="$dest/build"
runtime="$dest/runtime"
rm -rf "$build" "$runtime"
mkdir -p "$build" "$runtime"

# ---- build stage: COPY package*.json, npm ci, COPY tsconfig*.json src, npm run build ----
# Exactly what the Dockerfile copies, from the tracked files (a clean copy: no dist/, no local state).
(cd "$root" && git ls-files -z --cached --others --exclude-standard -- package.json package-lock.json tsconfig.json tsconfig.build.json src) |
  (cd "$root" && xargs -0 -I{} sh -c 'test -e "$1" && mkdir -p "$2/$(dirname "$1")" && cp -p "$1" "$2/$1" || true' _ {} "$build")
if [ "${REUSE_NODE_MODULES:-}" = 1 ]; then
  ln -s "$root/node_modules" "$build/node_modules"
else
  (cd "$build" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$build" && npm run build --silent)

# ---- runtime stage: package files, dist/, production dependencies only ----
cp "$build/package.json" "$build/package-lock.json" "$runtime/"
cp -R "$build/dist" "$runtime/dist"
if [ "${REUSE_NODE_MODULES:-}" = 1 ]; then
  (cd "$runtime" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  native="build/Release/better_sqlite3.node"
  mkdir -p "$runtime/node_modules/better-sqlite3/build/Release"
  cp "$root/node_modules/better-sqlite3/$native" "$runtime/node_modules/better-sqlite3/$native"
else
  (cd "$runtime" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
fi
# The image's user ("node" there, "nobody" here) reads the app and writes only STATE_DIR.
chmod -R a+rX "$dest"
mkdir -p "$dest/data"
chown nobody "$dest/data" 2>/dev/null || chmod 777 "$dest/data"
echo "$runtime"
