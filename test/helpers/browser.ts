/**
 * Headless Chromium for tests: Debian's /usr/bin/chromium driven by
 * playwright-core (no browser download), with every flag that keeps it off
 * the network. Screenshots and other artefacts go under test-artifacts/
 * (gitignored) for a person to look at after a run.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { REPO } from './corpus.ts';

export const CHROMIUM = process.env.WARDLINE_CHROMIUM ?? '/usr/bin/chromium';

export const OFFLINE_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-extensions', '--disable-default-apps', '--mute-audio',
  '--disable-dev-shm-usage',
];

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (own cookies); closed with the browser. */
  context(opts?: { ignoreHTTPSErrors?: boolean }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // playwright gives the browser a fresh temporary profile of its own (and removes it on close).
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: OFFLINE_FLAGS, timeout: 60_000 });
  return {
    browser,
    context: (opts) => browser.newContext({ viewport: { width: 1400, height: 1000 }, ...(opts ?? {}) }),
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

/** test-artifacts/<area>/, created on demand. */
export function artifactDir(area: string): string {
  const d = join(REPO, 'test-artifacts', area);
  mkdirSync(d, { recursive: true });
  return d;
}
