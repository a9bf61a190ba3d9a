/**
 * `compile --content-uri-base`: build/ is committed, so it must never hold a secret. A base with a
 * query string (a SAS token), a fragment or credentials is refused before anything is written and
 * without repeating the token; a plain base gives a well-formed contentUri per package.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { seedProject } from './support/compile-project.js';
import { contentUriFor, parseContentUriBase } from '../src/compile/compiler.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'driftscan-content-uri-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const project = (name: string): string => seedProject(tmp, name);
const compile = (cwd: string, base: string) => runCli(['compile', '--content-uri-base', base], { cwd });

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath ?? e.path, e.name), 'latin1')).join('\n');
}

test('a SAS URL as --content-uri-base is a usage error that never repeats the token, and nothing is written', () => {
  // skoid/sktid are not credential names the console redactor knows: only the refusal itself keeps them out of the output.
  const sas = 'https://acct.blob.core.windows.net/gc?sv=2022-11-02&sp=r&se=2027-01-01&skoid=OID-SECRET-1&sig=SIG-SECRET-2%3D';
  const dir = project('sas');
  const r = compile(dir, sas);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^driftscan: --content-uri-base https:\/\/acct\.blob\.core\.windows\.net\/gc\?…: a query string or fragment is not allowed .*build\/ must never hold a secret.*add the SAS at publish\/deploy time/);
  assert.doesNotMatch(r.stdout + r.stderr, /OID-SECRET-1|SIG-SECRET-2|sv=2022/);
  assert.equal(existsSync(join(dir, 'build')), false, 'no build/');
  assert.equal(existsSync(join(dir, 'policies', 'modules.lock.json')), false, 'no lock file');
});

test('a fragment, credentials or plain http are refused too', () => {
  const dir = project('others');
  const cases: Array<[string, RegExp]> = [
    ['https://acct.blob.core.windows.net/gc#sig=abc', /--content-uri-base https:\/\/acct\.blob\.core\.windows\.net\/gc#…: a query string or fragment is not allowed/],
    ['https://user:pw-SECRET@acct.blob.core.windows.net/gc', /--content-uri-base https:\/\/acct\.blob\.core\.windows\.net\/gc: credentials in the URL are not allowed/],
    ['http://acct.blob.core.windows.net/gc', /--content-uri-base must be an https:\/\/ URL/],
    ['acct.blob.core.windows.net/gc', /--content-uri-base must be an https:\/\/ URL/],
  ];
  for (const [base, re] of cases) {
    const r = compile(dir, base);
    assert.equal(r.status, 2, base);
    assert.match(r.stderr, re, base);
    assert.doesNotMatch(r.stderr, /pw-SECRET/);
  }
  assert.equal(existsSync(join(dir, 'build')), false);
});

test('a plain base gives <base>/<name>/<name>.zip in the policies and manifest, and build/ holds no query string', () => {
  const dir = project('plain');
  const r = compile(dir, 'https://acct.blob.core.windows.net/gc/');
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(join(dir, 'build', 'manifest.json'), 'utf8'));
  assert.equal(manifest.packages[0].contentUri, 'https://acct.blob.core.windows.net/gc/rdp-access-denied/rdp-access-denied.zip');
  const uris = allText(join(dir, 'build')).match(/"contentUri": "[^"]*"/g) ?? [];
  assert.ok(uris.length >= 2, 'manifest and policy definition');
  for (const u of uris) assert.equal(u, '"contentUri": "https://acct.blob.core.windows.net/gc/rdp-access-denied/rdp-access-denied.zip"');
});

test('contentUriFor: one slash between base and file, segments percent-encoded, host normalised', () => {
  const file = 'rdp-access-denied/rdp-access-denied.zip';
  assert.equal(contentUriFor(parseContentUriBase('https://acct.blob.core.windows.net/gc'), file), `https://acct.blob.core.windows.net/gc/${file}`);
  assert.equal(contentUriFor(parseContentUriBase('https://ACCT.blob.core.windows.net:443/gc/'), file), `https://acct.blob.core.windows.net/gc/${file}`);
  assert.equal(contentUriFor(parseContentUriBase('https://acct.blob.core.windows.net'), file), `https://acct.blob.core.windows.net/${file}`);
  assert.equal(contentUriFor(parseContentUriBase('https://h.example:8443/my pkgs'), 'a b/a b.zip'), 'https://h.example:8443/my%20pkgs/a%20b/a%20b.zip');
  assert.throws(() => parseContentUriBase('https://h.example/gc?'), /query string or fragment/);
});
