/**
 * The JSON Schema of a baseline file, composed from the core document shape and each rule
 * kind's fragment (so a new kind brings its own schema). `schema/baseline.schema.json` is this
 * object written out for editors (yaml-language-server); a test keeps the two identical.
 */
import { RULE_KINDS } from '../rules/index.js';
import { ASSIGNMENT_TYPES, SEVERITIES } from '../rules/model.js';

export const SCHEMA_ID = 'https://driftscan.dev/schema/baseline.schema.json';

/** Rule ids become DSC resource names and SARIF rule ids: keep them to safe characters. */
export const RULE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$';
/** Baseline names become package, MOF and configuration names. */
export const BASELINE_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';
export const SEMVER_PATTERN = '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$';

/** Builds the schema object. */
export function baselineSchema(): Record<string, unknown> {
  const kindProps = Object.fromEntries(RULE_KINDS.map((k) => [k.name, { ...k.schema, description: k.summary }]));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'driftscan baseline',
    description: 'A driftscan baseline: registry, ACL and service rules for Windows machines.',
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { const: 'driftscan/v1' },
      kind: { const: 'Baseline' },
      metadata: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'version', 'title'],
        properties: {
          name: { type: 'string', pattern: BASELINE_NAME_PATTERN, description: 'Package-safe identifier (letters, digits, - and _; starts with a letter)' },
          version: { type: 'string', pattern: SEMVER_PATTERN, description: 'Semantic version MAJOR.MINOR.PATCH' },
          title: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          owner: { type: 'string' },
          references: { type: 'array', items: { type: 'string' } },
        },
      },
      spec: {
        type: 'object',
        additionalProperties: false,
        required: ['rules'],
        properties: {
          assignment: {
            type: 'object',
            additionalProperties: false,
            properties: {
              type: { enum: [...ASSIGNMENT_TYPES], default: 'Audit' },
              frequencyMinutes: { type: 'integer', minimum: 15, maximum: 1440 },
              remoteAccessAcknowledgement: { type: 'string', minLength: 10, description: 'Why enforcing remote-access settings is safe for these machines' },
              unsupportedRules: { enum: ['fail', 'omit'], default: 'fail', description: 'Rules no DSC resource checks faithfully: fail the compile, or omit them from the package (audited by driftscan check only)' },
            },
          },
          parameters: {
            type: 'object',
            propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              required: ['type', 'default'],
              properties: {
                type: { enum: ['string', 'integer', 'boolean', 'array'] },
                default: {},
                description: { type: 'string' },
                allowedValues: { type: 'array' },
              },
            },
          },
          rules: { type: 'array', minItems: 1, items: { $ref: '#/$defs/rule' } },
          waivers: { type: 'array', items: { $ref: '#/$defs/waiver' } },
        },
      },
    },
    $defs: {
      param: {
        type: 'object',
        additionalProperties: false,
        required: ['param'],
        properties: { param: { type: 'string', description: 'Name of a parameter in spec.parameters' } },
      },
      identityObject: {
        type: 'object',
        additionalProperties: false,
        required: ['sid'],
        properties: { sid: { type: 'string', pattern: '^[Ss]-1-' }, name: { type: 'string' } },
      },
      rule: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title', 'severity'],
        properties: {
          id: { type: 'string', pattern: RULE_ID_PATTERN, description: 'Stable id, unique in the baseline (becomes a DSC resource name)' },
          title: { type: 'string', minLength: 1 },
          severity: { enum: [...SEVERITIES] },
          rationale: { type: 'string' },
          remediation: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
          ...kindProps,
        },
      },
      waiver: {
        type: 'object',
        additionalProperties: false,
        required: ['rule', 'reason', 'owner', 'expires'],
        properties: {
          rule: { type: 'string', description: 'Rule id or glob (rdp-*)' },
          reason: { type: 'string', minLength: 1 },
          owner: { type: 'string', minLength: 1 },
          expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD; valid through that day (UTC)' },
        },
      },
    },
  };
}
