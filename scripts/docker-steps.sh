#!/usr/bin/env bash
# The Dockerfile's steps, without Docker (no daemon where the tests run): into DEST, a clean copy of
# what the build stage copies, `npm ci` + `npm run build`, `npm prune --omit=dev` and the build
# leftovers' removal; then a runtime folder with the package files, dist/ and node_modules. Prints
# the runtime tree's size and fails when it holds build leftovers. test/e2e/docker-steps.test.ts
# starts the result as a non-root user and checks /healthz and SIGTERM.
#
#   scripts/docker-steps.sh DEST            full steps (compiles better-sqlite3: about a minute)
#   REUSE_NODE_MODULES=1 scripts/docker-steps.sh DEST
#       the build stage starts from a copy of this checkout's node_modules (same lock file, compiled
#       for this Node, leftovers and all) instead of `npm ci`: what the test does, to stay fast.
#   scripts/docker-steps.sh --check RUNTIME
#       only measure RUNTIME and look for build leftovers in it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# What a native module's compile leaves that nothing loads: object files, static libraries, makefiles,
# the test extension, and in a package compiled here (binding.gyp and build/), the C sources.
leftovers() {
  local runtime="$1" gyp pkg
  find "$runtime/node_modules" \( -name '*.a' -o -name '*.o' -o -name 'test_extension.node' -o -name 'obj.target' -o -name '.deps' \) -print
  for gyp in "$runtime"/node_modules/*/binding.gyp "$runtime"/node_modules/@*/*/binding.gyp; do
    [ -f "$gyp" ] || continue
    pkg="$(dirname "$gyp")"
    [ -d "$pkg/build" ] || continue
    find "$pkg/build" -mindepth 1 ! -path "$pkg/build/Release" ! -path "$pkg/build/Release/*.node" -print
    find "$pkg" \( -path "$pkg/node_modules" -prune \) -o -type f \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) -print
  done
}

# The runtime tree's size, and no build leftovers in it.
check_runtime() {
  local runtime="$1" found
  echo "runtime tree: $(du -sb "$runtime" | cut -f1) bytes (node_modules $(du -sb "$runtime/node_modules" | cut -f1), dist $(du -sb "$runtime/dist" | cut -f1)), $(find "$runtime" -type f | wc -l) files" >&2
  found="$(leftovers "$runtime" | sed "s|^$runtime/||")"
  if [ -n "$found" ]; then
    echo "docker-steps: build leftovers in the runtime tree:" >&2
    echo "$found" | head -n 20 | sed 's/^/  /' >&2
    return 1
  fi
}

if [ "${1:-}" = --check ]; then
  check_runtime "${2:?usage: docker-steps.sh --check RUNTIME}"
  exit
fi

dest="${1:?usage: docker-steps.sh DEST}"
build="$dest/build"
runtime="$dest/runtime"
rm -rf "$build" "$runtime"
mkdir -p "$build" "$runtime"

# ---- build stage: COPY package*.json, npm ci, COPY tsconfig*.json src, npm run build, prune ----
# Exactly what the Dockerfile copies, from the tracked files (a clean copy: no dist/, no local state).
(cd "$root" && git ls-files -z --cached --others --exclude-standard -- package.json package-lock.json tsconfig.json tsconfig.build.json src scripts/prune-build-leftovers.js) |
  (cd "$root" && xargs -0 -I{} sh -c 'test -e "$1" && mkdir -p "$2/$(dirname "$1")" && cp -p "$1" "$2/$1" || true' _ {} "$build")
if [ "${REUSE_NODE_MODULES:-}" = 1 ]; then
  cp -a "$root/node_modules" "$build/node_modules"
else
  (cd "$build" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$build" && npm run build --silent)
(cd "$build" && npm prune --omit=dev --no-audit --no-fund --loglevel=error && node scripts/prune-build-leftovers.js >&2)

# ---- runtime stage: package files, dist/, node_modules from the build stage ----
cp "$build/package.json" "$build/package-lock.json" "$runtime/"
cp -R "$build/dist" "$runtime/dist"
cp -a "$build/node_modules" "$runtime/node_modules"
check_runtime "$runtime"
# The image's user ("node" there, "nobody" here) reads the app and writes only STATE_DIR.
chmod -R a+rX "$dest"
mkdir -p "$dest/data"
chown nobody "$dest/data" 2>/dev/null || chmod 777 "$dest/data"
echo "$runtime"
