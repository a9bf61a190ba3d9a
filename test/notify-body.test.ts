/**
 * The tracking item body (src/notify/tracking-body.ts, inert-text.ts), checked by properties over
 * arbitrary machine and Azure text: what GitHub renders can mention nobody, reference or close no
 * issue, hold no HTML, and the machine table keeps one row per line and six cells per row; the
 * body stays within the service limit and says how many machines it left out. No Markdown parser is
 * a dependency, so the oracle is a strict reading of GFM's rules: a cell ends at an unescaped `|`,
 * a row at a line break, a backslash escape disappears on rendering (so it cannot be what makes
 * `@name` inert).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FailedDeployment } from '../src/rollout/remediation/failures.js';
import { inertCell } from '../src/notify/inert-text.js';
import { GITHUB_BODY_LIMIT, markedTaskName, trackingBody, trackingMarker } from '../src/notify/tracking-body.js';
import { failedTask, machineId } from './support/notify-fixtures.js';

const hostileChar = fc.constantFrom('@', '#', '1', '2', 'a', 'G', 'H', '-', '|', '\\', '<', '>', '/', ':', '.', 'w', '\n', '\r', '\t', ' ', '`', '*', '_', '[', ']', '(', ')', '&', ';', '!', 'c', 'l', 'o', 's', 'e', 'd', 'f', 'i', 'x', 'r', 'v', '\u0000', '\u001b', '\ud800', 'é', '\u200b');
const hostileText = fc.oneof(fc.string({ unit: hostileChar, maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom('@octocat', 'fixes #12', 'Closes contoso/fleet#3', 'resolved GH-44', 'see https://github.com/o/r/issues/1', 'www.example.com', '<img src=x onerror=alert(1)>', '&#64;team', 'a | b', 'line\nbreak'));

/** The text GitHub acts on: the cell after rendering (backslash escapes gone, `<br>` a line break). */
function rendered(cell: string): string {
  return cell.replace(/<br>/g, '\n').replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** The cells of one GFM table row: split at `|` not escaped by an odd run of backslashes. */
function cells(row: string): string[] {
  assert.ok(row.startsWith('| ') && row.endsWith(' |'), `row framing: ${JSON.stringify(row)}`);
  const inner = row.slice(1, -1);
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '\\' && i + 1 < inner.length) {
      cur += c + inner[i + 1];
      i++;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function assertInert(cell: string): void {
  assert.ok(!/[\r\n]/.test(cell), 'no raw line break');
  // HTML: only the line breaks the escaper itself writes.
  assert.ok(!/(?<!\\)<(?!br>)/.test(cell.replace(/\\\\/g, '')), `raw HTML in ${JSON.stringify(cell)}`);
  assert.ok(!/(?<!\\)&/.test(cell.replace(/\\\\/g, '')), `raw entity in ${JSON.stringify(cell)}`);
  const text = rendered(cell);
  assert.ok(!/@[A-Za-z0-9_-]/.test(text), `a mention survives in ${JSON.stringify(text)}`);
  assert.ok(!/#\d/.test(text), `an issue reference survives in ${JSON.stringify(text)}`);
  assert.ok(!/\bGH-\d/i.test(text), `a GH- reference survives in ${JSON.stringify(text)}`);
  assert.ok(!/\b(close[sd]?|fix(e[sd])?|resolve[sd]?)\b/i.test(text), `a closing keyword survives in ${JSON.stringify(text)}`);
  assert.ok(!/:\/\/|\bwww\./i.test(text), `an autolink survives in ${JSON.stringify(text)}`);
}

test('any text in a cell renders inert: no mention, issue reference, closing keyword, autolink, HTML or line break', () => {
  fc.assert(fc.property(hostileText, (s) => {
    const cell = inertCell(s);
    assertInert(cell);
    assert.equal(cells(`| ${cell} |`).length, 1, 'one cell');
  }), { numRuns: 2000 });
});

test('inert text still reads the same: only zero-width spaces and escapes are added', () => {
  const cell = inertCell('@octocat: fixes #12 <b>x</b> | y\nz');
  assert.equal(rendered(cell).replace(/\u200b/g, '').replace(/\n/g, '⏎'), '@octocat: fixes #12 <b>x</b> | y⏎z');
  assert.equal(inertCell('https://acct.blob.core.windows.net/c/p.zip?sv=2022-11-02&sig=abc123%3D'), 'https:/\u200b/acct.blob.core.windows.net/c/p.zip?sv=2022-11-02\\&sig=REDACTED');
  assert.equal(inertCell('x'.repeat(5000)).length, 1000);
});

test('for arbitrary machines, the table keeps six cells per row, every row is a machine, the body fits the limit and counts what it left out', () => {
  const deployment: fc.Arbitrary<FailedDeployment> = fc.record({
    resourceId: fc.oneof(hostileText, hostileText.map((n) => machineId(n))),
    status: hostileText,
    error: fc.option(hostileText, { nil: undefined }),
    ruleId: fc.option(hostileText, { nil: undefined }),
    reason: fc.option(hostileText, { nil: undefined }),
  }, { requiredKeys: ['resourceId', 'status'] });
  fc.assert(fc.property(fc.array(deployment, { maxLength: 40 }), hostileText, fc.integer({ min: 2500, max: 8000 }), (deployments, taskName, limit) => {
    const body = trackingBody(failedTask(taskName, 0, { deployments, state: taskName }), { limit, kind: 'new' });
    assert.ok(body.length <= limit, `${body.length} > ${limit}`);
    assert.equal(markedTaskName(body), taskName.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
    const lines = body.split('\n');
    const facts = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| Machine |') && lines.indexOf(l) < lines.findIndex((x) => x.startsWith('| Machine |') || x.startsWith('The task ended')));
    for (const f of facts) assert.equal(cells(f).length, 2, f);
    if (deployments.length === 0) return;
    const head = lines.indexOf('| Machine | Resource group | Status | Rule | Reason | Error |');
    assert.ok(head > 0);
    assert.equal(lines[head + 1], '|---|---|---|---|---|---|');
    const rows: string[] = [];
    for (let i = head + 2; i < lines.length && lines[i] !== ''; i++) rows.push(lines[i]!);
    for (const r of rows) {
      const c = cells(r);
      assert.equal(c.length, 6, r);
      c.forEach((cell) => assertInert(cell.trim()));
    }
    const omitted = deployments.length - rows.length;
    if (omitted > 0) assert.ok(body.includes(`_${omitted} of ${deployments.length} machines are not listed: the body is limited to ${limit.toLocaleString('en-US')} characters._`), body.slice(-300));
    else assert.ok(!body.includes('are not listed'));
  }), { numRuns: 400 });
});

test("a task with 5,000 failed machines and long errors: the body stays within GitHub's 65,536 characters and says how many machines are not listed", () => {
  const task = failedTask('rem-big-0', 5000, {});
  const long = { ...task, deployments: task.deployments.map((d) => ({ ...d, error: `${d.error} ${'detail '.repeat(40)}` })) };
  const body = trackingBody(long, { limit: GITHUB_BODY_LIMIT, kind: 'new' });
  assert.ok(body.length <= GITHUB_BODY_LIMIT);
  assert.ok(body.length > GITHUB_BODY_LIMIT - 600, 'the space is used, not wasted');
  const rows = body.split('\n').filter((l) => /^\| vm-\d{3}/.test(l)).length;
  assert.match(body, new RegExp(`_${5000 - rows} of 5000 machines are not listed: the body is limited to 65,536 characters\\._`));
  // Sorted by machine id: the listed ones are the first.
  assert.match(body, /\| vm-000 \|/);
});

test('the marker round-trips any task name and cannot be ended early by it', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('-', '>', '<', '!', ' ', 'a', '%', '\n') }), (name) => {
    const marker = trackingMarker(name);
    assert.equal(marker.indexOf('-->'), marker.length - 3);
    assert.equal(markedTaskName(`text\n${marker}\nmore`), name);
  }));
});
