/**
 * A migrated embedded (PGlite) database, dumped once and loaded by every in-memory test server:
 * the server's own first-start dump (src/storage/embedded-template.ts, cached under
 * node_modules/.cache/gatehouse), so the suite's test processes build it once and each server
 * still gets its own database, identical to a freshly migrated one.
 */
import { migratedTemplate } from '../../src/storage/embedded-template.ts';

let template: Promise<Blob> | undefined;

/** The dump of a migrated embedded database (built on first use, then read from the cache). */
export function embeddedTemplate(): Promise<Blob> {
  template ??= migratedTemplate();
  return template;
}
