/** Property tests for the small parsers of the compile pipeline: MOF reader, psd1 ModuleVersion, the version-bump YAML edit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { writeMofDocument, type MofValue } from '../src/compile/mof.js';
import { readMof } from '../src/compile/mof-reader.js';
import { manifestVersion } from '../src/compile/modules/manifest.js';
import { findVersionScalar, nextPatch, setBaselineVersion } from '../src/compile/version-bump.js';

const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const value: fc.Arbitrary<MofValue> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.boolean(),
  fc.array(fc.string({ unit: 'binary-ascii', maxLength: 10 }), { maxLength: 4 }),
);

test('property: readMof returns exactly what writeMofDocument wrote', () => {
  fc.assert(fc.property(ident, fc.uniqueArray(fc.tuple(ident, value), { selector: ([k]) => k, maxLength: 8 }), fc.string({ maxLength: 20 }), (cls, props, cfg) => {
    const doc = writeMofDocument([{ className: cls, alias: `${cls}1ref`, properties: props }], cfg);
    const [inst, trailer] = readMof(doc);
    assert.equal(inst!.className, cls);
    assert.deepEqual([...inst!.properties.entries()], props);
    assert.equal(trailer!.properties.get('Name'), cfg);
  }), { numRuns: 300 });
});

test('property: readMof on arbitrary text returns or throws an Error, never hangs', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
    try {
      readMof(`instance of X as $X1ref { A = ${s} };`);
    } catch (e) {
      assert.ok(e instanceof Error);
    }
  }), { numRuns: 500 });
});

test('property: psd1 ModuleVersion is found in UTF-8 and UTF-16LE manifests, not in comments', () => {
  const version = fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.nat(99)).map((v) => v.join('.'));
  fc.assert(fc.property(version, version, fc.constantFrom("'", '"'), fc.boolean(), (v, decoy, q, utf16) => {
    const text = `<# ModuleVersion = '${decoy}' #>\r\n@{\r\n  # ModuleVersion = '${decoy}'\r\n  RootModule = 'x.psm1'\r\n  ModuleVersion = ${q}${v}${q}\r\n}\r\n`;
    const bytes = utf16 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) : Buffer.from(text);
    assert.equal(manifestVersion(bytes), v);
  }), { numRuns: 200 });
});

test('property: --bump edits only the version scalar, whatever its quoting and surroundings', () => {
  const ver = fc.tuple(fc.nat(50), fc.nat(50), fc.nat(50)).map((v) => v.join('.'));
  fc.assert(fc.property(ver, fc.constantFrom('', "'", '"'), fc.constantFrom('', '  # pinned', ' '), fc.boolean(), (v, q, trail, flow) => {
    const text = flow
      ? `# head\nmetadata: {name: x, version: ${q}${v}${q}, title: "version: 9.9.9"}${trail}\nspec: {}\n`
      : `# the version: line below is the one to bump\nmetadata:\n  name: x\n  version: ${q}${v}${q}${trail}\n  title: "version: 9.9.9"\nspec: {}\n`;
    const bumped = setBaselineVersion(text, 'b.yaml', nextPatch(v));
    assert.equal(parseDocument(bumped).getIn(['metadata', 'version']), nextPatch(v));
    assert.equal(parseDocument(bumped).getIn(['metadata', 'title']), 'version: 9.9.9');
    assert.equal(bumped.replace(nextPatch(v), v), text);
    assert.equal(findVersionScalar(text, 'b.yaml').location.line, flow ? 2 : 4);
  }), { numRuns: 300 });
  assert.equal(nextPatch('1.2.3-beta.1'), '1.2.4');
  assert.throws(() => nextPatch('v1'), /major\.minor\.patch/);
});
