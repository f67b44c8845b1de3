/**
 * Prometheus metrics (prom-client), one registry per server instance so several instances can
 * live in one process (tests). Route labels are normalised to a fixed set: no label explosion
 * from interaction uids or garbage paths.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JobReport } from '../jobs/index.ts';

const KNOWN_ROUTES: Array<[RegExp, string]> = [
  [/^\/token$/, '/token'],
  [/^\/token\/introspection$/, '/token/introspection'],
  [/^\/token\/revocation$/, '/token/revocation'],
  [/^\/auth(\/[^/]+)?$/, '/auth'],
  [/^\/jwks$/, '/jwks'],
  [/^\/\.well-known\/openid-configuration$/, '/.well-known/openid-configuration'],
  [/^\/me$/, '/me'],
  [/^\/session\/end(\/.*)?$/, '/session/end'],
  [/^\/interaction\/[^/]+$/, '/interaction/:uid'],
  [/^\/interaction\/[^/]+\/(login|confirm|abort)$/, '/interaction/:uid/:action'],
  [/^\/(healthz|readyz|metrics)$/, '/probes'],
  [/^\/assets\//, '/assets'],
];

const scanRoutes = (path: string) => KNOWN_ROUTES.find(([pattern]) => pattern.test(path))?.[1] ?? 'other';

/** Paths that are their own label (/token, /jwks, …), looked up without scanning the patterns. */
const EXACT_ROUTES = new Map<string, string>(
  KNOWN_ROUTES.filter(([, label]) => scanRoutes(label) === label).map(([, label]) => [label, label]),
);

export function routeLabel(path: string): string {
  return EXACT_ROUTES.get(path) ?? scanRoutes(path);
}

/** Route names and OAuth error codes are short snake_case words; anything else is not a label value. */
const boundedLabel = (value: string) => (/^[a-z][a-z0-9_.]{0,47}$/.test(value) ? value : 'other');

export interface MetricsSources {
  /** Age in seconds of the key that signs, per algorithm. */
  signingKeyAges(): Record<string, number>;
  databasePool(): { used: number; free: number; pending: number } | undefined;
  redisReady(): boolean | undefined;
}

export function createMetrics(sources: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by route and method.',
    labelNames: ['route', 'method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Successful token responses by grant type.',
    labelNames: ['grant_type'],
    registers: [registry],
  });
  const oauthErrors = new Counter({
    name: 'gatehouse_oauth_errors_total',
    help: 'OAuth/OIDC error answers by endpoint and error code; each one is logged with its reason (event oauth.error).',
    labelNames: ['endpoint', 'error'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'gatehouse_security_events_total',
    help: 'Audit events by type and outcome (sign-ins, rate-limit rejections, refresh reuse, ...).',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'gatehouse_signing_key_age_seconds',
    help: 'Age of the signing key in use, per algorithm.',
    labelNames: ['alg'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [alg, age] of Object.entries(sources.signingKeyAges())) this.set({ alg }, age);
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'Database pool connections by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = sources.databasePool();
      if (!pool) return;
      this.set({ state: 'used' }, pool.used);
      this.set({ state: 'free' }, pool.free);
      this.set({ state: 'pending' }, pool.pending);
    },
  });
  new Gauge({
    name: 'gatehouse_redis_up',
    help: '1 when the Redis connection is ready (services mode).',
    registers: [registry],
    collect() {
      const ready = sources.redisReady();
      if (ready !== undefined) this.set(ready ? 1 : 0);
    },
  });

  const passwordOperations = new Counter({
    name: 'gatehouse_password_operations_total',
    help: 'argon2 (or imported Django) password hashes and verifications started, the dummy verifications for unknown accounts included: the sign-in CPU load.',
    labelNames: ['operation'],
    registers: [registry],
  });
  const passwordOperationCounters = { hash: passwordOperations.labels({ operation: 'hash' }), verify: passwordOperations.labels({ operation: 'verify' }) };

  const jobRuns = new Counter({
    name: 'gatehouse_job_runs_total',
    help: 'Runs of each job on this instance by outcome: success, failure, or skipped (another run held it, or it was not due).',
    labelNames: ['job', 'outcome'],
    registers: [registry],
  });
  const jobRows = new Counter({
    name: 'gatehouse_job_rows_affected_total',
    help: 'Rows (tokens, events, clients, keys) each job deleted or created on this instance.',
    labelNames: ['job'],
    registers: [registry],
  });
  const jobLastRun = new Gauge({
    name: 'gatehouse_job_last_run_timestamp_seconds',
    help: 'When this instance last ran each job (start, Unix seconds), whatever the outcome.',
    labelNames: ['job'],
    registers: [registry],
  });
  const jobLastSuccess = new Gauge({
    name: 'gatehouse_job_last_success_timestamp_seconds',
    help: 'When this instance last ran each job successfully (start, Unix seconds): alert when it grows old.',
    labelNames: ['job'],
    registers: [registry],
  });
  const jobDuration = new Gauge({
    name: 'gatehouse_job_last_duration_seconds',
    help: 'How long the last run of each job on this instance took.',
    labelNames: ['job'],
    registers: [registry],
  });

  // Labelled children, kept: prom-client hashes the label set on every inc()/observe() otherwise.
  // Bounded: routes are a fixed set, methods and statuses are few (unknown methods never get here
  // past Node's HTTP parser).
  const perRoute = new Map<string, { inc(): void }>();
  const perRouteDuration = new Map<string, { observe(value: number): void }>();
  return {
    registry,
    observeRequest(path: string, method: string, status: number, seconds: number) {
      const route = routeLabel(path);
      const key = `${route} ${method}`;
      let counter = perRoute.get(`${key} ${status}`);
      if (!counter) {
        counter = requests.labels({ route, method, status: String(status) });
        perRoute.set(`${key} ${status}`, counter);
      }
      counter.inc();
      let histogram = perRouteDuration.get(key);
      if (!histogram) {
        histogram = duration.labels({ route, method });
        perRouteDuration.set(key, histogram);
      }
      histogram.observe(seconds);
    },
    tokenIssued: (grantType: string) => tokens.inc({ grant_type: grantType || 'unknown' }),
    securityEvent: (type: string, outcome: string) => events.inc({ type, outcome }),
    passwordOperation: (operation: 'hash' | 'verify') => passwordOperationCounters[operation].inc(),
    /** A job run finished (src/jobs/ reports every run, skipped ones included). */
    jobFinished(report: JobReport) {
      const job = report.job;
      jobRuns.inc({ job, outcome: report.outcome });
      if (report.outcome === 'skipped') return;
      const started = report.startedAt.getTime() / 1000;
      jobLastRun.set({ job }, started);
      jobDuration.set({ job }, report.durationMs / 1000);
      if (report.outcome === 'success') {
        jobLastSuccess.set({ job }, started);
        jobRows.inc({ job }, report.rows);
      }
    },
    /** Labels are bounded: oidc-provider's route names and error codes (anything else counts as `other`). */
    oauthError: (endpoint: string, error: string) => oauthErrors.inc({ endpoint: boundedLabel(endpoint), error: boundedLabel(error) }),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
