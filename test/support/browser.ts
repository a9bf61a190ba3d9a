/**
 * Opens an HTML report in a real browser — Debian's `chromium` through playwright-core — and
 * reports what a person would see: console errors, every request the page made, horizontal
 * overflow, the charts actually drawn (visible SVG marks), the summary cards and table rows.
 * Tests skip with a message when chromium is absent (CI installs it: .ci/run).
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env.DRIFTSCAN_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumSkip: string | false = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM} (apt-get install chromium, or set DRIFTSCAN_CHROMIUM): the HTML report is not checked in a browser`;

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}

export interface PageView {
  page: Page;
  consoleErrors: string[];
  /** Every URL the page asked for (the file itself included). */
  requests: string[];
  /** document / body scroll width beyond the viewport, in px (0: no horizontal overflow). */
  overflow: number;
  /** Per chart figure id: the visible SVG's marks (paths, rects, symbols drawn by Vega). */
  charts: Record<string, { visible: boolean; marks: number; width: number }>;
  /** Summary card label → value, as shown. */
  cards: Record<string, string>;
}

export async function openReport(browser: Browser, file: string, width: number, screenshot?: string): Promise<PageView> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  // Anything but the file itself is refused (and recorded above): the report must not need it.
  await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  // A string, run in the page: the project's TypeScript has no DOM types.
  const seen = await page.evaluate(`(() => {
    const doc = document.documentElement;
    const overflow = Math.max(doc.scrollWidth, document.body.scrollWidth) - window.innerWidth;
    const charts = {};
    for (const fig of document.querySelectorAll('figure')) {
      const svgs = Array.from(fig.querySelectorAll('svg')).filter((s) => s.getBoundingClientRect().width > 0);
      const svg = svgs[0];
      charts[fig.id] = {
        visible: svgs.length === 1,
        marks: svg ? svg.querySelectorAll('g[class*="mark-rect"] path, g[class*="mark-line"] path, g[class*="mark-symbol"] path').length : 0,
        width: svg ? svg.getBoundingClientRect().width : 0,
      };
    }
    const cards = {};
    for (const c of document.querySelectorAll('.card')) cards[c.querySelector('.label').textContent] = c.querySelector('.value').textContent;
    return { overflow, charts, cards };
  })()`) as Pick<PageView, 'overflow' | 'charts' | 'cards'>;
  return { page, consoleErrors, requests, ...seen };
}

/** The `title` (full machine id) of the first cell of each visible row of table `id`. */
export async function shownMachines(page: Page, id: string): Promise<string[]> {
  return page.evaluate(`Array.from(document.querySelectorAll('#${id} tbody tr')).filter((tr) => !tr.hidden).map((tr) => tr.cells[0].title)`) as Promise<string[]>;
}
