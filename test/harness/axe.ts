/** Accessibility checks of real pages: axe-core run inside a Playwright page. */
import assert from 'node:assert/strict';
import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** axe-core in the page (evaluated over CDP, so the strict CSP stays on); fails on serious/critical. */
export async function assertAccessible(page: Page, label: string) {
  await page.evaluate(axe.source);
  const results = (await page.evaluate(() => (globalThis as unknown as { axe: typeof axe; document: unknown }).axe.run((globalThis as unknown as { document: axe.ElementContext }).document, { resultTypes: ['violations'] }))) as axe.AxeResults;
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `${label}: serious or critical accessibility violations`,
  );
}
