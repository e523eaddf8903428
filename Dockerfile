# syntax=docker/dockerfile:1
# checkly-slack: a multi-stage build. scripts/docker-steps.sh runs the same steps without Docker, and
# test/e2e/docker-steps.test.ts checks them (there is no Docker daemon where the tests run).

# ---- build: the compiler toolchain for better-sqlite3's native module, dev dependencies, tsc ----
FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The one install, and better-sqlite3's one compile; npm's cache lives on a cache mount, in no layer.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
COPY scripts/prune-build-leftovers.js ./scripts/
# Production dependencies only (better-sqlite3 as compiled above), without what its compile left.
RUN npm prune --omit=dev --no-audit --no-fund && node scripts/prune-build-leftovers.js

# ---- runtime: production dependencies and dist/ only, as a non-root user ----
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    STATE_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The embedded store (SQLite) is written to STATE_DIR, owned by the app's user ("node", uid 1000):
# mount a volume there (docker run -v checkly-slack-data:/data). No VOLUME line: with REDIS_URL
# nothing is written there, and every replica would get an anonymous volume it never uses.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# /healthz: 200 when the store answers (and, in Socket Mode, the socket is up); node has fetch built in.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form, node as PID 1's only child via --init (compose: init: true) or directly: SIGTERM reaches
# node, which answers its waiting requests, hands its runs over and exits within the 10 s grace
# (compose's stop_grace_period; `docker stop` waits 10 s too).
CMD ["node", "dist/app.js"]
