# syntax=docker/dockerfile:1
#
# Gatehouse production image: Node 24 runs the TypeScript sources directly (type stripping), so
# there is no compile step; the final stage holds production dependencies, src/, migrations/ and
# views/ only, owned by root and read-only for the non-root user that runs the server.
#
#   docker build -t gatehouse .
#   docker run --read-only --tmpfs /tmp -p 3000:3000 --env-file prod.env gatehouse
#
# Production mode needs an https:// GATEHOUSE_ISSUER, DATABASE_URL, REDIS_URL,
# GATEHOUSE_KEY_ENCRYPTION_SECRET and GATEHOUSE_COOKIE_KEYS at run time (docs/configuration.md);
# none of them is, or may be, baked into the image.
#
# .ci/verify-image.sh mirrors the COPY list below without a Docker engine: keep both in step.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: production node_modules ------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
# argon2 ships N-API prebuilds (linux x64/arm64, glibc and musl); the toolchain is the fallback
# for a platform without one, so `npm ci` can compile it. This stage is discarded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev also drops the `node` devDependency: the image runs on its own Node.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# npm, npx, corepack and yarn are not needed to run the server: fewer binaries, fewer CVEs.
# The operator CLI is `gatehouse` on PATH (`docker compose exec gatehouse gatehouse users create …`):
# run as the server's user, it reaches the server over its admin socket under GATEHOUSE_DATA_DIR.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --gid 10001 gatehouse \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gatehouse \
 && printf '#!/bin/sh\nexec node /app/src/cli/main.ts "$@"\n' > /usr/local/bin/gatehouse \
 && chmod 755 /usr/local/bin/gatehouse

# GATEHOUSE_DATA_DIR is only written in production when SMTP_URL is unset (the mail outbox):
# point it into /tmp so a read-only root filesystem (with a tmpfs on /tmp) still works.
ENV NODE_ENV=production \
    GATEHOUSE_HOST=0.0.0.0 \
    PORT=3000 \
    GATEHOUSE_DATA_DIR=/tmp/gatehouse
# Memory (measured, docs/performance.md "Runtime settings"): two glibc malloc arenas instead of
# 8 per core, and a 4 MiB young generation instead of V8's default: idle RSS 164 → 135 MiB, peak
# under a short load 192 → 142 MiB. The old space is left uncapped (a cap only moves the crash).
# The compile cache lets the CLI (`docker exec … gatehouse`) reuse the code the server compiled.
ENV MALLOC_ARENA_MAX=2 \
    NODE_OPTIONS=--max-semi-space-size=4 \
    NODE_COMPILE_CACHE=/tmp/gatehouse-compile-cache

WORKDIR /app
# Owned by root: the server cannot modify its own code or dependencies.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY migrations ./migrations
COPY views ./views

USER 10001:10001
# GATEHOUSE_METRICS_PORT, when set, opens a second listener for /metrics: publish it on a
# private network only (it is deliberately not EXPOSEd).
EXPOSE 3000
# No curl in slim images: Node's fetch, with a deadline shorter than the timeout.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# main.ts drains in-flight requests and closes the stores on SIGTERM.
STOPSIGNAL SIGTERM
CMD ["node", "src/main.ts"]
