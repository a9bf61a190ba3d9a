/**
 * The HTML fleet report in a real browser (Debian's chromium through playwright-core): what a
 * person sees at 1280 px and on a phone (390 px) — the four charts drawn, the numbers the store
 * holds (computed here from the store's generating rule, not by the report's queries), hostile
 * text shown as text, sorting and filtering working, no console errors, no network request, no
 * horizontal scrolling of the page. Skipped, with the reason printed, when chromium is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from './support/cli.js';
import { chromiumSkip, launch, openReport, shownMachines } from './support/browser.js';
import { complianceOf, findingKeys, HOSTILE_REASON, WEEKS, writeReportStore } from './support/report-store.js';

test('report --format html: charts drawn, numbers match the store, readable at 1280 px and 390 px, sortable and filterable, offline and without console errors', { skip: chromiumSkip, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-report-html-'));
  try {
    const history = join(dir, 'history.duckdb');
    await writeReportStore(history);
    const file = join(dir, 'report.html');
    const r = runCli(['report', '--history', history, '--format', 'html', '-o', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');

    const last = findingKeys(WEEKS - 1);
    const prev = findingKeys(WEEKS - 2);
    const newly = [...last].filter((k) => !prev.has(k));
    const fixed = [...prev].filter((k) => !last.has(k));
    const still = [...last].filter((k) => prev.has(k));
    assert.ok(newly.length > 0 && fixed.length > 0 && still.length > 0, 'the last two weeks differ both ways');
    const c = complianceOf(WEEKS - 1);
    const percent = ((c.compliant / (c.compliant + c.nonCompliant)) * 100).toFixed(1);

    const shots = process.env.DRIFTSCAN_SCREENSHOTS ?? join(dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    const browser = await launch();
    try {
      for (const width of [1280, 390]) {
        const shot = join(shots, `fleet-report-${width}.png`);
        const view = await openReport(browser, file, width, shot);
        t.diagnostic(`screenshot at ${width} px: ${shot} (${statSync(shot).size} bytes)`);
        assert.ok(statSync(shot).size > 10_000, 'a screenshot with content');
        assert.deepEqual(view.consoleErrors, [], `${width} px: console`);
        assert.deepEqual(view.requests, [pathToFileURL(file).href], `${width} px: the page asked for nothing but itself`);
        assert.ok(view.overflow <= 0, `${width} px: the page scrolls sideways by ${view.overflow} px`);
        for (const id of ['chart-compliance', 'chart-rules', 'chart-subscriptions', 'chart-changes']) {
          const chart = view.charts[id];
          assert.ok(chart?.visible, `${width} px: ${id} shown once`);
          assert.ok(chart.marks >= 4, `${width} px: ${id} has marks (${chart.marks})`);
          assert.ok(chart.width <= width && chart.width >= Math.min(300, width - 60), `${width} px: ${id} fits and is not a thumbnail (${chart.width} px)`);
        }
        assert.deepEqual(view.cards, {
          Compliant: `${percent}%${view.cards.Compliant!.slice(`${percent}%`.length)}`,
          'Machine × baseline pairs': String(c.compliant + c.nonCompliant),
          'Non-compliant': String(c.nonCompliant),
          'Newly drifted': String(newly.length),
          Fixed: String(fixed.length),
          'Still drifting': String(still.length),
        });
        const page = view.page;
        // Each scan of the window is a point of the compliance line (8 scans: 8 symbols per series).
        const points = await page.evaluate(`Array.from(document.querySelectorAll('#chart-compliance svg')).filter((s) => s.getBoundingClientRect().width > 0)[0].querySelectorAll('g[class*="mark-symbol"] path').length`) as number;
        assert.ok(points >= 2 && points % 2 === 0, `compliance points: ${points}`);
        assert.deepEqual((await shownMachines(page, 'list-newly-drifted')).sort(), newly.map((k) => k.split('|')[0]!).sort());
        // Hostile text is text: shown literally, never markup (no <img> in the page, no alert).
        assert.equal(await page.evaluate(`document.querySelectorAll('img').length`), 0);
        assert.ok((await page.evaluate('document.body.innerText') as string).includes(HOSTILE_REASON.replace(/\s+/g, ' ').trim().slice(0, 30)), 'the hostile reason is shown as text');

        // Sorting: Age (days) of the still-drifting list, ascending then descending.
        const ages = async () => page.evaluate(`Array.from(document.querySelectorAll('#list-still-drifting tbody tr')).map((tr) => Number(tr.cells[8].textContent))`) as Promise<number[]>;
        await page.click('#list-still-drifting th:nth-child(9) button');
        const up = await ages();
        assert.deepEqual(up, [...up].sort((x, y) => x - y));
        await page.click('#list-still-drifting th:nth-child(9) button');
        const down = await ages();
        assert.deepEqual(down, [...up].sort((x, y) => y - x));
        assert.ok(new Set(up).size > 1, 'ages differ, so the order is a real check');
        // Filtering: every word must appear in the row.
        const target = newly[0]!.split('|')[0]!;
        const name = target.slice(target.lastIndexOf('/') + 1);
        await page.fill('input[data-filter="list-newly-drifted"]', `${name} ${newly[0]!.split('|')[2]}`);
        const visible = await shownMachines(page, 'list-newly-drifted');
        assert.ok(visible.includes(target) && visible.every((id) => id.slice(id.lastIndexOf('/') + 1).includes(name)), `filtered to ${name}: ${visible.join(', ')}`);
        assert.ok(visible.length < newly.length, 'the filter hid rows');
        assert.match(await page.textContent('#list-newly-drifted-count') ?? '', new RegExp(`^${visible.length} of ${newly.length} rows match$`));
        await page.close();
      }
    } finally {
      await browser.close();
    }
  } finally {
    if (!process.env.DRIFTSCAN_SCREENSHOTS) rmSync(dir, { recursive: true, force: true });
  }
});
