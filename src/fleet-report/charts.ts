/**
 * The HTML report's charts, as SVG text drawn by Vega-Lite/Vega at report time (in Node: the
 * headless `renderer: 'none'` view's `toSVG()`), so the file needs no script or network to show
 * them. Only the html format loads this file, and with it vega (~1.5 MB): the other formats and
 * every other command never pay for it (it is outside the CLI bundle, scripts/bundle-cli.ts).
 *
 * Every chart has a fixed drawing width and a viewBox; the page scales it down to the screen
 * (`max-width: 100%`), which keeps the phone layout free of horizontal scrolling.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { FleetReportModel } from '../fleet/report-model.js';
import { latestByKey, subscriptionLabel } from './facts.js';

export interface Chart {
  id: string;
  title: string;
  /** One sentence saying what the chart shows, for screen readers and the page. */
  description: string;
  /** Drawn 560 px wide, for screens wider than a phone. */
  svg: string;
  /** Drawn 330 px wide with shorter labels, for a phone (~390 px): scaling the wide one down would shrink its text to ~6 px. */
  svgNarrow: string;
}

const WIDTH = 560;
const NARROW = 330;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const COMPLIANCE_COLORS = { domain: ['Non-compliant', 'Pending', 'Missing', 'Waived', 'Compliant'], range: ['#c0392b', '#e6a23c', '#8e6fb8', '#7f8c8d', '#2e8b57'] };
const SEVERITY_COLORS = { domain: ['Newly drifted', 'Still drifting'], range: ['#e67e22', '#c0392b'] };

/** Counts: whole-number ticks only (Vega would put 0.2, 0.4 … on an axis up to 2). */
const countAxis = (max: number) => ({ format: ',d', ...(max < 8 ? { tickCount: Math.max(1, max) } : {}) });

const config = {
  font: FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 220 },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom', direction: 'horizontal', columns: 3, labelLimit: 200 },
  title: { fontSize: 14 },
};

async function svgOf(spec: Record<string, unknown>, width: number, description: string): Promise<string> {
  const narrow = width < WIDTH;
  const cfg = narrow ? { ...config, axis: { ...config.axis, labelLimit: 110 }, legend: { ...config.legend, columns: 2, labelLimit: 140 } } : config;
  // No $schema: it is a URL, and the page links nowhere.
  const vl = compile({ width, description, config: cfg, ...spec } as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vl), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

async function draw(id: string, title: string, description: string, spec: Record<string, unknown>): Promise<Chart> {
  return { id, title, description, svg: await svgOf(spec, WIDTH, description), svgNarrow: await svgOf(spec, NARROW, description) };
}

const dateLabel = (iso: string) => iso.slice(0, 10);
/** Scans as an ordered category: two scans on the same day stay two bars. */
const scanAxis = (scanId: number, startedAt: string) => `#${scanId} ${dateLabel(startedAt)}`;

export async function renderCharts(m: FleetReportModel): Promise<Chart[]> {
  const charts: Chart[] = [];

  const series = [
    ...m.compliance.map((p) => ({ scan: scanAxis(p.scanId, p.startedAt), series: 'All baselines', percent: p.percentCompliant })),
    ...m.byBaseline.map((p) => ({ scan: scanAxis(p.scanId, p.startedAt), series: p.key, percent: p.percentCompliant })),
  ].filter((p) => p.percent !== null);
  const scanOrder = m.compliance.map((p) => scanAxis(p.scanId, p.startedAt));
  charts.push(await draw('chart-compliance', 'Compliance over time', 'Percentage of machine × baseline pairs compliant (or waived) in each scan, for the fleet and per baseline.', {
    height: 240,
    data: { values: series },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'scan', type: 'ordinal', sort: scanOrder, title: 'Scan', axis: { labelAngle: -40, labelOverlap: 'greedy', labelLimit: 160 } },
      y: { field: 'percent', type: 'quantitative', title: '% compliant', scale: { domain: [0, 100] } },
      color: { field: 'series', type: 'nominal', title: null, sort: ['All baselines'] },
      strokeWidth: { condition: { test: "datum.series === 'All baselines'", value: 3.5 }, value: 1.5 },
    },
  }));

  const top = m.rules.filter((r) => r.newlyDrifted + r.stillDrifting > 0).slice(0, 15);
  if (top.length > 0) {
    const label = (r: (typeof top)[number]) => `${r.baseline} / ${r.ruleId}`;
    charts.push(await draw('chart-rules', 'Top drifting rules', `The ${top.length} rules with the most drifting machines in the latest scan: newly drifted and still drifting.`, {
      height: { step: 20 },
      data: { values: top.flatMap((r) => [{ rule: label(r), kind: 'Newly drifted', machines: r.newlyDrifted }, { rule: label(r), kind: 'Still drifting', machines: r.stillDrifting }]) },
      mark: 'bar',
      encoding: {
        y: { field: 'rule', type: 'nominal', sort: top.map(label), title: null },
        x: { field: 'machines', type: 'quantitative', title: 'Machines drifting', stack: 'zero', axis: countAxis(Math.max(...top.map((r) => r.newlyDrifted + r.stillDrifting))) },
        color: { field: 'kind', type: 'nominal', title: null, scale: SEVERITY_COLORS },
        order: { field: 'kind', sort: 'descending' },
      },
    }));
  }

  const subs = latestByKey(m.bySubscription, m.latest.scanId).slice(0, 20);
  if (subs.length > 0) {
    // The display name alone fits the axis; with the id where two subscriptions share a name.
    const named = subs.map((p) => m.subscriptionNames[p.key]);
    const subLabel = (k: string) => (m.subscriptionNames[k] && named.filter((n) => n === m.subscriptionNames[k]).length === 1 ? m.subscriptionNames[k]! : subscriptionLabel(m, k));
    const states = [['Non-compliant', 'nonCompliant'], ['Pending', 'pending'], ['Missing', 'missing'], ['Waived', 'waived'], ['Compliant', 'compliant']] as const;
    charts.push(await draw('chart-subscriptions', 'By subscription', `Machine × baseline pairs per subscription in the latest scan, by compliance (the ${subs.length} with the most non-compliant).`, {
      height: { step: 20 },
      data: { values: subs.flatMap((p) => states.map(([state, field], order) => ({ subscription: subLabel(p.key), state, order, machines: p[field] }))) },
      mark: 'bar',
      encoding: {
        y: { field: 'subscription', type: 'nominal', sort: subs.map((p) => subLabel(p.key)), title: null, axis: { labelLimit: 260 } },
        x: { field: 'machines', type: 'quantitative', title: 'Machine × baseline pairs', stack: 'zero', axis: countAxis(Math.max(...subs.map((p) => p.compliant + p.nonCompliant + p.waived + p.pending + p.missing))) },
        color: { field: 'state', type: 'nominal', title: null, scale: COMPLIANCE_COLORS },
        order: { field: 'order', type: 'quantitative' },
      },
    }));
  }

  if (m.changes.length > 0) {
    charts.push(await draw('chart-changes', 'New vs fixed', 'Findings newly drifted and fixed in each scan, each against the scan before it.', {
      height: 220,
      data: { values: m.changes.flatMap((c) => [{ scan: scanAxis(c.scanId, c.startedAt), kind: 'Newly drifted', findings: c.newlyDrifted }, { scan: scanAxis(c.scanId, c.startedAt), kind: 'Fixed', findings: c.fixed }]) },
      mark: 'bar',
      encoding: {
        x: { field: 'scan', type: 'ordinal', sort: m.changes.map((c) => scanAxis(c.scanId, c.startedAt)), title: 'Scan', axis: { labelAngle: -40, labelOverlap: 'greedy', labelLimit: 160 } },
        xOffset: { field: 'kind', type: 'nominal', sort: ['Newly drifted', 'Fixed'] },
        y: { field: 'findings', type: 'quantitative', title: 'Findings', axis: countAxis(Math.max(...m.changes.map((c) => Math.max(c.newlyDrifted, c.fixed)))) },
        color: { field: 'kind', type: 'nominal', title: null, sort: ['Newly drifted', 'Fixed'], scale: { domain: ['Newly drifted', 'Fixed'], range: ['#e67e22', '#2e8b57'] } },
      },
    }));
  }
  return charts;
}
