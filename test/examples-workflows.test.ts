/**
 * The CI examples (examples/github-actions, examples/azure-pipelines) are YAML their services
 * accept in shape — a weekly cron, OIDC / workload-identity login, history carried between runs,
 * the report in the run summary and as an artifact — and every `driftscan` command they run is a
 * real command with real flags and allowed values, read from the CLI's own `--help`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from './support/cli.js';
import { repoRoot } from './support/paths.js';

type Yaml = Record<string, unknown>;
const load = (rel: string) => parse(readFileSync(join(repoRoot, 'examples', rel), 'utf8')) as Yaml;

/** Every string under `value` whose key is one of `keys` (the script bodies of steps). */
function scripts(value: unknown, keys: readonly string[], out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) scripts(v, keys, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (keys.includes(k) && typeof v === 'string') out.push(v);
      else scripts(v, keys, out);
    }
  }
  return out;
}

/** Shell words of each `driftscan …` command in a script, up to `||`, `;`, `>`, `|`, `&&`. */
export function driftscanCommands(script: string): string[][] {
  const out: string[][] = [];
  for (const raw of script.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    const at = line.search(/(^|[\s;&|(])driftscan\s/);
    if (at < 0 || line.startsWith('#') || /npm install/.test(line)) continue;
    const words: string[] = [];
    const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\|\||&&|>>|[;|>])|([^\s"';|>&]+))/y;
    re.lastIndex = line.indexOf('driftscan', at);
    let m: RegExpExecArray | null;
    while (re.lastIndex < line.length && (m = re.exec(line))) {
      if (m[3]) break;
      words.push(m[1] ?? m[2] ?? m[4]!);
    }
    out.push(words);
  }
  return out;
}

const helpCache = new Map<string, { options: Map<string, string[] | null> }>();
/** The options of `driftscan <command>` from its --help: flag → allowed choices (null: any value or none). */
function helpOf(command: string): { options: Map<string, string[] | null> } {
  let h = helpCache.get(command);
  if (!h) {
    const r = runCli([command, '--help']);
    assert.equal(r.status, 0, `driftscan ${command} is a command: ${r.stderr}`);
    const options = new Map<string, string[] | null>();
    const text = r.stdout.replace(/\n\s{20,}/g, ' ');
    for (const m of text.matchAll(/^\s{2}(?:(-\w), )?(--[\w-]+)[^\n]*/gm)) {
      const choices = /\(choices: ([^)]*?)(?:, default:[^)]*)?\)/.exec(m[0]);
      const list = choices ? [...choices[1]!.matchAll(/"([^"]+)"/g)].map((c) => c[1]!) : null;
      options.set(m[2]!, list);
      if (m[1]) options.set(m[1], list);
    }
    h = { options };
    helpCache.set(command, h);
  }
  return h;
}

function checkCommand(words: string[], where: string): void {
  assert.equal(words[0], 'driftscan', where);
  const command = words[1]!;
  const { options } = helpOf(command);
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('-')) continue;
    const [flag, inline] = w.split('=', 2) as [string, string | undefined];
    assert.ok(options.has(flag), `${where}: driftscan ${command} has no option ${flag}`);
    const choices = options.get(flag);
    if (choices) {
      const value = inline ?? words[i + 1]!;
      assert.ok(choices.includes(value), `${where}: driftscan ${command} ${flag} ${value}: not one of ${choices.join(', ')}`);
    }
  }
}

test('the command extraction sees commands, quoted words and stops at shell operators', () => {
  assert.deepEqual(driftscanCommands('x=1\ndriftscan report --history "$H" --format markdown >> "$GITHUB_STEP_SUMMARY"\n  driftscan scan a \\\n  --quiet || code=$?'), [
    ['driftscan', 'report', '--history', '$H', '--format', 'markdown'],
    ['driftscan', 'scan', 'a', '--quiet'],
  ]);
  // The checker refuses what the CLI refuses.
  checkCommand(['driftscan', 'report', '--since', '7d', '-f', 'html', '--output', 'x'], 'ok');
  assert.throws(() => checkCommand(['driftscan', 'report', '--format', 'pdf'], 'bad value'), /not one of table, json, csv, markdown, html/);
  assert.throws(() => checkCommand(['driftscan', 'report', '--subscription', 'x'], 'bad flag'), /has no option --subscription/);
  assert.throws(() => checkCommand(['driftscan', 'scan', '--all-subscriptions', '--format', 'html'], 'scan has no html'), /not one of/);
});

test('examples/github-actions: weekly cron, OIDC azure/login, history cached between runs, report to the step summary and as an artifact; real driftscan commands', () => {
  const wf = load('github-actions/driftscan-fleet-weekly.yml');
  const on = wf.on as Yaml;
  assert.match(((on.schedule as Yaml[])[0]!.cron as string), /^\S+ \S+ \* \* [0-6]$/, 'a weekly cron');
  assert.equal((wf.permissions as Yaml)['id-token'], 'write', 'OIDC needs id-token: write');
  const steps = Object.values(wf.jobs as Record<string, Yaml>).flatMap((j) => j.steps as Yaml[]);
  const uses = steps.map((s) => s.uses as string | undefined).filter(Boolean) as string[];
  const login = steps.find((s) => String(s.uses).startsWith('azure/login@'));
  assert.ok(login && (login.with as Yaml)['client-id'] && !('creds' in (login.with as Yaml)), 'azure/login with a federated client id, no secret');
  assert.ok(uses.some((u) => u.startsWith('actions/cache/restore@')) && uses.some((u) => u.startsWith('actions/cache/save@')), 'history restored and saved');
  assert.ok(uses.some((u) => u.startsWith('actions/upload-artifact@')), 'reports uploaded');
  const bodies = scripts(wf.jobs, ['run']);
  assert.ok(bodies.some((b) => /driftscan report .*--format markdown.*>> "\$GITHUB_STEP_SUMMARY"/.test(b)), 'Markdown report to the step summary');
  const commands = bodies.flatMap(driftscanCommands);
  assert.deepEqual([...new Set(commands.map((c) => c[1]))].sort(), ['report', 'scan']);
  for (const c of commands) checkCommand(c, 'github-actions');
  assert.ok(commands.some((c) => c.includes('html')), 'an HTML report');
});

test('examples/azure-pipelines: weekly schedule, AzureCLI@2 on a service connection, history as a pipeline artifact, report uploaded to the summary; real driftscan commands', () => {
  const p = load('azure-pipelines/driftscan-fleet-weekly.yml');
  assert.match(((p.schedules as Yaml[])[0]!.cron as string), /^\S+ \S+ \* \* [0-6]$/);
  const steps = p.steps as Yaml[];
  const cli = steps.find((s) => s.task === 'AzureCLI@2');
  assert.ok(cli && typeof (cli.inputs as Yaml).azureSubscription === 'string', 'AzureCLI@2 with a service connection');
  assert.ok(steps.some((s) => s.task === 'DownloadPipelineArtifact@2' && (s.inputs as Yaml).artifact === 'driftscan-history'), 'history downloaded');
  assert.ok(steps.some((s) => s.publish !== undefined && s.artifact === 'driftscan-history'), 'history published');
  const bodies = scripts(p.steps, ['inlineScript', 'script']);
  assert.ok(bodies.some((b) => /##vso\[task\.uploadsummary\]/.test(b)), 'summary uploaded');
  const commands = bodies.flatMap(driftscanCommands);
  assert.deepEqual([...new Set(commands.map((c) => c[1]))].sort(), ['report', 'scan']);
  for (const c of commands) checkCommand(c, 'azure-pipelines');
});
