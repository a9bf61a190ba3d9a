/**
 * Issue #8, parameters: `--param` values are checked against their declarations (type,
 * allowedValues; unknown names rejected with the declared ones listed), declarations are checked
 * against themselves, and user-chosen names never reach JavaScript's built-in object members.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadBaselineText, loadBaselines, BaselineErrors } from '../src/baseline/load.js';
import { DriftscanError } from '../src/core/diagnostics.js';
import { parseParams } from '../src/cli/options.js';
import type { Baseline } from '../src/rules/model.js';
import { runCli } from './support/cli.js';
import { DWORD_RULE, SPEC_HEAD } from './support/baseline-yaml.js';

/** A baseline with one parameter `p` (declared by `decl`, the lines under `p:`) used by a DWord rule's `prop`. */
function withParam(decl: string, prop = 'equals'): string {
  return `${SPEC_HEAD}  parameters:
    p:
${decl.split('\n').map((l) => `      ${l}`).join('\n')}
  rules:
${DWORD_RULE.replace('equals: 5', `${prop}: { param: p }`)}`;
}

/** The messages of a rejected load (every one a DriftscanError), or the baseline. */
function load(text: string, parameters?: ReadonlyMap<string, string> | Record<string, string>): Baseline | string[] {
  try {
    return loadBaselineText(text, 'b.yaml', parameters ? { parameters } : {});
  } catch (err) {
    assert.ok(err instanceof BaselineErrors, `expected BaselineErrors, got ${(err as Error).stack}`);
    for (const e of err.errors) assert.ok(e instanceof DriftscanError);
    return err.errors.map((e) => e.message);
  }
}

function errors(text: string, parameters?: ReadonlyMap<string, string> | Record<string, string>): string[] {
  const r = load(text, parameters);
  assert.ok(Array.isArray(r), 'expected the baseline to be rejected');
  return r;
}

function expectOf(b: Baseline | string[]): unknown {
  assert.ok(!Array.isArray(b), `expected the baseline to load: ${String(b)}`);
  return (b.rules[0]!.check as { expect: unknown }).expect;
}

const INT = 'type: integer\ndefault: 3\nallowedValues: [3, 4]';

test('--param NAME=VALUE with a name no loaded baseline declares is a usage error listing the declared names', () => {
  const r = runCli(['validate', 'policies', '--param', 'nope=1']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(r.stderr.trim(), 'driftscan: --param nope=1: no loaded baseline declares a parameter "nope" ' +
    '(declared: maxTokenSize (policies/rdp-access-denied.yaml:25:5), minEncryptionLevel (policies/rdp-hardening.yaml:23:5))');
  const typo = runCli(['check', 'policies', '--reg', 'examples/drifted.reg', '--param', 'maxTokenSze=12000']);
  assert.equal(typo.status, 2, typo.stderr);
  assert.match(typo.stderr, /^driftscan: --param maxTokenSze=12000: no loaded baseline declares a parameter "maxTokenSze"; did you mean "maxTokenSize"\?/);
  // Declared by one of the loaded baselines is enough: rdp-hardening does not declare maxTokenSize.
  const [denied, hardening] = loadBaselines(['policies'], { parameters: new Map([['maxTokenSize', '12000']]) });
  assert.equal((denied!.rules.find((r) => r.id === 'kerberos-max-token-size')!.check as { expect: { value: number } }).expect.value, 12000);
  assert.equal(hardening!.metadata.name, 'rdp-hardening');
});

test('--param outside allowedValues names the parameter, its declaration and the allowed values', () => {
  const r = runCli(['validate', 'policies', '--param', 'minEncryptionLevel=5']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), 'driftscan: --param minEncryptionLevel=5: parameter "minEncryptionLevel" (integer, declared at policies/rdp-hardening.yaml:23:5) allows only 3, 4');
  const ok = runCli(['check', 'policies/rdp-hardening.yaml', '--reg', 'examples/drifted.reg', '--format', 'json', '--param', 'minEncryptionLevel=4']);
  assert.notEqual(ok.status, 2, ok.stderr);
  const row = (JSON.parse(ok.stdout) as { results: Array<{ ruleId: string; expected: string }> }).results.find((x) => x.ruleId === 'rdp-min-encryption-high')!;
  assert.match(row.expected, /DWORD 4\b/);
});

test('integer --param values are decimal digits only, and never empty', () => {
  for (const bad of ['', '0x10', '1e3', '+5', ' 5', '5 ', '1.0', '1_000', 'Infinity', 'NaN', '٣', '9007199254740992', '-9007199254740992']) {
    const msgs = errors(withParam(INT.replace('allowedValues: [3, 4]', '')), new Map([['p', bad]]));
    assert.equal(msgs.length, 1, `${JSON.stringify(bad)}: ${msgs.join('\n')}`);
    assert.match(msgs[0]!, new RegExp(`^--param p=${bad.replace(/[.+]/g, '\\$&')}: parameter "p" \\(integer, declared at b\\.yaml:9:5\\) (needs|takes)`), JSON.stringify(bad));
  }
  assert.match(errors(withParam('type: integer\ndefault: 3'), new Map([['p', '0x10']]))[0]!, /write 16 for 0x10$/);
  assert.deepEqual(expectOf(load(withParam('type: integer\ndefault: 3'), new Map([['p', '0042']]))), { op: 'equals', value: 42, ignoreCase: false });
  // Within ±(2^53−1) the parameter is fine; the DWord rule then applies its own range and says the value came from --param.
  const big = errors(withParam('type: integer\ndefault: 3'), new Map([['p', '4294967296']]));
  assert.deepEqual(big, ['b.yaml:20:17: DWord data must be between 0 and 4294967295 (0xffffffff); got 4294967296 (value from --param p=4294967296)']);
});

test('boolean and string --param values are checked against type and allowedValues', () => {
  const bool = `${SPEC_HEAD}  parameters:\n    flag: { type: boolean, default: false }\n    mode: { type: string, default: a, allowedValues: [a, b] }\n  rules:\n    - id: r1\n      title: One\n      severity: low\n      service: { name: Spooler, startupType: { param: mode } }\n`;
  for (const v of ['True', 'yes', '1', '']) {
    assert.ok(errors(bool, new Map([['flag', v]])).some((m) => m === `--param flag=${v}: parameter "flag" (boolean, declared at b.yaml:9:5) takes true or false`), v);
  }
  assert.ok(!errors(bool, new Map([['flag', 'true']])).some((m) => m.startsWith('--param')));
  assert.ok(errors(bool, new Map([['mode', 'A']])).includes('--param mode=A: parameter "mode" (string, declared at b.yaml:10:5) allows only a, b'));
});

test('array --param values are comma-separated; items are checked like the declaration\'s items', () => {
  const decl = 'type: array\ndefault: [1, 2]\nallowedValues: [1, 2, 3]';
  assert.deepEqual(expectOf(load(withParam(decl, 'oneOf'), new Map([['p', '3,1']]))), { op: 'oneOf', values: [3, 1], ignoreCase: false });
  assert.deepEqual(errors(withParam(decl, 'oneOf'), new Map([['p', '1,4']])), ['--param p=1,4: parameter "p" (array of whole numbers, declared at b.yaml:9:5) item 2 "4" is not one of 1, 2, 3']);
  assert.deepEqual(errors(withParam(decl, 'oneOf'), new Map([['p', '1,0x2']])), ['--param p=1,0x2: parameter "p" (array of whole numbers, declared at b.yaml:9:5) item 2 "0x2" is not a whole number in decimal digits (-?[0-9]+); write 2 for 0x2']);
  // An empty value is an empty list, which the rule (oneOf) rejects at its use, naming the --param.
  assert.deepEqual(errors(withParam(decl, 'oneOf'), new Map([['p', '']])), ['b.yaml:21:16: oneOf must be a non-empty list (value from --param p=)']);
  const strings = withParam('type: array\ndefault: [a]', 'oneOf').replace('type: DWord', 'type: String');
  assert.deepEqual(expectOf(load(strings, new Map([['p', 'x,,y']]))), { op: 'oneOf', values: ['x', '', 'y'], ignoreCase: false });
});

test('a default that violates its type or allowedValues is a located error', () => {
  assert.deepEqual(errors(withParam('type: integer\ndefault: 5\nallowedValues: [3, 4]')), ['b.yaml:11:16: parameter "p": default 5 is not among allowedValues 3, 4']);
  assert.deepEqual(errors(withParam('type: integer\ndefault: "3"')), ['b.yaml:11:16: parameter "p": declared integer but its default "3" is not a whole number']);
  assert.deepEqual(errors(withParam('type: integer\ndefault: 1.5')), ['b.yaml:11:16: parameter "p": declared integer but its default 1.5 is not a whole number']);
  assert.match(errors(withParam('type: integer\ndefault: 18446744073709551615'))[0]!, /^b\.yaml:11:16: parameter "p": declared integer but its default 18446744073709552000 is outside ±9007199254740991/);
  assert.deepEqual(errors(withParam('type: integer\ndefault: 3\nallowedValues: [3, "4"]')), ['b.yaml:12:26: parameter "p": allowed value "4" is not a whole number']);
  assert.deepEqual(errors(withParam('type: integer\ndefault: 3\nallowedValues: []')), ['b.yaml:12:22: parameter "p": allowedValues is empty; list the values or remove it']);
  assert.deepEqual(errors(withParam('type: array\ndefault: [1, 5]\nallowedValues: [1, 2]', 'oneOf')), ['b.yaml:11:20: parameter "p": default item 5 is not among allowedValues 1, 2']);
  assert.deepEqual(errors(withParam('type: array\ndefault: [1, a]', 'oneOf')), ['b.yaml:11:17: parameter "p": default item 1 is not a string (array items are all strings or all whole numbers)']);
  // The shipped baselines' declarations are all valid.
  assert.equal(loadBaselines(['policies']).length, 2);
});

test('the same --param given twice with different values is a usage error; a value may contain "="', () => {
  const r = runCli(['validate', 'policies', '--param', 'maxTokenSize=1', '--param', 'maxTokenSize=2']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'driftscan: --param maxTokenSize is given twice (1 and 2); give it once');
  assert.deepEqual([...parseParams(['a=1=2', 'b=', 'a=1=2'])], [['a', '1=2'], ['b', '']]);
  assert.throws(() => loadBaselines(['policies'], { parameters: parseParams(['maxTokenSize=1=2']) }), /--param maxTokenSize=1=2: .*takes a whole number/);
  assert.throws(() => parseParams(['=1']), /--param expects NAME=VALUE, got "=1"/);
});

/** Every own member name of Object.prototype (constructor, toString, valueOf, __proto__, …) and a few more. */
const HOSTILE = [...Object.getOwnPropertyNames(Object.prototype), 'prototype', 'length', 'then', 'toJSON', 'Symbol(Symbol.iterator)'];

test('parameters named after Object.prototype members work like any other name', () => {
  for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf']) {
    const text = withParam('type: array\ndefault: [1, 2]', 'oneOf').replace(/\bp\b/g, name).replace('name: V', 'name: V');
    // A plain object of overrides that does not mention the name must not find Object.prototype's member.
    assert.deepEqual(expectOf(load(text, {})), { op: 'oneOf', values: [1, 2], ignoreCase: false }, name);
    assert.deepEqual(expectOf(load(text, { [name]: '2,1' })), { op: 'oneOf', values: [2, 1], ignoreCase: false }, name);
    assert.deepEqual(expectOf(load(text, new Map([[name, '1']]))), { op: 'oneOf', values: [1], ignoreCase: false }, name);
  }
  // "__proto__" cannot be a parameter name (names become Azure Policy parameters): a located error.
  assert.deepEqual(errors(withParam('type: integer\ndefault: 3').replace(/\bp\b/g, '__proto__')),
    ['b.yaml:9:5: parameter name "__proto__" must start with a letter and contain only letters, digits and _']);
  // An override object whose own "__proto__" key names no parameter is reported as unknown, not applied.
  const own = JSON.parse('{"__proto__": "1"}') as Record<string, string>;
  assert.match(errors(withParam('type: integer\ndefault: 3'), own)[0]!, /^--param __proto__=1: no loaded baseline declares a parameter "__proto__"/);
});

test('property: names drawn from Object.prototype members give a baseline or located errors, never an internal error', () => {
  const name = fc.oneof({ arbitrary: fc.constantFrom(...HOSTILE), weight: 1 }, { arbitrary: fc.constantFrom('p', 'level', 'r1', 'Spooler', 'a', 'b', 'c', 'd'), weight: 1 });
  const rule = fc.record({ id: name, value: name, key: name, identity: fc.oneof({ arbitrary: name, weight: 1 }, { arbitrary: fc.constantFrom('SYSTEM', 'BUILTIN\\Users'), weight: 3 }) });
  const scenario = fc.record({
    params: fc.uniqueArray(fc.record({ name, type: fc.constantFrom('integer', 'string', 'array'), allowed: fc.boolean() }), { selector: (p) => p.name, maxLength: 2 }),
    rules: fc.uniqueArray(rule, { selector: (r) => r.id.toLowerCase(), minLength: 2, maxLength: 3 }),
    // A waiver for one of the rules (by index) or for any name; with or without a trailing *.
    waiver: fc.option(fc.tuple(fc.oneof(fc.nat(), name), fc.boolean()), { nil: undefined }),
    overrides: fc.oneof(fc.constant([]), fc.array(fc.tuple(name, fc.constantFrom('3', '', 'a,b', 'true', '0x10', 'constructor', '__proto__')), { maxLength: 3 })),
    asMap: fc.boolean(),
  });
  let loaded = 0;
  let rejected = 0;
  fc.assert(
    fc.property(scenario, (s) => {
      const q = (v: string) => JSON.stringify(v);
      const lines = [SPEC_HEAD.trimEnd()];
      if (s.params.length) {
        lines.push('  parameters:');
        for (const p of s.params) {
          const def = { integer: '3', string: '"3"', array: '[1, 2]' }[p.type];
          lines.push(`    ${q(p.name)}: { type: ${p.type}, default: ${def}${p.allowed ? `, allowedValues: [${def === '[1, 2]' ? '1, 2' : def}]` : ''} }`);
        }
      }
      lines.push('  rules:');
      s.rules.forEach((r, i) => {
        // Rule i uses parameter i (when there is one), so every declared parameter is used.
        const p = s.params[i];
        const check = p?.type === 'array' ? `oneOf: { param: ${q(p.name)} }` : p ? `equals: { param: ${q(p.name)} }` : 'equals: 3';
        lines.push(`    - { id: ${q(r.id)}, title: T${i}, severity: low, registryValue: { path: ${q(`HKLM\\SOFTWARE\\${r.key}`)}, name: ${q(r.value)}, type: DWord, ${check} } }`);
        if (i === 0) lines.push(`    - { id: ${q(`${r.id}-acl`)}, title: A${i}, severity: low, registryAcl: { path: ${q(`HKLM\\SOFTWARE\\${r.key}`)}, access: [{ identity: ${q(r.identity)}, rights: ReadKey }] } }`);
      });
      if (s.waiver) {
        const [target, glob] = s.waiver;
        const rule = typeof target === 'number' ? s.rules[target % s.rules.length]!.id : target;
        lines.push('  waivers:', `    - { rule: ${q(glob ? `${rule}*` : rule)}, reason: x, owner: y, expires: "2999-01-01" }`);
      }
      const text = `${lines.join('\n')}\n`;
      const overrides: Record<string, string> = {};
      for (const [k, v] of s.overrides) Object.defineProperty(overrides, k, { value: v, enumerable: true, configurable: true, writable: true });
      try {
        const b = loadBaselineText(text, 'h.yaml', { parameters: s.asMap ? new Map(Object.entries(overrides)) : overrides });
        assert.equal(b.rules.length, s.rules.length + 1);
        loaded++;
      } catch (err) {
        rejected++;
        assert.ok(err instanceof BaselineErrors, `${(err as Error).stack}\n${text}`);
        for (const e of err.errors) {
          assert.ok(e instanceof DriftscanError);
          if (e.kind === 'usage') assert.match(e.message, /^--param /, e.message);
          else assert.ok(e.location?.file === 'h.yaml' && (e.location.line ?? 0) >= 1, `${e.message}\n${text}`);
          assert.doesNotMatch(e.message, /\[native code\]|is not a function|undefined/, e.message);
        }
      }
    }),
    { numRuns: 300 },
  );
  // Both outcomes must occur, or the property checks less than it claims.
  assert.ok(loaded > 10 && rejected > 10, `loaded ${loaded}, rejected ${rejected}`);
});

test('check with rule ids, value names, keys and parameters named after Object.prototype members runs to a verdict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftscan-proto-'));
  try {
    const rules = ['constructor', 'toString', 'valueOf', 'hasOwnProperty'].map((n) => `    - id: ${n}
      title: ${n}
      severity: low
      registryValue: { path: "HKLM\\\\SOFTWARE\\\\${n}\\\\__proto__", name: ${n}, type: DWord, equals: { param: ${n} } }`).join('\n');
    const params = ['constructor', 'toString', 'valueOf', 'hasOwnProperty'].map((n) => `    ${n}: { type: integer, default: 1 }`).join('\n');
    const file = join(dir, 'proto.yaml');
    writeFileSync(file, `${SPEC_HEAD}  parameters:\n${params}\n  rules:\n${rules}\n  waivers:\n    - { rule: "constructor", reason: x, owner: y, expires: "2999-01-01" }\n`);
    const r = runCli(['check', file, '--reg', 'examples/drifted.reg', '--format', 'json', '--param', 'valueOf=2']);
    assert.doesNotMatch(r.stderr, /internal error/);
    const out = JSON.parse(r.stdout) as { results: Array<{ ruleId: string; status: string }> };
    assert.deepEqual(out.results.map((x) => x.ruleId).sort(), ['constructor', 'hasOwnProperty', 'toString', 'valueOf']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
