/**
 * `npm run bench -- --soak N`: a bounded soak (issue 17). Gatehouse in services mode on loopback
 * gets mixed traffic at a fixed rate for N minutes — client credentials, refresh-token rotation,
 * introspection, and a full browser sign-in every few seconds — while its RSS, the row count of
 * every table and the Redis key counts are sampled. Then it stops itself and writes a plot (SVG)
 * and a summary into docs/performance.md (its own section, kept by a normal bench run).
 *
 * The load is open-loop: requests start on a fixed schedule whatever the answers, at most 64 in
 * flight per stream (a request that would exceed that is counted as skipped: the server fell behind).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { putSection, section } from './doc-sections.ts';
import { gitCommit, machineInfo } from './machine.ts';
import { cleanup, cpuSeconds, onCleanup, pinSelf, ROOT, rssMiB, stopProcess } from './process.ts';
import { shippedSettings } from './shipped-settings.ts';
import { addressSource, signIn } from './signin.ts';
import { markdownTable, percentile } from './stats.ts';
import { type Series, smallMultiples } from './svg-plot.ts';
import { basic, CC_BODY, pool, prepareServices, startGatehouse } from './targets.ts';

const FORM = 'application/x-www-form-urlencoded';
const MAX_IN_FLIGHT = 64;
/**
 * Refresh-token chains kept rotating; a sign-in beyond this abandons the oldest by sign-in (as a
 * client that forgot it), so no chain outlives its grant's absolute lifetime (5 minutes here).
 */
const MAX_CHAINS = 32;
const SOAK_USERS = 4;
/** Refresh-token chains created (by sign-ins) before the traffic starts. */
const SEED_CHAINS = 16;
/**
 * Lifetimes a day or a week long would make every table grow for the whole of a 30-minute soak;
 * shortened (and the cleanup job run every minute), the steady state a real server reaches after
 * a week arrives in ~12 minutes, so the second half of the run shows whether it holds.
 */
const COMPRESSED_LIFETIMES = {
  GATEHOUSE_ACCESS_TOKEN_TTL: '120',
  GATEHOUSE_ID_TOKEN_TTL: '120',
  GATEHOUSE_REFRESH_TOKEN_TTL: '300',
  GATEHOUSE_SESSION_TTL: '300',
  GATEHOUSE_INTERACTION_TTL: '300',
  GATEHOUSE_CLOCK_SKEW: '60',
  GATEHOUSE_TOKEN_CLEANUP_INTERVAL: '60',
};
/** Kept on purpose for GATEHOUSE_AUDIT_RETENTION_DAYS (a year by default): grows for the whole soak by design. */
const RETAINED_BY_DESIGN = new Set(['audit_events']);

export interface SoakOptions {
  minutes: number;
  sampleSeconds: number;
  /** `cc=20,refresh=10,introspection=20,signin=5`: requests per second, and seconds between sign-ins. */
  rates: string;
  docs: boolean;
}

interface Rates {
  cc: number;
  refresh: number;
  introspection: number;
  /** Seconds between two sign-ins. */
  signin: number;
}

function parseRates(text: string): Rates {
  const rates: Rates = { cc: 20, refresh: 10, introspection: 20, signin: 5 };
  for (const part of text.split(',').filter(Boolean)) {
    const [key, value] = part.split('=');
    const number = Number(value);
    if (!(key! in rates) || !(number >= 0)) throw new Error(`--soak-rates: expected cc=N,refresh=N,introspection=N,signin=SECONDS, got ${part}`);
    rates[key as keyof Rates] = number;
  }
  return rates;
}

interface Stream {
  name: string;
  /** Starts per second. */
  rate: number;
  credit: number;
  inFlight: number;
  ok: number;
  failed: number;
  skipped: number;
  /** Latencies (ms) since the last sample, and over the whole soak. */
  window: number[];
  all: number[];
  failures: string[];
  /** true: answered as expected; false: failed; 'skip': nothing to send (e.g. every refresh chain in flight). */
  op: () => Promise<boolean | 'skip'>;
}

interface SoakSample {
  minute: number;
  rssMiB: number;
  /** Server CPU (cores) since the previous sample. */
  serverCores: number;
  rows: Record<string, number>;
  redisKeys: number;
  redisDbsize: number;
  /** Per stream: completed requests per second and p99 (ms) since the previous sample. */
  traffic: Record<string, { rate: number; p99: number }>;
}

export async function runSoakCommand(options: SoakOptions): Promise<number> {
  try {
    const rates = parseRates(options.rates);
    const result = await soak(options, rates);
    const summary = summarize(result, options, rates);
    console.log(`\n${summary.text}`);
    const svg = plot(result, options);
    if (options.docs) {
      const svgFile = join(ROOT, 'docs', 'performance-soak.svg');
      await writeFile(svgFile, svg);
      const file = join(ROOT, 'docs', 'performance.md');
      const previous = await readFile(file, 'utf8').catch(() => '# Performance\n');
      await writeFile(file, putSection(previous, 'soak', section('soak', summary.markdown)));
      console.log(`wrote ${svgFile} and the soak section of ${file}`);
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'gatehouse-soak-'));
      await writeFile(join(dir, 'performance-soak.svg'), svg);
      await writeFile(join(dir, 'soak.md'), summary.markdown);
      console.log(`--no-docs: wrote ${dir}/performance-soak.svg and ${dir}/soak.md`);
    }
    return result.streams.some((s) => s.failed > 0) ? 1 : 0;
  } catch (error) {
    console.error(`\nsoak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

async function soak(options: SoakOptions, rates: Rates) {
  const started = new Date();
  // Self-stop even if something hangs: the soak is bounded whatever happens.
  const overrun = setTimeout(
    () => {
      console.error('soak: still running 10 minutes past its end: stopping');
      void cleanup().finally(() => process.exit(1));
    },
    (options.minutes * 60 + 600) * 1000,
  );
  overrun.unref();
  onCleanup(() => clearTimeout(overrun));

  pinSelf();
  const services = await prepareServices();
  if (typeof services === 'string') throw new Error(`the soak needs services mode (Postgres + Redis): ${services}`);
  const settings = shippedSettings();
  console.log(`soak: ${options.minutes} min of mixed traffic on Gatehouse services mode (loopback), a sample every ${options.sampleSeconds} s`);
  console.log(`rates: ${rates.cc}/s client credentials, ${rates.refresh}/s refresh, ${rates.introspection}/s introspection, a sign-in every ${rates.signin} s`);
  console.log(`server: ${settings.description}`);
  const gh = await startGatehouse('Gatehouse (services)', {
    modeEnv: services,
    extraEnv: { GATEHOUSE_TRUST_PROXY: 'true', GATEHOUSE_HOST: '127.0.0.1', ...COMPRESSED_LIFETIMES },
    webClient: true,
    users: SOAK_USERS,
    settings,
  });
  const pid = gh.server.child.pid;
  const web = basic(gh.web!.clientId, gh.web!.clientSecret);
  const nextIp = addressSource();
  let nextUser = 0;
  /** Next to refresh first; `signedInAt` orders them by age (a grant's lifetime counts from sign-in). */
  const chains: Array<{ token: string; signedInAt: number }> = [];
  let accessToken = '';

  const signInOnce = async () => {
    // A new browser every time (fresh cookies): every sign-in makes a new session and code;
    // offline_access needs prompt=consent (oidc-provider drops it otherwise).
    const { tokens } = await signIn({ url: gh.url, client: gh.web!, user: gh.users[nextUser++ % gh.users.length]!, ip: nextIp(), scope: 'openid offline_access', prompt: 'consent' });
    if (!tokens.refresh_token) throw new Error('the code exchange gave no refresh token');
    chains.push({ token: tokens.refresh_token, signedInAt: Date.now() });
    if (chains.length > MAX_CHAINS) {
      const oldest = chains.reduce((found, chain, index) => (chain.signedInAt < chains[found]!.signedInAt ? index : found), 0);
      chains.splice(oldest, 1);
    }
    accessToken = tokens.access_token;
  };
  // Enough chains that a refresh finds one even when answers are slow (rate × latency in flight).
  await pool(Array.from({ length: SEED_CHAINS }), SOAK_USERS, signInOnce);

  const post = async (path: string, authorization: string, body: string) => {
    const response = await fetch(`${gh.url}${path}`, { method: 'POST', headers: { authorization, 'content-type': FORM }, body });
    const text = await response.text();
    return { status: response.status, text };
  };
  const streams: Stream[] = [];
  const stream = (name: string, rate: number, op: (self: Stream) => Promise<boolean | 'skip'>) => {
    const s: Stream = { name, rate, credit: 0, inFlight: 0, ok: 0, failed: 0, skipped: 0, window: [], all: [], failures: [], op: async () => false };
    s.op = () => op(s);
    streams.push(s);
  };
  const fail = (s: Stream, what: string) => {
    if (s.failures.length < 5) s.failures.push(what.slice(0, 200));
    return false;
  };
  stream('client_credentials', rates.cc, async (s) => {
    const { status, text } = await post('/token', gh.authorization, CC_BODY);
    return status === 200 || fail(s, `${status} ${text}`);
  });
  stream('refresh_token', rates.refresh, async (s) => {
    const chain = chains.shift();
    if (chain === undefined) return 'skip';
    const { status, text } = await post('/token', web, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chain.token }).toString());
    if (status !== 200) return fail(s, `${status} ${text}`);
    const body = JSON.parse(text) as { refresh_token: string; access_token: string };
    chains.push({ token: body.refresh_token, signedInAt: chain.signedInAt });
    accessToken = body.access_token;
    return true;
  });
  stream('introspection', rates.introspection, async (s) => {
    const { status, text } = await post('/token/introspection', web, new URLSearchParams({ token: accessToken }).toString());
    return (status === 200 && (JSON.parse(text) as { active?: boolean }).active === true) || fail(s, `${status} ${text}`);
  });
  stream('sign-in', rates.signin > 0 ? 1 / rates.signin : 0, async (s) => {
    try {
      await signInOnce();
      return true;
    } catch (error) {
      return fail(s, (error as Error).message);
    }
  });

  const fire = (s: Stream) => {
    if (s.inFlight >= MAX_IN_FLIGHT) {
      s.skipped += 1;
      return;
    }
    s.inFlight += 1;
    const t0 = performance.now();
    void s
      .op()
      .catch((error: Error) => fail(s, error.message))
      .then((ok) => {
        if (ok === 'skip') {
          s.skipped += 1;
          return;
        }
        const ms = performance.now() - t0;
        s.window.push(ms);
        s.all.push(ms);
        if (ok) s.ok += 1;
        else s.failed += 1;
      })
      .finally(() => {
        s.inFlight -= 1;
      });
  };

  // Sampling: Postgres and Redis through their own short-lived clients (the server's are not ours to count).
  const database = new pg.Client({ connectionString: services.DATABASE_URL, connectionTimeoutMillis: 5000 });
  await database.connect();
  onCleanup(() => database.end().catch(() => {}));
  const redis = new Redis(services.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  await redis.connect();
  onCleanup(() => redis.disconnect());
  const prefix = services.GATEHOUSE_REDIS_PREFIX!;

  const rowCounts = async (): Promise<Record<string, number>> => {
    const { rows: tables } = await database.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    if (tables.length === 0) return {};
    const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const { rows } = await database.query(`SELECT ${tables.map((t, i) => `(SELECT count(*) FROM ${quote(t.name)})::int AS c${i}`).join(', ')}`);
    return Object.fromEntries(tables.map((t, i) => [t.name, Number((rows[0] as Record<string, number>)[`c${i}`])]));
  };
  const prefixKeys = async () => {
    let count = 0;
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) count += keys.length;
    return count;
  };

  const samples: SoakSample[] = [];
  const t0 = performance.now();
  let lastCpu = await cpuSeconds(pid);
  let lastAt = t0;
  const takeSample = async () => {
    const at = performance.now();
    const cpu = await cpuSeconds(pid);
    const seconds = Math.max(1e-3, (at - lastAt) / 1000);
    const traffic = Object.fromEntries(
      streams.map((s) => {
        const figures = { rate: s.window.length / seconds, p99: s.window.length ? percentile(s.window, 99) : Number.NaN };
        s.window = [];
        return [s.name, figures];
      }),
    );
    const [rssValue, rows, redisKeys, redisDbsize] = await Promise.all([
      rssMiB(pid),
      rowCounts().catch(() => ({})),
      prefixKeys().catch(() => Number.NaN),
      redis.dbsize().catch(() => Number.NaN),
    ]);
    const sample: SoakSample = { minute: (at - t0) / 60_000, rssMiB: rssValue, serverCores: (cpu - lastCpu) / seconds, rows, redisKeys, redisDbsize, traffic };
    lastCpu = cpu;
    lastAt = at;
    samples.push(sample);
    const total = Object.values(rows).reduce((sum, n) => sum + n, 0);
    console.log(
      `  ${sample.minute.toFixed(1).padStart(5)} min: RSS ${rssValue.toFixed(0)} MiB, server ${sample.serverCores.toFixed(2)} cores, ${total} rows, ` +
        `${redisKeys} Redis keys (dbsize ${redisDbsize}); ${streams.map((s) => `${s.name} ${traffic[s.name]!.rate.toFixed(1)}/s`).join(', ')}`,
    );
  };

  await takeSample();
  const end = t0 + options.minutes * 60_000;
  let nextSampleAt = t0 + options.sampleSeconds * 1000;
  const TICK_MS = 100;
  let lastTick = performance.now();
  while (performance.now() < end) {
    // Credit by elapsed time, not by tick: a late timer (busy machine, a slow sample) still keeps the rate.
    const now = performance.now();
    const elapsed = (now - lastTick) / 1000;
    lastTick = now;
    for (const s of streams) {
      s.credit += s.rate * elapsed;
      while (s.credit >= 1) {
        s.credit -= 1;
        fire(s);
      }
    }
    if (performance.now() >= nextSampleAt) {
      nextSampleAt += options.sampleSeconds * 1000;
      await takeSample();
    }
    await sleep(TICK_MS);
  }
  // Stop the traffic, let what is in flight finish (bounded), and take the last sample.
  const drainDeadline = performance.now() + 15_000;
  while (streams.some((s) => s.inFlight > 0) && performance.now() < drainDeadline) await sleep(50);
  await takeSample();
  await stopProcess(gh.server.child);
  return { started, samples, streams, settings: settings.description };
}

type SoakResult = Awaited<ReturnType<typeof soak>>;

/** Growth over a stretch of samples, per minute. */
function slope(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const [x0, y0] = points[0]!;
  const [x1, y1] = points.at(-1)!;
  return x1 > x0 ? (y1 - y0) / (x1 - x0) : 0;
}

/**
 * A series levels off when its second half grows at most a quarter as fast as its first half, or
 * changes by at most 2 % (10 units for small series) over the second half.
 */
function trend(points: Array<[number, number]>): { first: number; second: number; levelled: boolean } {
  const usable = points.filter(([, y]) => Number.isFinite(y));
  const middle = usable.length ? usable[Math.floor((usable.length - 1) / 2)]![0] : 0;
  const firstHalf = usable.filter(([x]) => x <= middle);
  const secondHalf = usable.filter(([x]) => x >= middle);
  const first = slope(firstHalf);
  const second = slope(secondHalf);
  const midValue = secondHalf[0]?.[1] ?? 0;
  const change = (secondHalf.at(-1)?.[1] ?? 0) - midValue;
  const levelled = second <= 0.25 * Math.max(first, 0) || Math.abs(change) <= Math.max(10, 0.02 * Math.abs(midValue));
  return { first, second, levelled };
}

/** Tables that held no row at any sample (listed, not plotted). */
function emptyTables(result: SoakResult): string[] {
  const tables = [...new Set(result.samples.flatMap((s) => Object.keys(s.rows)))].sort();
  return tables.filter((table) => result.samples.every((s) => !s.rows[table]));
}

function seriesOf(result: SoakResult): Series[] {
  const { samples } = result;
  const empty = new Set(emptyTables(result));
  const tables = [...new Set(samples.flatMap((s) => Object.keys(s.rows)))].sort().filter((table) => !empty.has(table));
  return [
    { title: 'RSS (server)', unit: 'MiB', points: samples.map((s) => [s.minute, s.rssMiB]) },
    { title: `Redis keys (Gatehouse's prefix)`, unit: 'keys', points: samples.map((s) => [s.minute, s.redisKeys]) },
    { title: 'Redis dbsize (whole db)', unit: 'keys', points: samples.map((s) => [s.minute, s.redisDbsize]) },
    ...tables.map((table): Series => ({ title: `rows: ${table}`, unit: 'rows', points: samples.map((s) => [s.minute, s.rows[table] ?? Number.NaN]) })),
  ];
}

function plot(result: SoakResult, options: SoakOptions): string {
  return smallMultiples(seriesOf(result), {
    title: `Gatehouse soak (services mode, loopback): ${options.minutes} min of mixed traffic, ${result.started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    xUnit: 'min',
  });
}

function summarize(result: SoakResult, options: SoakOptions, rates: Rates): { text: string; markdown: string } {
  const fmt = (value: number, digits = 0) =>
    Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
  const series = seriesOf(result);
  const seriesHeader = ['series', 'start', 'middle', 'end', 'max', 'growth/min, 1st half', 'growth/min, 2nd half', 'levels off'];
  const seriesRows = series.map((s) => {
    const values = s.points.map(([, y]) => y).filter(Number.isFinite);
    const t = trend(s.points);
    const digits = s.unit === 'MiB' ? 1 : 0;
    return [
      `${s.title} (${s.unit})`,
      fmt(values[0] ?? Number.NaN, digits),
      fmt(values[Math.floor((values.length - 1) / 2)] ?? Number.NaN, digits),
      fmt(values.at(-1) ?? Number.NaN, digits),
      fmt(Math.max(...values), digits),
      fmt(t.first, 1),
      fmt(t.second, 1),
      t.levelled ? 'yes' : RETAINED_BY_DESIGN.has(s.title.replace('rows: ', '')) ? 'no: kept for the retention period (by design)' : 'NO',
    ];
  });
  const minutes = result.samples.at(-1)?.minute ?? options.minutes;
  const trafficHeader = ['stream', 'target rate', 'completed /s', 'ok', 'failed', 'skipped', 'p50 ms', 'p99 ms'];
  const trafficRows = result.streams.map((s) => [
    s.name,
    s.name === 'sign-in' ? `1 per ${rates.signin} s` : `${rates[s.name === 'client_credentials' ? 'cc' : s.name === 'refresh_token' ? 'refresh' : 'introspection']} /s`,
    fmt((s.ok + s.failed) / (minutes * 60), 1),
    fmt(s.ok),
    fmt(s.failed),
    fmt(s.skipped),
    fmt(percentile(s.all, 50)),
    fmt(percentile(s.all, 99)),
  ]);
  const failures = result.streams.flatMap((s) => s.failures.map((f) => `${s.name}: ${f}`));
  const cores = result.samples.slice(1).map((s) => s.serverCores);
  const meta = machineInfo();
  const grows = seriesRows.filter((row) => row[7] === 'NO').map((row) => row[0]);
  const lifetimes = Object.entries(COMPRESSED_LIFETIMES)
    .map(([name, value]) => `\`${name}=${value}\``)
    .join(', ');
  const markdown = `## Soak (bounded, mixed traffic)

<!-- Generated by \`npm run bench -- --soak ${options.minutes}\` (bench/lib/soak.ts); a normal \`npm run bench\` keeps this section. -->

Run on ${result.started.toISOString().slice(0, 16).replace('T', ' ')} UTC for ${fmt(minutes, 1)} min (commit ${gitCommit() ?? 'unknown'}, ${meta.nproc} CPUs, Node ${meta.node}):
Gatehouse in services mode (Postgres + Redis) on loopback, ${result.settings}; server pinned to CPU 0, load on CPU 1.
Open-loop traffic at a fixed rate (at most ${MAX_IN_FLIGHT} requests in flight per stream): client credentials, refresh-token rotation
(${MAX_CHAINS} chains at most; each sign-in adds one and abandons the one signed in longest ago), introspection of the latest access token,
and a full browser sign-in (a new browser each time: new session, code and grant) every ${rates.signin} s.
Lifetimes are compressed so the steady state of a week arrives within the run: ${lifetimes}.
Every ${options.sampleSeconds} s: the server's RSS, the row count of every table, the keys under Gatehouse's Redis
prefix and the Redis \`dbsize\` (the whole database, shared with other users of this Redis). Server CPU:
median ${fmt(cores.length ? percentile(cores, 50) : Number.NaN, 2)} cores.

![RSS, Redis keys and the row count of every table during the soak](performance-soak.svg)

${markdownTable([trafficHeader, ...trafficRows], ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])}

${markdownTable([seriesHeader, ...seriesRows], ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'])}

Tables without a row during the whole soak: ${emptyTables(result).join(', ') || 'none'}. "Skipped" counts
requests not sent: ${MAX_IN_FLIGHT} already in flight (the server fell behind), or every refresh chain in flight.
"Levels off": the second half of the run grows at most a quarter as fast as the first half, or
changes by at most 2 % (10 units). ${grows.length ? `Still growing at the end: ${grows.join(', ')}.` : 'Every series levels off.'}
${failures.length ? `\nFailures (first ones): ${failures.map((f) => `\`${f.replace(/`/g, "'")}\``).join('; ')}\n` : ''}`;
  const text = [
    `soak summary (${fmt(minutes, 1)} min):`,
    ...trafficRows.map((row) => `  ${row.join(' | ')}`),
    ...seriesRows.map((row) => `  ${row.join(' | ')}`),
    ...(failures.length ? ['failures:', ...failures.map((f) => `  ${f}`)] : []),
  ].join('\n');
  return { text, markdown };
}
