import Router from '@koa/router';

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

/** `/healthz`: the process answers. `/readyz`: every store answers within its deadline. */
export function createOpsRouter(deps: { probes: Probe[] }): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(deps.probes.map(runProbe));
    const ready = results.every((result) => result.ok);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : 'unavailable',
      checks: Object.fromEntries(results.map((result) => [result.name, result.ok ? 'ok' : 'unreachable'])),
    };
  });
  return router;
}
