/**
 * A session as a person reads it on /account: "Chrome on Linux" rather than a User-Agent string,
 * and "2 hours ago" in the page's language (Intl.RelativeTimeFormat) with the exact time kept for
 * a tooltip and a machine-readable <time datetime>. No place: Gatehouse has no geolocation source
 * (docs/architecture.md), and an IP address is shown as it is.
 */
import Bowser from 'bowser';

/** Browser and operating system, when the User-Agent names them. */
export function deviceOf(userAgent: string | undefined): { browser: string; os: string } | undefined {
  if (!userAgent) return undefined;
  const parsed = Bowser.parse(userAgent);
  const browser = parsed.browser.name;
  const os = parsed.os.name;
  return browser && os ? { browser, os } : undefined;
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "2 hours ago", "hace 2 horas", "2小时前"; "now" within a minute. */
export function relativeTime(at: Date, now: Date, locale: string): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (Math.abs(seconds) < 60) return format.format(0, 'second');
  const [unit, size] = UNITS.find(([, length]) => Math.abs(seconds) >= length) ?? ['second', 1];
  return format.format(Math.trunc(seconds / size), unit);
}

/** A moment for the page: relative text, the exact time (UTC, in the page's language) and ISO 8601. */
export function moment(at: Date, now: Date, locale: string): { relative: string; exact: string; iso: string } {
  const exact = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
    timeZoneName: 'short',
  }).format(at);
  return { relative: relativeTime(at, now, locale), exact, iso: at.toISOString() };
}
