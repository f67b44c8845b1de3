import { timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { InvalidToken } from '../errors.ts';
import { bearerToken } from '../http/request-facts.ts';
import type { Metrics } from './metrics.ts';

export interface Probe {
  name: string;
  check(): Promise<void>;
}

const PROBE_DEADLINE_MS = 2000;

async function runProbe(probe: Probe): Promise<{ name: string; ok: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), PROBE_DEADLINE_MS);
  });
  try {
    await Promise.race([probe.check(), deadline]);
    return { name: probe.name, ok: true };
  } catch {
    return { name: probe.name, ok: false };
  } finally {
    clearTimeout(timer);
  }
}

function bearerMatches(header: string, token: string): boolean {
  const presented = Buffer.from(bearerToken(header) ?? '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** Prometheus exposition, behind a bearer token when one is configured (a wrong one: a 401 problem, errors.ts). */
export function metricsRouter(metrics: Metrics, token: string | undefined): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    if (token && !bearerMatches(ctx.get('authorization'), token)) {
      throw new InvalidToken();
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.contentType;
    ctx.body = await metrics.render();
  });
  return router;
}

/**
 * `/healthz`: the process answers. `/readyz`: every store answers within its deadline, and the
 * process is not shutting down (ops/drain.ts). `/metrics` if enabled.
 */
export function createOpsRouter(deps: {
  probes: Probe[];
  metrics?: { metrics: Metrics; token: string | undefined } | undefined;
  /** True from the shutdown signal on: readiness fails at once so the load balancer moves away. */
  isDraining?: (() => boolean) | undefined;
}): Router {
  const router = new Router();
  if (deps.metrics) {
    const metrics = metricsRouter(deps.metrics.metrics, deps.metrics.token);
    router.use(metrics.routes());
  }
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (deps.isDraining?.()) {
      ctx.status = 503;
      ctx.body = { status: 'draining', checks: {} };
      return;
    }
    const results = await Promise.all(deps.probes.map(runProbe));
    const ready = results.every((result) => result.ok);
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : 'unavailable',
      checks: Object.fromEntries(results.map((result) => [result.name, result.ok ? 'ok' : 'unreachable'])),
    };
  });
  return router;
}
