#!/usr/bin/env bash
# Starts the services the test suite talks to, when they are not running already. What is missing
# (redis-server, a Chromium for the demo's browser test) is named with the command that installs it;
# only in CI (CI=true, as .ci/run sets) is it installed here, from Debian's packages.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis)
# The demo's browser test drives a system Chromium (playwright-core brings no browser of its own).
[ -x "$chromium" ] || missing+=(chromium)

if [ "${#missing[@]}" -gt 0 ]; then
  apt=()
  brew=""
  for m in "${missing[@]}"; do
    if [ "$m" = redis ]; then
      apt+=(redis-server)
      brew="${brew:+$brew && }brew install redis"
    else
      apt+=(chromium)
      brew="${brew:+$brew && }brew install --cask google-chrome"
    fi
  done
  if [ "${CI:-}" = true ]; then
    echo "ensure-services: CI: installing ${apt[*]} from Debian's packages" >&2
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "${apt[@]}" >/dev/null
  else
    {
      echo "ensure-services: the tests need what is not installed here:"
      for m in "${missing[@]}"; do
        if [ "$m" = redis ]; then
          echo "  - redis-server (Redis 6 or later; the tests start it on 127.0.0.1:6379)"
        else
          echo "  - Chromium at $chromium, for the demo's browser test (any Chrome will do: CHROMIUM_PATH=<its binary>)"
        fi
      done
      echo "Install them, then run npm test again:"
      echo "  Debian, Ubuntu:  sudo apt-get install ${apt[*]}"
      echo "  macOS:           $brew"
      if [[ " ${missing[*]} " == *" chromium "* ]]; then
        echo "                   and CHROMIUM_PATH=\"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome\" npm test"
      fi
      echo "(With CI=true this script installs them with apt-get, as CI does.)"
    } >&2
    exit 1
  fi
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
