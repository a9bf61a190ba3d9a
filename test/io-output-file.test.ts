/**
 * io/output-file.ts against the kernel as the oracle: for random chains of symbolic links
 * (relative and absolute, across folders, some folders not created yet, ending at an existing
 * file or at nothing), writing through the first name must leave every link as it was, put the
 * bytes where the kernel resolves the name, leave no temp file anywhere, and be refused when the
 * final file is named as an input under any of the chain's names.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import { DriftscanError } from '../src/core/diagnostics.js';
import { prepareOutput, writeOutput } from '../src/io/output-file.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'driftscan-output-prop-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Every file name under `dir`, recursively (links listed, not followed). */
function listing(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? [`${e.name}/`, ...listing(join(dir, e.name)).map((x) => `${e.name}/${x}`)] : [e.name]);
}

const hop = fc.record({ folder: fc.constantFrom('', 'a', 'a/b', 'c'), absolute: fc.boolean() });

test('writing through a chain of symbolic links replaces the final file only and refuses it as an input', () => {
  let n = 0;
  fc.assert(
    fc.property(fc.array(hop, { minLength: 0, maxLength: 5 }), fc.constantFrom('', 'a', 'd/e'), fc.boolean(), fc.uint8Array({ maxLength: 64 }), (hops, finalFolder, exists, data) => {
      const dir = join(root, `run${++n}`);
      mkdirSync(dir);
      // The final file, then links pointing at it, built backwards from the end of the chain.
      const final = join(dir, finalFolder, 'final.out');
      if (exists) {
        mkdirSync(dirname(final), { recursive: true });
        writeFileSync(final, 'old contents');
      }
      let next = final;
      const links: Array<{ at: string; to: string }> = [];
      hops.forEach((h, i) => {
        const at = join(dir, h.folder, `link${i}`);
        mkdirSync(dirname(at), { recursive: true });
        const to = h.absolute ? next : relative(dirname(at), next);
        symlinkSync(to, at);
        links.push({ at, to });
        next = at;
      });
      const first = next;
      // An existing file is refused under any of its names; a file not there yet (a lock file a
      // first run reads and writes) under its own.
      for (const name of exists ? [first, final, ...links.map((l) => l.at)] : [final]) {
        assert.throws(() => prepareOutput(first, [{ file: name, what: 'input' }]), DriftscanError, name);
      }
      prepareOutput(first, [{ file: join(dir, 'unrelated'), what: 'input' }]);
      writeOutput(first, data, 'output');
      assert.ok(Buffer.from(readFileSync(first)).equals(Buffer.from(data)), 'the name reads back the bytes');
      assert.ok(Buffer.from(readFileSync(final)).equals(Buffer.from(data)), 'the final file holds them');
      for (const l of links) assert.equal(readlinkSync(l.at), l.to, 'every link is unchanged');
      assert.deepEqual(listing(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
      assert.ok(existsSync(final));
    }),
    { numRuns: 150 },
  );
});
