import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';

export interface Views {
  render(template: string, data: Record<string, unknown>): string;
  /** Static assets (CSS), read once at start. */
  asset(name: string): { body: Buffer; type: string } | undefined;
}

export const VIEWS_DIR = join(import.meta.dirname, '..', '..', 'views');

/** Server-rendered pages; every interpolation is HTML-escaped unless it uses the raw tag. */
export function createViews(options: { productName: string; cache: boolean; viewsDir?: string }): Views {
  const dir = options.viewsDir ?? VIEWS_DIR;
  const eta = new Eta({ views: dir, autoEscape: true, cache: options.cache, autoTrim: false });
  const assets = new Map<string, { body: Buffer; type: string }>([
    ['gatehouse.css', { body: readFileSync(join(dir, 'static', 'gatehouse.css')), type: 'text/css; charset=utf-8' }],
  ]);
  return {
    render: (template, data) => eta.render(template, { productName: options.productName, ...data }),
    asset: (name) => assets.get(name),
  };
}
