#!/usr/bin/env bash
# Verifies the Dockerfile's recipe without a Docker engine: builds the final image's /app tree in a
# clean temporary directory (the same COPY list, `npm ci --omit=dev`), then runs it the way the
# image does — NODE_ENV=production, as uid 10001 on a tree it cannot write — against the local
# Postgres (a temporary database) and Redis (a unique key prefix), and checks /healthz, /readyz,
# the image's own HEALTHCHECK command and a graceful SIGTERM. As the compose example runs it
# (examples/compose/): the bootstrap file creates the demo client, `gatehouse` on PATH creates a
# user, and Chromium signs in through Caddy (`tls internal`) on a loopback port. Cleans up after itself.
#
#   .ci/verify-image.sh        # exit 0 = the tree works; anything else = it does not
#
# Env: GATEHOUSE_VERIFY_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
#      GATEHOUSE_VERIFY_REDIS_HOST/PORT (default 127.0.0.1:6379).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# Keep in step with the Dockerfile's runtime-stage COPY lines (checked below).
COPY_LIST=(package.json package-lock.json src migrations views)
# Keep in step with the Dockerfile's ENV.
IMAGE_ENV=(NODE_ENV=production GATEHOUSE_HOST=0.0.0.0 GATEHOUSE_DATA_DIR=/tmp/gatehouse)
APP_UID=10001

ADMIN_URL="${GATEHOUSE_VERIFY_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS_HOST="${GATEHOUSE_VERIFY_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${GATEHOUSE_VERIFY_REDIS_PORT:-6379}"
RUN_ID="$(openssl rand -hex 5)"
DB_NAME="gatehouse_verify_${RUN_ID}"
REDIS_PREFIX="gatehouse-verify:${RUN_ID}:"
PINNED_NODE_BIN="$ROOT/node_modules/node/bin"

WORK=""
SERVER_PID=""
CADDY_PID=""
DB_CREATED=""
step() { printf '\n== %s ==\n' "$*"; }
fail() { printf 'verify-image: FAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local status=$?
  set +e
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  if [[ -n "$CADDY_PID" ]]; then kill -TERM "$CADDY_PID" 2>/dev/null; wait "$CADDY_PID" 2>/dev/null; fi
  if [[ -n "$DB_CREATED" ]]; then
    psql "$ADMIN_URL" -qAtX -v ON_ERROR_STOP=1 -c "drop database if exists \"$DB_NAME\" with (force)" >/dev/null \
      || echo "verify-image: could not drop database $DB_NAME" >&2
  fi
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "${REDIS_PREFIX}*" 2>/dev/null \
    | xargs -r -n 500 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null 2>&1
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ $status -ne 0 && -f "$WORK/server.log" ]]; then
      echo "--- server log (last 40 lines) ---" >&2
      tail -n 40 "$WORK/server.log" >&2
    fi
    rm -rf "$WORK"
  fi
  rm -rf "/tmp/gatehouse-verify-data-${RUN_ID}"
  if [[ $status -eq 0 ]]; then echo "verify-image: OK"; else echo "verify-image: FAILED (exit $status)" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in openssl psql redis-cli curl du caddy; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
[[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || fail "Chromium is not at ${CHROMIUM_PATH:-/usr/bin/chromium} (the browser sign-in needs it)"
[[ -x "$PINNED_NODE_BIN/node" ]] || fail "the project-pinned node is missing: run npm ci in $ROOT first"
export PATH="$PINNED_NODE_BIN:$PATH"   # npm's install scripts (argon2) and the server run on it
echo "node $(node --version), npm $(npm --version 2>/dev/null)"

step "the COPY list matches the Dockerfile"
# Sources of every `COPY` in the Dockerfile's final stage that does not copy from another stage.
dockerfile_sources="$(awk '/^FROM /{ copies = "" } /^COPY /{ copies = copies $0 "\n" } END { printf "%s", copies }' "$ROOT/Dockerfile" \
  | grep -v -- '--from=' | awk '{ for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' | sort | tr '\n' ' ')"
script_sources="$(printf '%s\n' "${COPY_LIST[@]}" | sort | tr '\n' ' ')"
[[ "$dockerfile_sources" == "$script_sources" ]] \
  || fail "Dockerfile copies [${dockerfile_sources}] but this script mirrors [${script_sources}]"
echo "COPY: ${script_sources}"

step "build the image tree in a clean directory"
WORK="$(mktemp -d /tmp/gatehouse-image-XXXXXX)"
APP="$WORK/app"
mkdir -p "$APP"
for entry in "${COPY_LIST[@]}"; do
  [[ -e "$ROOT/$entry" ]] || fail "$entry (copied by the Dockerfile) does not exist"
  cp -R "$ROOT/$entry" "$APP/$entry"
done
if ! (cd "$APP" && npm ci --omit=dev --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1; then
  grep -v -e '^npm error *$' -e 'Unknown user config' "$WORK/npm.log" | sed -n '1,15p' >&2
  fail "npm ci --omit=dev failed (the Docker build would fail at the same step)"
fi
tail -n 3 "$WORK/npm.log"
# The Dockerfile's `gatehouse` on PATH, written by the same printf with /app → this tree.
mkdir -p "$WORK/bin"
wrapper_printf="$(grep -oE "printf '[^']*'" "$ROOT/Dockerfile" | head -n 1)"
[[ -n "$wrapper_printf" ]] || fail "the Dockerfile writes no gatehouse wrapper"
eval "${wrapper_printf//\/app\//$APP/}" >"$WORK/bin/gatehouse"
chmod 755 "$WORK/bin/gatehouse"
echo "gatehouse on PATH: $(tail -n 1 "$WORK/bin/gatehouse")"

step "the tree holds production dependencies only"
# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
node -e '
  const { existsSync } = require("node:fs");
  const app = process.argv[1];
  const pkg = require(`${app}/package.json`);
  const lock = require(`${app}/package-lock.json`);
  // The lockfile marks every package reachable only through devDependencies with "dev": true
  // (@types/node, say, is also a production dependency of @types/co-body, so it is not).
  const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path && entry.dev).map(([path]) => path);
  const present = devOnly.filter((path) => existsSync(`${app}/${path}`));
  if (present.length) { console.error("dev-only packages in the image tree:", present.join(", ")); process.exit(1); }
  const missing = Object.keys(pkg.dependencies ?? {}).filter((name) => !existsSync(`${app}/node_modules/${name}`));
  if (missing.length) { console.error("dependencies missing from the image tree:", missing.join(", ")); process.exit(1); }
  console.log(`none of the ${devOnly.length} dev-only packages in the lockfile is present (devDependencies: ${Object.keys(pkg.devDependencies ?? {}).join(", ")})`);
  console.log(`all ${Object.keys(pkg.dependencies ?? {}).length} dependencies are present`);
' "$APP" || fail "dependency check"
for path in node_modules/typescript node_modules/@biomejs node_modules/node node_modules/.bin/node test bench docs examples data keys .git .env; do
  [[ ! -e "$APP/$path" ]] || fail "$path must not be in the image tree"
done
echo "no test/, bench/, docs/, examples/, data/, keys/, .git, .env"

step "argon2's native addon loads and hashes"
(cd "$APP" && node -e '
  import("argon2").then(async ({ default: argon2 }) => {
    const hash = await argon2.hash("verify-image", { type: argon2.argon2id });
    if (!(await argon2.verify(hash, "verify-image"))) throw new Error("verify failed");
    console.log("argon2 ok:", hash.slice(0, 30) + "…");
  }).catch((error) => { console.error(error); process.exit(1); });
') || fail "argon2"

echo
echo "image tree size:    $(du -sh "$APP" | cut -f1)"
echo "  of which node_modules: $(du -sh "$APP/node_modules" | cut -f1)"

step "start it the way the image does"
psql "$ADMIN_URL" -qAtX -v ON_ERROR_STOP=1 -c "create database \"$DB_NAME\"" >/dev/null || fail "cannot create database $DB_NAME"
DB_CREATED=1
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null || fail "Redis at $REDIS_HOST:$REDIS_PORT is unreachable"
DATABASE_URL="${ADMIN_URL%/*}/${DB_NAME}"
PORT="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"

# The image runs as uid 10001 on root-owned files: as root here, drop to that uid, so a write
# into the tree (read-only in the container) fails here too. Differences from the image, on
# purpose: GATEHOUSE_DATA_DIR is per run, and the server binds 127.0.0.1, not 0.0.0.0.
chmod 755 "$WORK"
RUN_AS=()
if [[ "$(id -u)" == 0 ]] && command -v setpriv >/dev/null; then
  RUN_AS=(setpriv --reuid="$APP_UID" --regid="$APP_UID" --clear-groups --)
  echo "running as uid $APP_UID"
else
  echo "WARNING: not root (or no setpriv): running as $(id -un); the read-only check below still applies"
fi
TLS_PORT="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
CADDY_HTTP_PORT="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
ISSUER="https://localhost:${TLS_PORT}"
# The container's environment, for the server and for `docker compose exec gatehouse gatehouse …`.
RUN_ENV=(
  PATH="$WORK/bin:$PINNED_NODE_BIN:/usr/local/bin:/usr/bin:/bin"
  HOME=/nonexistent
  "${IMAGE_ENV[@]}"
  GATEHOUSE_DATA_DIR="/tmp/gatehouse-verify-data-${RUN_ID}"
  GATEHOUSE_HOST=127.0.0.1
  PORT="$PORT"
  GATEHOUSE_ISSUER="$ISSUER"
  GATEHOUSE_TRUST_PROXY=true
  GATEHOUSE_BOOTSTRAP_FILE="$ROOT/examples/compose/gatehouse.yaml"
  DATABASE_URL="$DATABASE_URL"
  REDIS_URL="redis://${REDIS_HOST}:${REDIS_PORT}"
  GATEHOUSE_REDIS_PREFIX="$REDIS_PREFIX"
  GATEHOUSE_KEY_ENCRYPTION_SECRET="$(openssl rand -base64 32)"
  GATEHOUSE_COOKIE_KEYS="$(openssl rand -hex 32)"
)
chmod 755 "$WORK/bin"
touch "$WORK/started"
(
  cd "$APP"
  exec env -i "${RUN_ENV[@]}" "${RUN_AS[@]}" node src/main.ts
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
echo "server pid $SERVER_PID on 127.0.0.1:$PORT (database $DB_NAME, Redis prefix $REDIS_PREFIX)"

BASE="http://127.0.0.1:$PORT"
wait_for() {
  local path=$1
  for _ in $(seq 1 120); do
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited before $path answered"
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE$path")" == 200 ]]; then
      echo "$path: 200"
      return 0
    fi
    sleep 0.5
  done
  fail "$path did not answer 200 within 60 s"
}
wait_for /healthz
wait_for /readyz
curl -fsS --max-time 5 "$BASE/readyz" && echo

# Production mode is on: a plain-http page load is redirected to https...
plain_status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/.well-known/openid-configuration")"
[[ "$plain_status" == 301 ]] || fail "plain http discovery answered $plain_status, expected the production redirect (301)"
echo "plain http: 301 to https (production mode)"
# ...and behind a TLS proxy (GATEHOUSE_TRUST_PROXY=true, as in docker-compose.yml) it serves.
issuer="$(curl -fsS --max-time 5 -H 'X-Forwarded-Proto: https' -H "X-Forwarded-Host: localhost:${TLS_PORT}" \
  "$BASE/.well-known/openid-configuration" \
  | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).issuer))')"
[[ "$issuer" == "$ISSUER" ]] || fail "discovery names issuer '$issuer'"
echo "discovery: issuer $issuer"

# The image's HEALTHCHECK, as written in the Dockerfile (its CMD is a JSON array on one line).
healthcheck_json="$(grep -E '^HEALTHCHECK ' "$ROOT/Dockerfile" | sed -E 's/^.* CMD (\[.*\])$/\1/')"
[[ "$healthcheck_json" == \[* ]] || fail "could not read the HEALTHCHECK CMD from the Dockerfile"
mapfile -t healthcheck_argv < <(node -e 'for (const arg of JSON.parse(process.argv[1])) console.log(arg)' "$healthcheck_json")
(cd "$APP" && PORT="$PORT" "${healthcheck_argv[@]}") || fail "the Dockerfile's HEALTHCHECK command failed"
echo "HEALTHCHECK command: exit 0"

step "the bootstrap file created the demo client; gatehouse on PATH creates a user (docker compose exec)"
gatehouse_cli() { (cd / && env -i "${RUN_ENV[@]}" "${RUN_AS[@]}" gatehouse "$@"); }
gatehouse_cli clients show demo | grep -q 'Demo app' || fail "the bootstrap file's demo client is missing"
echo "clients show demo: created by GATEHOUSE_BOOTSTRAP_FILE"
DEMO_PASSWORD="$(openssl rand -hex 16)"
printf '%s' "$DEMO_PASSWORD" | gatehouse_cli users create --email demo@example.com --password-stdin --verified || fail "gatehouse users create"

step "browser sign-in through Caddy (tls internal) at $ISSUER"
mkdir -p "$WORK/caddy"
(
  exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$WORK/caddy" XDG_DATA_HOME="$WORK/caddy/data" XDG_CONFIG_HOME="$WORK/caddy/config" \
    CADDY_HTTP_PORT="$CADDY_HTTP_PORT" CADDY_HTTPS_PORT="$TLS_PORT" GATEHOUSE_UPSTREAM="127.0.0.1:$PORT" \
    caddy run --config "$ROOT/examples/compose/Caddyfile" --adapter caddyfile
) >"$WORK/caddy.log" 2>&1 &
CADDY_PID=$!
CADDY_ROOT="$WORK/caddy/data/caddy/pki/authorities/local/root.crt"
for _ in $(seq 1 120); do
  kill -0 "$CADDY_PID" 2>/dev/null || { tail -n 20 "$WORK/caddy.log" >&2; fail "caddy exited"; }
  [[ -f "$CADDY_ROOT" ]] && curl -fsS --max-time 2 --cacert "$CADDY_ROOT" "$ISSUER/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS --max-time 5 --cacert "$CADDY_ROOT" "$ISSUER/readyz" >/dev/null || { tail -n 20 "$WORK/caddy.log" >&2; fail "Gatehouse is not reachable through Caddy at $ISSUER"; }
echo "Caddy serves $ISSUER with a certificate from its local CA"
printf '%s' "$DEMO_PASSWORD" | NODE_EXTRA_CA_CERTS="$CADDY_ROOT" node "$ROOT/test/examples/tls-sign-in.ts" "$ISSUER" demo demo@example.com \
  "$(awk '/redirectUris:/ { gsub(/.*\[|\].*/, ""); print; exit }' "$ROOT/examples/compose/gatehouse.yaml")" \
  || fail "browser sign-in through the TLS front"

step "nothing was written into the tree"
written="$(find "$APP" -newer "$WORK/started" -print | sed -n '1,20p')"
[[ -z "$written" ]] || fail "the server wrote into the image tree (read-only in the container): $written"
echo "no file under the tree changed"

step "graceful shutdown on SIGTERM"
kill -TERM "$SERVER_PID"
exit_code=0
wait "$SERVER_PID" || exit_code=$?
SERVER_PID=""
[[ $exit_code -eq 0 ]] || fail "the server exited with $exit_code after SIGTERM"
grep -q '"msg":"stopped"' "$WORK/server.log" || fail "no 'stopped' log line after SIGTERM"
echo "stopped cleanly (exit 0)"
