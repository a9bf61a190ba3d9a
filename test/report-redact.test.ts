/**
 * Secrets found in machine data never reach a report: a .reg whose values hold a SAS URL, a bearer
 * JWT and a storage connection string is checked in every format, to a file (`--output`, which
 * bypasses the redacting console) and to stdout, and the secret parts must be absent while the
 * report keeps its structure and says how many values were redacted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { renderReport, REPORT_FORMATS } from '../src/report/index.js';
import { redactReport } from '../src/report/redact.js';
import { redactSecrets } from '../src/core/redact.js';
import { runCli } from './support/cli.js';
import { mixedReport, report, result } from './support/report-fixtures.js';

const SIG = 'Zm9vYmFyU0VDUkVUc2lnbmF0dXJlMTIzNDU2Nzg5MA';
const SAS = `https://acct.blob.core.windows.net/gc/x.zip?sv=2022-11-02&ss=b&srt=o&sp=r&se=2027-01-01T00:00:00Z&sig=${SIG}%3D%3D`;
const JWT_PAYLOAD = 'eyJzdWIiOiJhZ2VudCJ9';
const JWT_SIG = 'c2lnbmF0dXJlU0VDUkVU';
const BEARER = `Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${JWT_PAYLOAD}.${JWT_SIG}`;
const ACCOUNT_KEY = 'QWNjb3VudEtleVNlY3JldDEyMzQ1Njc4OTA';
const CONN = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${ACCOUNT_KEY}==;EndpointSuffix=core.windows.net`;
const SECRETS = [SIG, JWT_PAYLOAD, JWT_SIG, ACCOUNT_KEY];

const BASELINE = `apiVersion: driftscan/v1
kind: Baseline
metadata:
  name: agent-secrets
  version: 1.0.0
  title: Agent settings
spec:
  assignment:
    type: Audit
  rules:
${[['upload-url', 'UploadUrl', 'https://approved.example/container'], ['auth-header', 'AuthHeader', 'none'], ['storage', 'Storage', 'none']].map(([id, name, want]) => `    - id: ${id}
      title: ${name} is the approved value
      severity: high
      registryValue:
        path: HKLM\\SOFTWARE\\Contoso\\Agent
        name: ${name}
        type: String
        equals: ${want}
`).join('')}`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftscan-redact-report-'));
  writeFileSync(join(dir, 'agent.yaml'), BASELINE);
  const reg = ['Windows Registry Editor Version 5.00', '', '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Agent]',
    `"UploadUrl"="${SAS}"`, `"AuthHeader"="${BEARER}"`, `"Storage"="${CONN}"`, ''].join('\r\n');
  writeFileSync(join(dir, 'machine.reg'), reg);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('check --output: no format writes a secret from the machine data, and each says what it redacted', () => {
  for (const format of REPORT_FORMATS) {
    const file = join(dir, `report.${format}`);
    const r = runCli(['check', join(dir, 'agent.yaml'), '--reg', join(dir, 'machine.reg'), '--format', format, '--output', file]);
    assert.equal(r.status, 1, `${format}: ${r.stderr}`);
    const text = readFileSync(file, 'utf8');
    for (const s of SECRETS) assert.ok(!text.includes(s), `${format} file holds ${s}`);
    assert.match(text, /sig=REDACTED/, format);
    assert.match(text, /Bearer REDACTED/, format);
    assert.match(text, /AccountKey=REDACTED/, format);
    // actual and message of each of the three rules.
    assert.match(text, /6 fields of this report \(found\/expected values, messages, sources\) held text that looks like a secret/, format);
    // What is not secret stays readable: the account, the container, the SAS permissions (the table may wrap them).
    if (format !== 'table') assert.match(text, /acct\.blob\.core\.windows\.net\/gc\/x\.zip\?sv=2022-11-02/, format);
  }
});

test('check to stdout: the XML formats, whose &amp;sig= the line redactor never saw, are clean too', () => {
  for (const format of ['junit', 'sarif', 'table'] as const) {
    const r = runCli(['check', join(dir, 'agent.yaml'), '--reg', join(dir, 'machine.reg'), '--format', format]);
    assert.equal(r.status, 1, r.stderr);
    for (const s of SECRETS) assert.ok(!r.stdout.includes(s), `${format} stdout holds ${s}`);
  }
});

test('the JSON report keeps its structure; only the secret part of a value is replaced', () => {
  const r = runCli(['check', join(dir, 'agent.yaml'), '--reg', join(dir, 'machine.reg'), '--format', 'json']);
  const doc = JSON.parse(r.stdout) as { results: Array<Record<string, unknown>>; notices: string[] };
  assert.deepEqual(Object.keys(doc.results[0]!).slice(0, 7), ['baseline', 'ruleId', 'status', 'severity', 'expected', 'actual', 'message']);
  const byId = Object.fromEntries(doc.results.map((x) => [x.ruleId, x]));
  assert.equal(byId['upload-url']!.actual, `string "${SAS.replace(/sig=[^"]*$/, 'sig=REDACTED')}"`);
  assert.equal(byId['auth-header']!.actual, 'string "Bearer REDACTED"');
  assert.equal(byId['storage']!.actual, 'string "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=REDACTED;EndpointSuffix=core.windows.net"');
  assert.equal(doc.notices.length, 1);
});

test('a table narrower than the URL still never shows a piece of the signature', () => {
  const longSig = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0';
  const rep = report([result({ ruleId: 'upload-url', status: 'fail', actual: `string "https://a.example/c?sv=1&sig=${longSig}"`, message: 'differs' })]);
  const table = renderReport(rep, 'table', { width: 50 });
  // Any 8-character run of the signature would be a leak, whichever line it was wrapped onto.
  for (let i = 0; i + 8 <= longSig.length; i++) assert.ok(!table.replace(/[\s│|]/g, '').includes(longSig.slice(i, i + 8)), table);
});

test('a report without secrets is rendered unchanged (same object, no notice)', () => {
  const rep = mixedReport();
  const { report: out, redacted } = redactReport(rep);
  assert.equal(redacted, 0);
  assert.equal(out, rep);
});

test('property: a signature or bearer token in any machine-derived field never appears in any format', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{20,40}$/);
  const field = fc.constantFrom('actual', 'expected', 'message', 'target', 'source', 'notice');
  const shape = fc.constantFrom((s: string) => `https://h.example/p?sv=1&sig=${s}`, (s: string) => `sig=${s}&sv=2022-11-02`, (s: string) => `Authorization: Bearer ${s}0.x`, (s: string) => `https://user:${s}@h.example/`, (s: string) => `AccountKey=${s};`);
  fc.assert(fc.property(secret, field, shape, fc.constantFrom(...REPORT_FORMATS), (s, where, wrap, format) => {
    const value = `before ${wrap(s)} after`;
    const r = result({ ruleId: 'r', status: 'fail', ...(['actual', 'expected', 'message', 'target'].includes(where) ? { [where]: value } : {}) });
    const rep = report([r], { ...(where === 'source' ? { sources: [value] } : {}), ...(where === 'notice' ? { notices: [value] } : {}) });
    const out = renderReport(rep, format, { width: 1000, cwd: '/' });
    assert.ok(!out.includes(s), `${format}/${where}: ${out}`);
    assert.ok(out.includes('REDACTED'));
  }), { numRuns: 300 });
});

test('redaction is idempotent and leaves ordinary registry text alone', () => {
  for (const t of [SAS, BEARER, CONN, 'sig=abc&sv=1']) assert.equal(redactSecrets(redactSecrets(t)), redactSecrets(t));
  // JSON text stays JSON: the escape before a closing quote is not part of the signature.
  const json = JSON.stringify({ actual: `string "${SAS}"`, conn: CONN });
  assert.deepEqual(Object.keys(JSON.parse(redactSecrets(json))), ['actual', 'conn']);
  assert.ok(!redactSecrets(json).includes(SIG));
  for (const t of ['DWORD 65535 (0x0000ffff)', 'string "NT Authority\\NetworkService"', 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services',
    'sc.exe config TermService obj= "NT Authority\\NetworkService" password= ""', 'multi-string ["a=b", "code"]', 'VDS Basic Provider']) {
    assert.equal(redactSecrets(t), t);
  }
});
