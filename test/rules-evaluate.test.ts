import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBaselineText } from '../src/baseline/load.js';
import { evaluate } from '../src/evaluate/evaluator.js';
import { memorySource, type MemoryKey } from './support/memory-source.js';
import type { RuleResult } from '../src/evaluate/result.js';

function baseline(rules: string, extra = ''): string {
  return `apiVersion: driftscan/v1
kind: Baseline
metadata: { name: t, version: 1.0.0, title: T }
spec:
  rules:
${rules.replace(/^/gm, '    ')}
${extra}`;
}

function run(rules: string, keys: Record<string, MemoryKey>, options: Parameters<typeof memorySource>[1] = {}, extra = ''): RuleResult[] {
  const b = loadBaselineText(baseline(rules, extra), 't.yaml', { today: '2026-11-24' });
  return evaluate([b], memorySource(keys, options)).results;
}

const KERB = 'HKLM\\SYSTEM\\ControlSet001\\Control\\Lsa\\Kerberos\\Parameters';
const tokenRule = (expect: string) => `- id: tok
  title: token
  severity: high
  registryValue:
    path: HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\Kerberos\\Parameters
    name: MaxTokenSize
    type: DWord
    ${expect}`;

test('registryValue: equals passes, missing value fails with "expected DWORD 65535, found no value"', () => {
  const [pass] = run(tokenRule('equals: 65535'), { [KERB]: { values: { MaxTokenSize: { type: 'DWord', data: 65535 } } } });
  assert.equal(pass!.status, 'pass');
  const [fail] = run(tokenRule('equals: 65535'), { [KERB]: { values: {} } });
  assert.equal(fail!.status, 'fail');
  assert.equal(fail!.message, 'expected DWORD 65535, found no value');
  assert.equal(fail!.expected, 'DWORD 65535');
  assert.equal(fail!.actual, 'no value');
  assert.equal(fail!.target, `${KERB}\\MaxTokenSize`);
});

test('registryValue: a missing key fails and says the key is missing', () => {
  const [r] = run(tokenRule('equals: 65535'), {});
  assert.equal(r!.status, 'fail');
  assert.match(r!.message, /^expected DWORD 65535, found no value \(key HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\Kerberos\\Parameters does not exist\)$/);
});

test('registryValue: a string where a DWORD is required fails with a type message, no coercion', () => {
  const [r] = run(tokenRule('equals: 65535'), { [KERB]: { values: { MaxTokenSize: { type: 'String', data: '65535' } } } });
  assert.equal(r!.status, 'fail');
  assert.match(r!.message, /found string "65535" \(wrong type: the rule requires DWORD, the machine has string\)/);
});

test('registryValue: ranges, oneOf, matches, absent', () => {
  const keys = (v: number) => ({ [KERB]: { values: { MaxTokenSize: { type: 'DWord' as const, data: v } } } });
  assert.equal(run(tokenRule('atLeast: 48000'), keys(65535))[0]!.status, 'pass');
  const low = run(tokenRule('atLeast: 48000'), keys(12000))[0]!;
  assert.equal(low.status, 'fail');
  assert.equal(low.message, 'expected DWORD of at least 48000, found DWORD 12000 (0x00002ee0)');
  assert.equal(run(tokenRule('atLeast: 1\n    atMost: "0xffff"'), keys(65535))[0]!.status, 'pass');
  assert.equal(run(tokenRule('atMost: 0x10'), keys(17))[0]!.status, 'fail');
  assert.equal(run(tokenRule('oneOf: [48000, 65535]'), keys(65535))[0]!.status, 'pass');
  assert.equal(run(tokenRule('oneOf: [48000, 65535]'), keys(1))[0]!.message, 'expected DWORD one of 48000, 65535, found DWORD 1 (0x00000001)');
  const absent = tokenRule('ensure: absent').replace('    type: DWord\n', '');
  assert.equal(run(absent, keys(1))[0]!.status, 'fail');
  assert.equal(run(absent, { [KERB]: {} })[0]!.status, 'pass');
  assert.equal(run(absent, {})[0]!.status, 'pass');
  const str = `- id: s
  title: s
  severity: low
  registryValue:
    path: HKLM\\SOFTWARE\\X
    name: Path
    type: MultiString
    matches: "^c:\\\\\\\\windows"
    ignoreCase: true`;
  assert.equal(run(str, { 'HKLM\\SOFTWARE\\X': { values: { Path: { type: 'MultiString', data: ['D:\\x', 'C:\\Windows\\System32'] } } } })[0]!.status, 'pass');
});

test('registryValue: QWORD beyond 2^53 compares exactly', () => {
  const rule = `- id: q
  title: q
  severity: low
  registryValue:
    path: HKLM\\SOFTWARE\\X
    name: Big
    type: QWord
    equals: "18446744073709551615"`;
  assert.equal(run(rule, { 'HKLM\\SOFTWARE\\X': { values: { Big: { type: 'QWord', data: 18446744073709551615n } } } })[0]!.status, 'pass');
  assert.equal(run(rule, { 'HKLM\\SOFTWARE\\X': { values: { Big: { type: 'QWord', data: 18446744073709551614n } } } })[0]!.status, 'fail');
});

test('a source that cannot answer gives skipped with its reason', () => {
  const [r] = run(tokenRule('equals: 1'), {}, { coverAll: false });
  assert.equal(r!.status, 'skipped');
  assert.equal(r!.message, 'not covered');
});

const CERTS = 'HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\Remote Desktop\\Certificates';
const aclRule = (body: string) => `- id: acl
  title: acl
  severity: high
  registryAcl:
    path: ${CERTS}
${body.replace(/^/gm, '    ')}`;
const rdRead = aclRule('access:\n  - identity: BUILTIN\\Remote Desktop Users\n    rights: ReadKey');

test('registryAcl: present passes on an explicit or inherited grant, by SID', () => {
  assert.equal(run(rdRead, { [CERTS]: { sddl: 'O:SYG:SYD:AI(A;ID;KA;;;SY)(A;ID;KR;;;RD)' } })[0]!.status, 'pass');
  assert.equal(run(rdRead, { [CERTS]: { sddl: 'O:SYG:SYD:(A;CI;KA;;;S-1-5-32-555)' } })[0]!.status, 'pass');
});

test('registryAcl: missing grant fails listing the ACEs present', () => {
  const [r] = run(rdRead, { [CERTS]: { sddl: 'O:SYG:SYD:AI(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;ID;KR;;;BU)' } });
  assert.equal(r!.status, 'fail');
  assert.match(r!.actual, /^BUILTIN\\Remote Desktop Users \(S-1-5-32-555\) has no Allow ACE with ReadKey; ACEs present: /);
  assert.match(r!.actual, /BUILTIN\\Users \(S-1-5-32-545\) Allow ReadKey/);
});

test('registryAcl: inherit-only ACEs do not grant on the key itself; generic rights are mapped', () => {
  assert.equal(run(rdRead, { [CERTS]: { sddl: 'D:(A;CIIO;GR;;;RD)' } })[0]!.status, 'fail');
  assert.equal(run(rdRead, { [CERTS]: { sddl: 'D:(A;;GR;;;RD)' } })[0]!.status, 'pass');
  const sub = aclRule('access:\n  - identity: S-1-5-32-555\n    rights: ReadKey\n    appliesTo: thisKeyAndSubkeys');
  assert.equal(run(sub, { [CERTS]: { sddl: 'D:(A;;KR;;;RD)' } })[0]!.status, 'fail');
  assert.equal(run(sub, { [CERTS]: { sddl: 'D:(A;;KR;;;RD)(A;CIIO;GR;;;RD)' } })[0]!.status, 'pass');
});

test('registryAcl: a deny cancels the grant; absent and exact; NULL DACL', () => {
  assert.equal(run(rdRead, { [CERTS]: { sddl: 'D:(D;;CC;;;RD)(A;;KR;;;RD)' } })[0]!.status, 'fail');
  const noWrite = aclRule('ensure: absent\naccess:\n  - identity: BUILTIN\\Users\n    rights: [SetValue, CreateSubKey]');
  assert.equal(run(noWrite, { [CERTS]: { sddl: 'D:(A;;KR;;;BU)' } })[0]!.status, 'pass');
  assert.equal(run(noWrite, { [CERTS]: { sddl: 'D:(A;;KW;;;BU)' } })[0]!.status, 'fail');
  assert.equal(run(noWrite, { [CERTS]: { sddl: 'O:SY' } })[0]!.status, 'fail', 'NULL DACL grants everything');
  const exact = aclRule('exact: true\naccess:\n  - identity: NT AUTHORITY\\SYSTEM\n    rights: FullControl\n  - identity: BUILTIN\\Remote Desktop Users\n    rights: ReadKey');
  assert.equal(run(exact, { [CERTS]: { sddl: 'D:P(A;;KA;;;SY)(A;;KR;;;RD)' } })[0]!.status, 'pass');
  assert.equal(run(exact, { [CERTS]: { sddl: 'D:AI(A;;KA;;;SY)(A;;KR;;;RD)(A;ID;KR;;;BU)' } })[0]!.status, 'pass', 'inherited ACEs excluded by default');
  const extra = run(exact, { [CERTS]: { sddl: 'D:(A;;KA;;;SY)(A;;KR;;;RD)(A;;KR;;;BU)' } })[0]!;
  assert.equal(extra.status, 'fail');
  assert.match(extra.actual, /unexpected BUILTIN\\Users \(S-1-5-32-545\) Allow ReadKey/);
});

test('registryAcl: owner check and ACL-less sources', () => {
  const owner = aclRule('owner: NT AUTHORITY\\SYSTEM');
  assert.equal(run(owner, { [CERTS]: { sddl: 'O:SYD:' } })[0]!.status, 'pass');
  const r = run(owner, { [CERTS]: { sddl: 'O:BAD:' } })[0]!;
  assert.equal(r.status, 'fail');
  assert.match(r.actual, /owner is BUILTIN\\Administrators \(S-1-5-32-544\)/);
  const skipped = run(rdRead, { [CERTS]: {} })[0]!;
  assert.equal(skipped.status, 'skipped');
  assert.equal(skipped.message, 'no ACLs in this source');
});

const TS = 'HKLM\\SYSTEM\\ControlSet001\\Services\\TermService';
const svc = (body: string) => `- id: svc
  title: svc
  severity: high
  service:
    name: TermService
${body.replace(/^/gm, '    ')}`;

test('service: account compared by SID across spellings; startup type from Start/DelayedAutostart', () => {
  const keys = (obj: string, start = 3, delayed?: number) => ({
    [TS]: { values: { ObjectName: { type: 'String' as const, data: obj }, Start: { type: 'DWord' as const, data: start }, ...(delayed !== undefined ? { DelayedAutostart: { type: 'DWord' as const, data: delayed } } : {}) } },
  });
  const rule = svc('account: NT AUTHORITY\\NETWORK SERVICE\nstartupType: Manual');
  assert.equal(run(rule, keys('NT Authority\\NetworkService'))[0]!.status, 'pass');
  const bad = run(rule, keys('LocalSystem'))[0]!;
  assert.equal(bad.status, 'fail');
  assert.equal(bad.message, 'expected startup Manual, account NT AUTHORITY\\NETWORK SERVICE (S-1-5-20), found account LocalSystem (S-1-5-18)');
  assert.equal(run(svc('startupType: AutomaticDelayedStart'), keys('LocalSystem', 2, 1))[0]!.status, 'pass');
  assert.equal(run(svc('startupType: Automatic'), keys('LocalSystem', 2, 1))[0]!.status, 'fail');
  assert.equal(run(svc('startupType: Disabled'), {})[0]!.message, 'expected startup Disabled, found no service TermService');
  assert.equal(run(svc('ensure: absent'), {})[0]!.status, 'pass');
});

test('service: state is skipped offline and checked when the source knows it', () => {
  const keys = { [TS]: { values: { Start: { type: 'DWord' as const, data: 3 } } } };
  const offline = run(svc('state: Running'), keys)[0]!;
  assert.equal(offline.status, 'skipped');
  assert.match(offline.message, /only known on a live machine/);
  assert.equal(run(svc('state: Running'), keys, { services: { TermService: 'Running' } })[0]!.status, 'pass');
  assert.equal(run(svc('state: Running'), keys, { services: { TermService: 'Stopped' } })[0]!.status, 'fail');
});

test('waivers turn failures into waived, never passes into waived', () => {
  const waiver = '  waivers:\n    - { rule: "t*", reason: r, owner: o, expires: "2099-01-01" }';
  const failing = run(tokenRule('equals: 65535'), {}, {}, waiver)[0]!;
  assert.equal(failing.status, 'waived');
  assert.deepEqual(failing.waiver, { reason: 'r', owner: 'o', expires: '2099-01-01' });
  const passing = run(tokenRule('equals: 1'), { [KERB]: { values: { MaxTokenSize: { type: 'DWord', data: 1 } } } }, {}, waiver)[0]!;
  assert.equal(passing.status, 'pass');
});

test('registryValue: ignoreCase applies to equals and oneOf on strings only', () => {
  const rule = (extra: string) => `- id: s
  title: s
  severity: low
  registryValue:
    path: HKLM\\SOFTWARE\\X
    name: Mode
    type: String
    ${extra}`;
  const keys = { 'HKLM\\SOFTWARE\\X': { values: { Mode: { type: 'String' as const, data: 'Enabled' } } } };
  assert.equal(run(rule('equals: enabled'), keys)[0]!.status, 'fail');
  const r = run(rule('equals: enabled\n    ignoreCase: true'), keys)[0]!;
  assert.equal(r.status, 'pass');
  assert.equal(r.expected, 'string "enabled" (ignoring case)');
  assert.equal(run(rule('oneOf: [on, ENABLED]\n    ignoreCase: true'), keys)[0]!.status, 'pass');
  assert.throws(() => run(rule('equals: 1').replace('type: String', 'type: DWord') + '\n    ignoreCase: true', {}), /ignoreCase applies to string types, not DWord/);
  assert.throws(() => run(rule('equals: 18446744073709551615').replace('type: String', 'type: QWord'), {}), /lose digits as plain YAML numbers; write the value as a quoted string/);
});
