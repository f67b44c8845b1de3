import { join } from 'node:path';
import { Eta } from 'eta';

/** Plain-text mail bodies from views/mail/, beside the pages they belong to. */
export function createMailTemplates(options: { productName: string; viewsDir: string }) {
  const eta = new Eta({ views: join(options.viewsDir, 'mail'), autoEscape: false, cache: true });
  return (template: string, data: Record<string, unknown>) => eta.render(template, { productName: options.productName, ...data });
}
