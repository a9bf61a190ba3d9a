/** Reading build/ back (`deploy`): any text either parses or fails with one located DriftscanError — never another exception. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DriftscanError } from '../src/core/diagnostics.js';
import { parsePolicyDefinitionFile, parsePolicySetFile } from '../src/compile/build-files.js';
import { parseBuildManifest } from '../src/compile/build-manifest.js';

const HASH = 'A'.repeat(64);
const manifest = { manifestVersion: 1, packages: [{ name: 'b', version: '1.0.0', baseline: 'policies/b.yaml', assignmentType: 'Audit', file: 'b/b.zip', contentHash: HASH, size: 100, policies: ['b/b_AuditIfNotExists.json'] }], initiatives: ['initiatives/policies.json'] };

/** Every value reachable in `v`, as [path, replacement] edits that break or keep it. */
function mutate(v: unknown): fc.Arbitrary<unknown> {
  const json = fc.jsonValue();
  return fc.tuple(fc.array(fc.oneof(fc.constantFrom('packages', 'manifestVersion', 'initiatives', 'name', 'contentHash', 'assignmentType', 'policies', 'baseline'), fc.nat(2)), { maxLength: 4 }), json).map(([path, value]) => {
    const copy = structuredClone(v) as Record<string | number, unknown>;
    let at: Record<string | number, unknown> = copy;
    for (const seg of path.slice(0, -1)) {
      if (at[seg] === null || typeof at[seg] !== 'object') return copy;
      at = at[seg] as Record<string | number, unknown>;
    }
    if (path.length) at[path.at(-1)!] = value;
    return copy;
  });
}

test('parseBuildManifest: mutated manifests parse or fail with a file:line:col DriftscanError (property)', () => {
  fc.assert(fc.property(mutate(manifest), fc.boolean(), (doc, pretty) => {
    const text = JSON.stringify(doc, null, pretty ? 2 : 0);
    try {
      const m = parseBuildManifest(text, 'build/manifest.json');
      assert.equal(m.manifestVersion, 1);
      assert.ok(Array.isArray(m.packages));
    } catch (err) {
      assert.ok(err instanceof DriftscanError, String(err));
      assert.match(err.message, /^build\/manifest\.json:\d+:\d+: (not a driftscan build manifest: \S+ |package b is listed twice|file must be |a policy file of )/);
      assert.ok(!err.message.includes('\n'));
    }
  }));
});

test('the three parsers: arbitrary text fails with a located one-line DriftscanError, never another exception (property)', () => {
  const parsers = [parseBuildManifest, parsePolicyDefinitionFile, parsePolicySetFile];
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), fc.nat(2), (text, i) => {
    try {
      parsers[i]!(text, 'f.json');
    } catch (err) {
      assert.ok(err instanceof DriftscanError, String(err));
      assert.match(err.message, /^f\.json(:\d+:\d+)?: /);
      assert.ok(!err.message.includes('\n'));
    }
  }));
});

test('a JSON syntax error names its line and column', () => {
  assert.throws(() => parseBuildManifest('{\n  "manifestVersion": 1,\n  "packages": [,]\n}', 'm.json'), /^DriftscanError: m\.json:3:16: invalid JSON: unexpected ","; expected a value; compile again to rewrite it$/);
});
