#!/usr/bin/env bash
# Starts the services the test suite talks to, when they are not running already.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  echo "ensure-services: redis-server is not installed; installing it from Debian's packages" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi
fi
# The demo's browser test drives Debian's chromium (playwright-core brings no browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-services: chromium is not installed; installing it from Debian's packages" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
