/**
 * Debian's Chromium driven by playwright-core, started the way this machine needs: headless, no
 * sandbox (root), and none of the background connections the closed network refuses. Without
 * Chromium a browser test skips, saying so loudly.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.GATEHOUSE_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** The reason browser tests are skipped here, or false when Chromium is installed. */
export const skipWithoutChromium: string | false = !existsSync(CHROMIUM) && `Chromium not found at ${CHROMIUM}: browser tests skipped (apt-get install chromium)`;

/** Prints the skip reason (once per file) where the suite's output shows it. */
export function announceSkip(): boolean {
  if (skipWithoutChromium) process.stdout.write(`\n!! SKIPPED: ${skipWithoutChromium}\n`);
  return skipWithoutChromium !== false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
