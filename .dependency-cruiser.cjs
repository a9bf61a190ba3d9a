/**
 * The import rule of docs/architecture.md, checked by `npm test` (test/architecture.test.ts):
 * each top-level folder of src/ is one stage, and a stage imports only stages listed before it.
 * A wrong-way import fails with both files named; so does any import cycle.
 */
const STAGES = [
  'core',        // errors with locations, source positions, version, redaction, suggestions
  'validation',  // JSON Schema validators (ajv, precompiled at build time)
  'windows',     // the Windows data model: SIDs, SDDL, security descriptors, registry paths and values
  'disk',        // disk images on a ByteSource: VHD, VHDX, MBR/GPT partitions, NTFS (pure: no fs/net)
  'io',          // the edge: reading input files, writing output files, the redacting console
  'state',       // machine state: the source contract and the .reg, snapshot and hive sources
  'dsc',         // Machine Configuration vocabulary: DSC resources, modules, the lock-out guard
  'rules',       // the rule model and the rule kinds (schema, parse, evaluate, describe, DSC mapping)
  'baseline',    // YAML baselines → the rule model
  'evaluate',    // rules × state → verdicts
  'export',      // hive → .reg / JSON dumps
  'compile',     // rules → MOF, packages, Azure Policy JSON (in memory)
  'rollout',     // plans: desired vs actual Azure resources → create/update/unchanged/delete, and applying them
  'report',      // one run's verdicts → table, JSON, SARIF, JUnit, Markdown
  'azure',       // the only stage that talks to Azure (ARM, Resource Graph, Blob Storage)
  'notify',      // issue trackers for failed remediation: GitHub Issues, Azure DevOps work items
  'fleet',       // fleet scan results, history and fleet reports
  'cli',         // the command line: flags, wiring, exit codes
];

/** Stages that must stay pure: no file system, network or processes (the edges do that for them). */
const PURE = ['windows', 'disk', 'dsc', 'rules', 'evaluate', 'export', 'compile', 'rollout', 'report'];

const upward = STAGES.map((stage, i) => ({
  name: `no-upward-from-${stage}`,
  comment: `src/${stage}/ may import only the stages below it (${STAGES.slice(0, i).join(', ') || 'none'}); see docs/architecture.md`,
  severity: 'error',
  from: { path: `^src/${stage}/` },
  to: { path: `^src/(${STAGES.slice(i + 1).join('|') || '$^'})/` },
})).filter((r) => r.to.path !== '^src/($^)/');

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-cycles',
      comment: 'import cycles hide which module depends on which; move the shared part down',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'stages-only',
      comment: 'every source file belongs to a stage folder listed in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${STAGES.join('|')})/` },
      to: {},
    },
    {
      name: 'pure-core-no-io',
      comment: `${PURE.join(', ')} are pure: I/O (files, network, processes) belongs to io/, state/, azure/ or cli/`,
      severity: 'error',
      from: { path: `^src/(${PURE.join('|')})/` },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads)$' },
    },
    {
      name: 'pure-core-no-io-stage',
      comment: `${PURE.join(', ')} are pure and do not import the io stage`,
      severity: 'error',
      from: { path: `^src/(${PURE.join('|')})/` },
      to: { path: '^src/io/' },
    },
    {
      name: 'src-not-from-tests',
      comment: 'shipped code never imports test helpers or fixtures',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
