import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { renderReport } from '../src/report/index.js';
import type { Report } from '../src/evaluate/result.js';
import { mixedReport, report, result } from './support/report-fixtures.js';

const xmllintMissing = spawnSync('xmllint', ['--version']).error ? 'xmllint not installed (Debian package libxml2-utils)' : false;

/** Writes the JUnit XML to a temp file and gives an XPath evaluator backed by xmllint (independent XML parser). */
function withXml<T>(r: Report, fn: (xpath: (expr: string) => string, xml: string) => T, cwd = '/work/repo'): T {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-junit-'));
  try {
    const xml = renderReport(r, 'junit', { cwd });
    const file = join(dir, 'junit.xml');
    writeFileSync(file, xml);
    const wf = spawnSync('xmllint', ['--noout', file], { encoding: 'utf8' });
    assert.equal(wf.status, 0, `not well-formed XML: ${wf.stderr}`);
    const xpath = (expr: string) => {
      const q = spawnSync('xmllint', ['--xpath', expr, file], { encoding: 'utf8' });
      assert.equal(q.status, 0, `${expr}: ${q.stderr}`);
      return q.stdout.replace(/\n$/, '');
    };
    return fn(xpath, xml);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('JUnit: well-formed, one testsuite per baseline, counts match the testcases', { skip: xmllintMissing }, () => {
  withXml(mixedReport(), (x) => {
    assert.equal(x('string(/testsuites/@tests)'), '6');
    assert.equal(x('string(/testsuites/@failures)'), '2');
    assert.equal(x('string(/testsuites/@errors)'), '1');
    assert.equal(x('string(/testsuites/@skipped)'), '2');
    assert.equal(x('count(/testsuites/testsuite)'), '2');
    assert.equal(x('string(/testsuites/testsuite[1]/@name)'), 'rdp-access-denied');
    for (const i of [1, 2]) {
      const s = `/testsuites/testsuite[${i}]`;
      assert.equal(x(`string(${s}/@tests)`), x(`count(${s}/testcase)`));
      assert.equal(x(`string(${s}/@failures)`), x(`count(${s}/testcase/failure)`));
      assert.equal(x(`string(${s}/@errors)`), x(`count(${s}/testcase/error)`));
      assert.equal(x(`string(${s}/@skipped)`), x(`count(${s}/testcase/skipped)`));
      assert.equal(x(`count(${s}/testcase[@classname != ${s}/@name])`), '0');
    }
    assert.equal(x('string(/testsuites/testsuite[1]/properties/property[@name="baseline.version"]/@value)'), '1.0.0');
    assert.equal(x('string(/testsuites/testsuite[1]/@file)'), 'policies/rdp-access-denied.yaml');
  });
});

test('JUnit: failure, error and skipped elements carry expected/found, the error and the waiver reason', { skip: xmllintMissing }, () => {
  withXml(mixedReport(), (x) => {
    const tc = (id: string) => `//testcase[starts-with(@name, "${id}: ")]`;
    const k = tc('kerberos-max-token-size');
    assert.equal(x(`string(${k}/@name)`), 'kerberos-max-token-size: Title of kerberos-max-token-size');
    assert.equal(x(`string(${k}/@file)`), 'policies/rdp-access-denied.yaml');
    assert.equal(x(`string(${k}/@line)`), '58');
    assert.equal(x(`string(${k}/failure/@message)`), 'expected DWORD 65535, found DWORD 12000 (0x00002ee0)');
    assert.equal(x(`string(${k}/failure/@type)`), 'critical');
    assert.match(x(`string(${k}/failure)`), /^expected: DWORD 65535\nfound: DWORD 12000 \(0x00002ee0\)\ntarget: HKLM\\SYSTEM\\.*\nrule: policies\/rdp-access-denied\.yaml:58:7\nremediation: Set it with `reg add`\.$/);
    assert.equal(x(`count(${tc('rdp-ignore-user-config-errors')}/*[name() != "properties"])`), '0', 'a pass has no verdict element');
    assert.equal(x(`string(${tc('termservice-account')}/error/@message)`), 'could not evaluate: SYSTEM @ byte 0x1a2b: cell size 0 in hbin');
    assert.equal(x(`string(${tc('rdp-cert-store-readable')}/skipped/@message)`), 'a .reg export has no ACLs; give a hive or snapshot');
    assert.match(x(`string(${tc('nla-required')}/skipped/@message)`), /^waived until 2026-12-31 by team-vdi@example\.com: legacy thin clients <until> "Q3" \]\]> a <b>/);
    assert.equal(x(`string(${tc('nla-required')}/properties/property[@name="severity"]/@value)`), 'medium');
  });
});

test('JUnit: hostile text survives as data (quotes, <>&, ]]>, newlines, pipes), controls become visible, non-BMP kept', { skip: xmllintMissing }, () => {
  withXml(mixedReport(), (x, xml) => {
    const name = x('string(//testcase[@classname="rdp-hardening"][1]/@name)');
    assert.equal(name, 'nla-required: a <b> & "c" \'d\' ]]> e|f `g` \\h\nline2\r\n\tx \\x00\\x07\\x1b[31mred\\x1b[0m \\x85 \u{1f512} lone\\ud800 end');
    assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/, 'no raw C0 controls in the XML');
    assert.doesNotMatch(xml, /]]>/, '`]]>` never appears literally');
  });
});

test('JUnit: paths outside the working directory are absolute; empty reports are valid', { skip: xmllintMissing }, () => {
  withXml(report([result({ ruleId: 'a', status: 'fail', location: { file: '/elsewhere/p.yaml', line: 2, col: 1 } })]), (x) => {
    assert.equal(x('string(//testcase/@file)'), '/elsewhere/p.yaml');
  });
  withXml(report([]), (x) => {
    assert.equal(x('string(/testsuites/@tests)'), '0');
    assert.equal(x('count(/testsuites/testsuite)'), '0');
  });
});

test('property: JUnit is well-formed for arbitrary UTF-16 text and XML-safe text round-trips exactly', { skip: xmllintMissing }, () => {
  const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 });
  const safeText = fc.string({ unit: 'grapheme', maxLength: 30 });
  const statuses = fc.constantFrom('pass' as const, 'fail' as const, 'error' as const, 'waived' as const, 'skipped' as const);
  fc.assert(
    fc.property(anyText, anyText, safeText, safeText, statuses, (id, wild, title, actual, status) => {
      const r = report([
        result({ ruleId: id, title: wild, actual: wild, message: wild, status: 'fail' }),
        result({ ruleId: 'safe', title, actual, message: `found ${actual}`, status, waiver: status === 'waived' ? { reason: title, owner: 'o', expires: '2030-01-01' } : undefined }),
      ]);
      withXml(r, (x) => {
        assert.equal(x('count(//testcase)'), '2');
        assert.equal(x('string(//testcase[2]/@name)'), `safe: ${title}`);
        const verdict = { fail: 'failure', error: 'error', waived: 'skipped', skipped: 'skipped', pass: '' }[status];
        if (verdict && status !== 'waived') assert.equal(x(`string(//testcase[2]/${verdict}/@message)`), `found ${actual}`);
        assert.equal(x('string(/testsuites/@failures)'), status === 'fail' ? '2' : '1');
      });
    }),
    { numRuns: 25 },
  );
});
