/**
 * `--notify github|azure-devops` against local fakes of each API (test/support/github-fake.ts,
 * azure-devops-fake.ts) on 127.0.0.1: one tracking item per failed task, no duplicate on a rerun or
 * within a run, retries on 429/5xx/rate limits, the flags checked before anything is sent, and the
 * token in no output line or error — also when the service echoes it back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkNotifyFlags, exitAfterNotify, notifyFailures, type NotifyRunOptions } from '../src/cli/notify-options.js';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import { DriftscanError } from '../src/core/diagnostics.js';
import { rateLimitWaitMs } from '../src/notify/tracker-retry.js';
import { redactSecrets } from '../src/core/redact.js';
import type { NotifyTarget } from '../src/notify/target.js';
import { markedTaskName, TRACKING_LABEL, trackingMarker } from '../src/notify/tracking-body.js';
import { AzureDevOpsFake } from './support/azure-devops-fake.js';
import { GitHubFake } from './support/github-fake.js';
import { failedTask } from './support/notify-fixtures.js';

const GH_TOKEN = `ghp_${'A1b2C3d4E5'.repeat(3)}xYz789`;
const ADO_TOKEN = 'q4x2m7k9p3z8w1v6r5t0y2u4i8o3a7s1d5f9g2h6j0k4l8m3n7b1'; // shape of a PAT: 52 base32 characters

/** Collects what notifyFailures prints, unredacted (so a leak is seen, not hidden by the console). */
function capture(): { lines: string[]; options: NotifyRunOptions } {
  const lines: string[] = [];
  const sink = { line: (t: string) => void lines.push(t) };
  return { lines, options: { out: sink, err: sink, retry: { baseDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 20_000 } };
}

async function withGitHub(fn: (fake: GitHubFake, target: NotifyTarget) => Promise<void>, opts: Partial<ConstructorParameters<typeof GitHubFake>[0]> = {}): Promise<void> {
  const fake = await new GitHubFake({ token: GH_TOKEN, owner: 'contoso', repo: 'fleet', ...opts }).start();
  try {
    const target = checkNotifyFlags({ notify: 'github' }, { GITHUB_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'contoso/fleet', GITHUB_API_URL: fake.apiUrl })!;
    await fn(fake, target);
  } finally {
    await fake.close();
  }
}

async function withAzureDevOps(fn: (fake: AzureDevOpsFake, target: NotifyTarget) => Promise<void>, env: Record<string, string> = { SYSTEM_ACCESSTOKEN: ADO_TOKEN }, flags: Record<string, string> = {}, types?: string[]): Promise<void> {
  const fake = await new AzureDevOpsFake({ token: ADO_TOKEN, org: 'contoso', project: 'Fleet Ops', ...(types ? { types } : {}) }).start();
  try {
    const target = checkNotifyFlags({ notify: 'azure-devops', ...flags }, { SYSTEM_COLLECTIONURI: fake.orgUrl, SYSTEM_TEAMPROJECT: 'Fleet Ops', ...env })!;
    await fn(fake, target);
  } finally {
    await fake.close();
  }
}

test('github: one issue per failed task, labelled and marked with the task name, the label created first', async () => {
  await withGitHub(async (fake, target) => {
    const { lines, options } = capture();
    const outcome = await notifyFailures(target, [failedTask('rem-a-0'), failedTask('rem-b-0', 3)], options);
    assert.deepEqual(outcome.tasks.map((t) => [t.taskName, t.outcome, t.item?.reference]), [['rem-a-0', 'created', '#1'], ['rem-b-0', 'created', '#2']]);
    assert.equal(outcome.failed, 0);
    assert.ok(fake.labels.has(TRACKING_LABEL));
    assert.equal(fake.served('POST', /\/labels$/).length, 1);
    assert.equal(fake.issues.length, 2);
    for (const [i, name] of ['rem-a-0', 'rem-b-0'].entries()) {
      const issue = fake.issues[i]!;
      assert.deepEqual(issue.labels, [TRACKING_LABEL]);
      assert.equal(issue.title, `driftscan remediation failed: ${name}`);
      assert.equal(markedTaskName(issue.body), name);
      assert.ok(issue.body.startsWith(trackingMarker(name)));
    }
    // Machines with rule, reason and error, one row each.
    assert.match(fake.issues[1]!.body, /\| vm-002 \| rg-app \| Failed \| audit-logon \| expected Success and Failure, found No Auditing \| The guest configuration assignment failed on vm-2: access denied \|/);
    assert.match(lines.join('\n'), /notify github: rem-a-0: created #1 https:\/\/github\.example\/contoso\/fleet\/issues\/1/);
    assert.match(lines.at(-1)!, /notify github \(contoso\/fleet\): 2 created, 0 updated, 0 reopened, 0 failed/);
  });
});

test('github: a rerun opens no duplicate — it comments; a new task in a later run gets its own issue; a task twice in one run is one issue', async () => {
  await withGitHub(async (fake, target) => {
    await notifyFailures(target, [failedTask('rem-a-0'), failedTask('rem-b-0')], capture().options);
    const again = await notifyFailures(target, [failedTask('rem-a-0', 1), failedTask('rem-b-0')], capture().options);
    assert.deepEqual(again.tasks.map((t) => [t.outcome, t.item?.reference]), [['updated', '#1'], ['updated', '#2']]);
    assert.equal(fake.issues.length, 2);
    assert.equal(fake.issues[0]!.comments.length, 1);
    assert.match(fake.issues[0]!.comments[0]!, /failed again/);
    assert.match(fake.issues[0]!.comments[0]!, /\| Failed machines \| 1 \|/);
    const third = await notifyFailures(target, [failedTask('rem-c-0'), failedTask('rem-c-0', 4), failedTask('rem-a-0')], capture().options);
    assert.deepEqual(third.tasks.map((t) => [t.taskName, t.outcome, t.item?.reference]), [['rem-c-0', 'created', '#3'], ['rem-c-0', 'updated', '#3'], ['rem-a-0', 'updated', '#1']]);
    assert.equal(fake.issues.length, 3);
    assert.equal(fake.served('POST', /\/issues$/).length, 3);
  });
});

test('github: a closed issue is reopened with a comment, one closed as not planned only gets the comment; pull requests and other issues do not count; every page is read', async () => {
  await withGitHub(async (fake, target) => {
    const labels = [TRACKING_LABEL];
    for (let i = 0; i < 5; i++) fake.seed({ title: `other ${i}`, body: trackingMarker(`old-${i}`), labels, state: 'closed', state_reason: 'completed' });
    const closed = fake.seed({ title: 'x', body: `${trackingMarker('rem-a-0')}\nold`, labels, state: 'closed', state_reason: 'completed' });
    const notPlanned = fake.seed({ title: 'y', body: trackingMarker('rem-b-0'), labels, state: 'closed', state_reason: 'not_planned' });
    fake.seed({ title: 'pr', body: trackingMarker('rem-c-0'), labels, state: 'open', state_reason: null, pull_request: { url: 'x' } });
    fake.seed({ title: 'unlabelled', body: trackingMarker('rem-d-0'), labels: [], state: 'open', state_reason: null });
    fake.labels.add(TRACKING_LABEL);
    const outcome = await notifyFailures(target, ['rem-a-0', 'rem-b-0', 'rem-c-0', 'rem-d-0'].map((n) => failedTask(n)), capture().options);
    assert.deepEqual(outcome.tasks.map((t) => [t.taskName, t.outcome]), [['rem-a-0', 'reopened'], ['rem-b-0', 'updated'], ['rem-c-0', 'created'], ['rem-d-0', 'created']]);
    assert.equal(closed.state, 'open');
    assert.equal(closed.comments.length, 1);
    assert.equal(notPlanned.state, 'closed');
    assert.equal(notPlanned.comments.length, 1);
    assert.equal(fake.served('GET', /\/issues$/).length, 4, 'all 8 labelled issues, 2 a page, through the Link header');
    assert.equal(fake.served('POST', /\/labels$/).length, 0, 'an existing label is not created again');
  }, { maxPerPage: 2 });
});

test('github: throttling is retried — 429 with Retry-After, 500s, a 403 rate limit — and each issue is created exactly once', async () => {
  await withGitHub(async (fake, target) => {
    fake.inject({ method: 'POST', path: /\/issues$/, status: 429, headers: { 'retry-after': '1' }, body: { message: 'API rate limit exceeded' } });
    fake.inject({ method: 'POST', path: /\/issues$/, status: 500, body: { message: 'Server Error' }, times: 2 });
    fake.inject({ method: 'GET', path: /\/issues$/, status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000)) }, body: { message: 'API rate limit exceeded for installation' } });
    const started = Date.now();
    const outcome = await notifyFailures(target, [failedTask('rem-a-0')], capture().options);
    assert.equal(outcome.failed, 0, JSON.stringify(outcome));
    assert.ok(Date.now() - started >= 900, 'Retry-After: 1 was honoured');
    assert.equal(fake.issues.length, 1);
    assert.equal(fake.requests.filter((r) => r.method === 'POST' && /\/issues$/.test(r.path)).length, 4);
  });
});

test('rate limits: Retry-After, an exhausted x-ratelimit-remaining until its reset, a secondary limit by its message; a plain 403 or 404 is none', () => {
  const res = (status: number, headers: Record<string, string>, body = '') => ({ status, headers: createHttpHeaders(headers), bodyAsText: body });
  const now = 1_700_000_000_000;
  assert.equal(rateLimitWaitMs(res(429, { 'retry-after': '7' }), now), 7000);
  assert.equal(rateLimitWaitMs(res(403, { 'retry-after': '2' }), now), 2000);
  assert.equal(rateLimitWaitMs(res(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 30) }), now), 30_000);
  assert.equal(rateLimitWaitMs(res(403, {}, '{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}'), now), 60_000);
  assert.equal(rateLimitWaitMs(res(403, { 'x-ratelimit-remaining': '12' }, '{"message":"Resource not accessible by integration"}'), now), undefined);
  assert.equal(rateLimitWaitMs(res(404, { 'retry-after': '3' }), now), undefined);
});

test('github: a 403 without a rate limit is not retried, names GitHub and the status, and stops the remaining tasks', async () => {
  await withGitHub(async (fake, target) => {
    fake.inject({ method: 'POST', path: /\/issues$/, status: 403, body: { message: 'Resource not accessible by integration' }, times: 10 });
    const { lines, options } = capture();
    const outcome = await notifyFailures(target, [failedTask('rem-a-0'), failedTask('rem-b-0')], options);
    assert.equal(outcome.failed, 2);
    assert.equal(fake.requests.filter((r) => r.method === 'POST' && /\/issues$/.test(r.path)).length, 1);
    assert.match(outcome.tasks[0]!.error!, /^GitHub gave the token no permission for POST \/repos\/contoso\/fleet\/issues: HTTP 403: Resource not accessible by integration$/);
    assert.match(outcome.tasks[1]!.error!, /^not sent: GitHub gave the token/);
    assert.match(lines.at(-1)!, /0 created, 0 updated, 0 reopened, 2 failed/);
    assert.equal(exitAfterNotify(0, outcome), 3);
    assert.equal(exitAfterNotify(1, outcome), 1, 'a notification failure never hides the remediation failure');
  });
});

test('github: a wait past the notification deadline fails at once, and 5xx that keep coming fail after the retries, each naming the status and the attempts', async () => {
  await withGitHub(async (fake, target) => {
    fake.labels.add(TRACKING_LABEL);
    fake.inject({ method: 'POST', path: /\/issues$/, status: 429, headers: { 'retry-after': '600' }, body: { message: 'API rate limit exceeded' } });
    fake.inject({ method: 'POST', path: /\/issues$/, status: 502, body: { message: 'Server Error' }, times: 3 });
    const started = Date.now();
    const { options } = capture();
    const o = await notifyFailures(target, [failedTask('rem-a-0'), failedTask('rem-b-0')], { ...options, timeoutMs: 5000, retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    assert.ok(Date.now() - started < 4000, 'did not sleep into the deadline');
    assert.equal(o.tasks[0]!.error, 'gave up on GitHub for POST /repos/contoso/fleet/issues: HTTP 429 (429 rate limited for 10 m; waiting would pass the 5 s notification deadline)');
    assert.equal(o.tasks[1]!.error, 'GitHub kept failing POST /repos/contoso/fleet/issues: HTTP 502: Server Error (3 attempts)');
    assert.equal(fake.issues.length, 0);
  });
});

test('github: GitHub Enterprise Server API root (GITHUB_API_URL=…/api/v3) is followed', async () => {
  await withGitHub(async (fake, target) => {
    const outcome = await notifyFailures(target, [failedTask('rem-a-0')], capture().options);
    assert.equal(outcome.failed, 0);
    assert.ok(fake.requests.every((r) => r.path.startsWith('/api/v3/repos/contoso/fleet/')), fake.requests.map((r) => r.path).join('\n'));
  }, { pathPrefix: '/api/v3' });
});

test('azure-devops: one work item per failed task from a JSON Patch document, tagged, Markdown; a rerun comments instead of creating', async () => {
  await withAzureDevOps(async (fake, target) => {
    const first = await notifyFailures(target, [failedTask('rem-a-0'), failedTask('rem-b-0')], capture().options);
    assert.deepEqual(first.tasks.map((t) => [t.outcome, t.item?.reference]), [['created', 'work item 1001'], ['created', 'work item 1002']]);
    assert.equal(first.tasks[0]!.item!.url, `${fake.orgUrl}Fleet%20Ops/_workitems/edit/1001`);
    const item = fake.items[0]!;
    assert.equal(item.type, 'Issue');
    assert.equal(item.fields['System.Title'], 'driftscan remediation failed: rem-a-0');
    assert.deepEqual(item.tags, [TRACKING_LABEL]);
    assert.equal(item.formats['System.Description'], 'Markdown');
    assert.equal(markedTaskName(String(item.fields['System.Description'])), 'rem-a-0');
    const create = fake.served('POST', /\/workitems\/\$Issue$/)[0]!;
    assert.equal(create.headers['content-type'], 'application/json-patch+json');
    assert.ok(create.headers.authorization === `Bearer ${ADO_TOKEN}`);

    const again = await notifyFailures(target, [failedTask('rem-b-0'), failedTask('rem-c-0')], capture().options);
    assert.deepEqual(again.tasks.map((t) => [t.outcome, t.item?.reference]), [['updated', 'work item 1002'], ['created', 'work item 1003']]);
    assert.equal(fake.items.length, 3);
    assert.equal(fake.items[1]!.comments.length, 1);
    assert.equal(fake.items[1]!.comments[0]!.format, 'markdown');
    assert.match(fake.items[1]!.comments[0]!.text, /failed again/);
  });
});

test("azure-devops: a personal access token goes as Basic; Bug puts the text in Repro Steps; a type the project lacks fails naming Azure DevOps and the status; a title with a quote is queried correctly", async () => {
  await withAzureDevOps(async (fake, target) => {
    assert.equal(target.service === 'azure-devops' && target.tokenKind, 'basic');
    const o = await notifyFailures(target, [failedTask("rem-o'brien-0"), failedTask("rem-o'brien-0")], capture().options);
    assert.deepEqual(o.tasks.map((t) => t.outcome), ['created', 'updated']);
    assert.equal(fake.items[0]!.type, 'Bug');
    assert.equal(fake.items[0]!.formats['Microsoft.VSTS.TCM.ReproSteps'], 'Markdown');
    assert.ok(fake.requests.every((r) => r.headers.authorization === `Basic ${Buffer.from(`:${ADO_TOKEN}`).toString('base64')}`));
  }, { AZURE_DEVOPS_EXT_PAT: ADO_TOKEN }, { notifyWorkItemType: 'Bug' }, ['Bug', 'Task', 'Product Backlog Item']);
  await withAzureDevOps(async (_fake, target) => {
    const o = await notifyFailures(target, [failedTask('rem-a-0')], capture().options);
    assert.equal(o.failed, 1);
    assert.match(o.tasks[0]!.error!, /^Azure DevOps found nothing at POST \/contoso\/Fleet%20Ops\/_apis\/wit\/workitems\/\$Issue: HTTP 404: VS402323: Work item type Issue does not exist/);
  }, undefined, undefined, ['Bug', 'Task']);
});

test('azure-devops: 429 with Retry-After and 503 are retried; a sign-in page (203) is a refused token, not a success', async () => {
  await withAzureDevOps(async (fake, target) => {
    fake.inject({ method: 'POST', path: /\/wiql$/, status: 429, headers: { 'retry-after': '0' }, body: { message: 'TF400733: request was blocked due to exceeding usage of resource' } });
    fake.inject({ method: 'POST', path: /\/workitems\//, status: 503, times: 1 });
    const o = await notifyFailures(target, [failedTask('rem-a-0')], capture().options);
    assert.equal(o.failed, 0, JSON.stringify(o));
    assert.equal(fake.items.length, 1);
  });
  const fake = await new AzureDevOpsFake({ token: 'the-right-one-123', org: 'contoso', project: 'p', signInPage: true }).start();
  try {
    const target = checkNotifyFlags({ notify: 'azure-devops', notifyOrg: fake.orgUrl, notifyProject: 'p' }, { AZURE_DEVOPS_EXT_PAT: ADO_TOKEN })!;
    const o = await notifyFailures(target, [failedTask('rem-a-0')], capture().options);
    assert.match(o.tasks[0]!.error!, /^Azure DevOps refused POST \/contoso\/p\/_apis\/wit\/wiql: HTTP 203: answered with a sign-in page/);
    assert.equal(fake.items.length, 0);
  } finally {
    await fake.close();
  }
});

test('flags and environment are checked before anything is sent: a missing token, repository, organisation or project is a usage error naming the variable', () => {
  const usage = (flags: Record<string, string>, env: Record<string, string>, pattern: RegExp) => {
    assert.throws(() => checkNotifyFlags(flags, env), (e: unknown) => e instanceof DriftscanError && e.kind === 'usage' && pattern.test(e.message));
  };
  assert.equal(checkNotifyFlags({}, {}), undefined);
  usage({ notifyRepo: 'a/b' }, {}, /--notify-repo needs --notify/);
  usage({ notify: 'github' }, { GITHUB_REPOSITORY: 'a/b' }, /GITHUB_TOKEN \(or GH_TOKEN\).*issues: write/);
  usage({ notify: 'github' }, { GITHUB_TOKEN: GH_TOKEN }, /--notify-repo OWNER\/NAME or set GITHUB_REPOSITORY/);
  usage({ notify: 'github', notifyRepo: 'not-a-repo' }, { GITHUB_TOKEN: GH_TOKEN }, /--notify-repo 'not-a-repo' is not OWNER\/NAME/);
  usage({ notify: 'github' }, { GITHUB_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'a/b', GITHUB_API_URL: 'http://github.internal.example/api/v3' }, /GITHUB_API_URL .*plain HTTP/);
  usage({ notify: 'github', notifyProject: 'p' }, { GITHUB_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'a/b' }, /for --notify azure-devops/);
  usage({ notify: 'azure-devops' }, { SYSTEM_ACCESSTOKEN: ADO_TOKEN, SYSTEM_TEAMPROJECT: 'p' }, /SYSTEM_COLLECTIONURI/);
  usage({ notify: 'azure-devops' }, { SYSTEM_ACCESSTOKEN: ADO_TOKEN, SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/' }, /SYSTEM_TEAMPROJECT/);
  usage({ notify: 'azure-devops' }, { SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/', SYSTEM_TEAMPROJECT: 'p' }, /SYSTEM_ACCESSTOKEN .*AZURE_DEVOPS_EXT_PAT/);
  usage({ notify: 'slack' }, {}, /not one of github, azure-devops/);
  const gh = checkNotifyFlags({ notify: 'github', notifyRepo: 'contoso/fleet' }, { GH_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'other/repo' });
  assert.deepEqual(gh, { service: 'github', apiUrl: 'https://api.github.com', owner: 'contoso', repo: 'fleet', token: GH_TOKEN, tokenVariable: 'GH_TOKEN' });
  const ado = checkNotifyFlags({ notify: 'azure-devops' }, { SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/', SYSTEM_TEAMPROJECT: 'Fleet', SYSTEM_ACCESSTOKEN: ADO_TOKEN, AZURE_DEVOPS_EXT_PAT: 'another-token-value' });
  assert.deepEqual(ado, { service: 'azure-devops', orgUrl: 'https://dev.azure.com/contoso/', project: 'Fleet', workItemType: 'Issue', token: ADO_TOKEN, tokenKind: 'bearer', tokenVariable: 'SYSTEM_ACCESSTOKEN' });
  // Registered: nothing the console prints can hold them from now on.
  assert.equal(redactSecrets(`x ${ADO_TOKEN} y`), 'x REDACTED y');
});

test('GitHub token shapes are redacted wherever they appear', () => {
  for (const token of [`ghp_${'a'.repeat(36)}`, `gho_${'B1'.repeat(18)}`, `ghs_${'c2'.repeat(18)}`, `ghu_${'D'.repeat(36)}`, `ghr_${'e'.repeat(36)}`, `github_pat_11ABCDEFG0${'x_Y1'.repeat(20)}`]) {
    assert.equal(redactSecrets(`token=${token}; "${token}" (${token})`), 'token=REDACTED; "REDACTED" (REDACTED)', token);
  }
  assert.equal(redactSecrets('the ghp_ prefix and github_pat_ alone are words'), 'the ghp_ prefix and github_pat_ alone are words');
});

/** Runs test/support/notify-driver.ts in a child process: the real console, as `remediate` prints. */
function runDriver(flags: object, failures: object[], env: Record<string, string>, remediationExit = 1): Promise<{ status: number; out: string }> {
  const driver = join(fileURLToPath(new URL('.', import.meta.url)), 'support', `notify-driver${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, driver, JSON.stringify(flags), JSON.stringify(failures), String(remediationExit)], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ status: code ?? -1, out }));
  });
}

test('the token appears in no output line and no error, even when the service echoes the Authorization header back', async () => {
  // No known token shape: only its registration by checkNotifyFlags can keep it out of the output.
  const wrong = 'plain0123456789abcdefWRONGtoken';
  await withGitHub(async (fake) => {
    const env = { GITHUB_TOKEN: wrong, GITHUB_REPOSITORY: 'contoso/fleet', GITHUB_API_URL: fake.apiUrl };
    const r = await runDriver({ notify: 'github' }, [failedTask('rem-a-0'), failedTask('rem-b-0')], env, 0);
    assert.equal(r.status, 3, r.out);
    assert.match(r.out, /GitHub did not accept the token for GET \/repos\/contoso\/fleet\/labels\/driftscan-remediation: HTTP 401: Bad credentials \(got 'REDACTED'\)/);
    assert.ok(!r.out.includes(wrong), r.out);
    const ok = await runDriver({ notify: 'github' }, [failedTask('rem-a-0')], { ...env, GITHUB_TOKEN: GH_TOKEN }, 1);
    assert.equal(ok.status, 1, ok.out);
    assert.match(ok.out, /rem-a-0: created #1/);
    assert.ok(!ok.out.includes(GH_TOKEN), ok.out);
  }, { echoCredentials: true });
  const missing = await runDriver({ notify: 'azure-devops', notifyOrg: 'https://dev.azure.com/contoso', notifyProject: 'p' }, [], {});
  assert.equal(missing.status, 2);
  assert.match(missing.out, /error: --notify azure-devops needs a token in SYSTEM_ACCESSTOKEN/);
});
