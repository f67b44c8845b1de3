/**
 * A node:test reporter that counts leaf tests and writes `{ passed, failed, skipped }` as JSON,
 * so test/run.ts can print one closing line for the whole run.
 */
export default async function* countReporter(source: AsyncIterable<{ type: string; data: Record<string, any> }>) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for await (const event of source) {
    const isLeaf = event.data?.details?.type !== 'suite';
    if (event.type === 'test:pass' && isLeaf) {
      if (event.data.skip || event.data.todo) counts.skipped += 1;
      else counts.passed += 1;
    }
    if (event.type === 'test:fail' && isLeaf) counts.failed += 1;
  }
  yield `${JSON.stringify(counts)}\n`;
}
