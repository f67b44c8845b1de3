/**
 * A node:test reporter that counts leaf tests and writes `{ passed, failed, skipped, files }` as
 * JSON, so test/run.ts can print one closing line for the whole run and the files that cost the
 * most time (the CI budget is 20 minutes; this is where to look when it grows).
 */
export default async function* countReporter(source: AsyncIterable<{ type: string; data: Record<string, any> }>) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const secondsByFile = new Map<string, number>();
  for await (const event of source) {
    const isLeaf = event.data?.details?.type !== 'suite';
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && typeof event.data.file === 'string') {
      const seconds = (event.data.details?.duration_ms ?? 0) / 1000;
      secondsByFile.set(event.data.file, (secondsByFile.get(event.data.file) ?? 0) + seconds);
    }
    if (event.type === 'test:pass' && isLeaf) {
      if (event.data.skip || event.data.todo) counts.skipped += 1;
      else counts.passed += 1;
    }
    if (event.type === 'test:fail' && isLeaf) counts.failed += 1;
  }
  const files = Object.fromEntries([...secondsByFile].sort((a, b) => b[1] - a[1]).map(([file, seconds]) => [file, Math.round(seconds)]));
  yield `${JSON.stringify({ ...counts, files })}\n`;
}
