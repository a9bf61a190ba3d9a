/**
 * Reading build/ back: `deploy` consumes what `compile` (and `publish`, which rewrites contentUri in
 * the same files) wrote — `manifest.json`, `<name>/<name>_<effect>.json` policy definitions and
 * `initiatives/<folder>.json`. Each text is checked against a JSON Schema of the fields deploy reads
 * (ajv), and every problem is one line naming `file:line:col`: a hand-edited or half-copied build/
 * fails here, before anything is read from or sent to Azure. Pure: texts in, objects out.
 */
import { DriftscanError } from '../core/diagnostics.js';
import { locatePointer } from '../core/source-position.js';
import { jsonSyntaxError } from '../core/json-syntax.js';
import { loadValidator } from '../validation/precompiled-validator.js';
import type { ValidatorSpec } from '../validation/validator-spec.js';
import { ASSIGNMENT_TYPES, type AssignmentType } from '../rules/model.js';
import type { PolicyDefinition, PolicySetDefinition } from './policy/model.js';

export interface ManifestPackage {
  name: string;
  version: string;
  /** The baseline file as compile was given it (relative to where compile ran). */
  baseline: string;
  assignmentType: AssignmentType;
  contentHash: string;
  contentUri?: string;
  /** Policy files of the package, relative to build/. */
  policies: string[];
}

export interface BuildManifest {
  manifestVersion: 1;
  packages: ManifestPackage[];
  initiatives: string[];
}

const NAME = '^[A-Za-z0-9_-]{1,64}$';

const manifestSchema = () => ({
  type: 'object',
  required: ['manifestVersion', 'packages'],
  properties: {
    manifestVersion: { const: 1 },
    packages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'version', 'baseline', 'assignmentType', 'contentHash', 'policies'],
        properties: {
          name: { type: 'string', minLength: 1 },
          version: { type: 'string', minLength: 1 },
          baseline: { type: 'string', minLength: 1 },
          assignmentType: { enum: [...ASSIGNMENT_TYPES] },
          contentHash: { type: 'string', pattern: '^[0-9A-F]{64}$' },
          contentUri: { type: 'string' },
          policies: { type: 'array', items: { type: 'string', pattern: '^[^/\\\\]+/[^/\\\\]+\\.json$' } },
        },
      },
    },
    initiatives: { type: 'array', items: { type: 'string', pattern: '^initiatives/[^/\\\\]+\\.json$' } },
  },
});

const definitionSchema = () => ({
  type: 'object',
  required: ['name', 'properties'],
  properties: {
    name: { type: 'string', pattern: NAME },
    properties: {
      type: 'object',
      required: ['displayName', 'policyType', 'mode', 'metadata', 'parameters', 'policyRule'],
      properties: {
        displayName: { type: 'string', minLength: 1, maxLength: 128 },
        policyType: { const: 'Custom' },
        mode: { type: 'string' },
        description: { type: 'string', maxLength: 512 },
        metadata: {
          type: 'object',
          required: ['category', 'guestConfiguration'],
          properties: {
            category: { const: 'Guest Configuration' },
            guestConfiguration: {
              type: 'object',
              required: ['name', 'version', 'contentUri', 'contentHash'],
              properties: {
                name: { type: 'string' },
                version: { type: 'string' },
                contentUri: { type: 'string', pattern: '^https://' },
                contentHash: { type: 'string', pattern: '^[0-9A-F]{64}$' },
              },
            },
          },
        },
        parameters: { type: 'object' },
        policyRule: {
          type: 'object',
          required: ['if', 'then'],
          properties: {
            if: { type: 'object' },
            then: {
              type: 'object',
              required: ['effect', 'details'],
              properties: {
                effect: { type: 'string' },
                details: { type: 'object', properties: { roleDefinitionIds: { type: 'array', items: { type: 'string', pattern: '/providers/Microsoft\\.Authorization/roleDefinitions/[0-9a-fA-F-]{36}$' } } } },
              },
            },
          },
        },
      },
    },
  },
});

const initiativeSchema = () => ({
  type: 'object',
  required: ['name', 'properties'],
  properties: {
    name: { type: 'string', pattern: NAME },
    properties: {
      type: 'object',
      required: ['displayName', 'policyType', 'parameters', 'policyDefinitions'],
      properties: {
        displayName: { type: 'string', minLength: 1, maxLength: 128 },
        policyType: { const: 'Custom' },
        parameters: { type: 'object' },
        policyDefinitions: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['policyDefinitionReferenceId', 'policyDefinitionId'],
            properties: {
              policyDefinitionReferenceId: { type: 'string', minLength: 1 },
              policyDefinitionId: { type: 'string', pattern: '/providers/Microsoft\\.Authorization/policyDefinitions/[^/]+$' },
              parameters: { type: 'object' },
            },
          },
        },
      },
    },
  },
});

const spec = (schema: () => object): ValidatorSpec => ({ schema, options: { allErrors: false, strict: false } });
export const BUILD_MANIFEST_VALIDATOR = spec(manifestSchema);
export const POLICY_DEFINITION_VALIDATOR = spec(definitionSchema);
export const POLICY_SET_VALIDATOR = spec(initiativeSchema);
/** The precompiled validators the build writes beside this module (dist/src/compile/). */
export const BUILD_VALIDATOR_FILES = { manifest: 'build-manifest-validator.cjs', definition: 'policy-definition-validator.cjs', initiative: 'policy-set-validator.cjs' } as const;

const validators = {
  manifest: loadValidator(BUILD_MANIFEST_VALIDATOR, new URL(`./${BUILD_VALIDATOR_FILES.manifest}`, import.meta.url)),
  definition: loadValidator(POLICY_DEFINITION_VALIDATOR, new URL(`./${BUILD_VALIDATOR_FILES.definition}`, import.meta.url)),
  initiative: loadValidator(POLICY_SET_VALIDATOR, new URL(`./${BUILD_VALIDATOR_FILES.initiative}`, import.meta.url)),
};

/** Parses `text` as JSON and checks it; the error names `file:line:col` and the field. */
function checked<T>(text: string, file: string, which: keyof typeof validators, what: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const e = jsonSyntaxError(text, file);
    throw new DriftscanError(`${e.detail}; compile again to rewrite it`, { location: e.location! });
  }
  const v = validators[which]();
  if (!v(data)) {
    const e = v.errors![0]!;
    const field = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(document)';
    const detail = e.keyword === 'required' ? `missing ${String((e.params as { missingProperty: string }).missingProperty)}` : (e.message ?? 'is not valid');
    throw new DriftscanError(`${what}: ${field} ${detail}`, { location: locatePointer(text, file, e.instancePath) });
  }
  return data as T;
}

export function parseBuildManifest(text: string, file: string): BuildManifest {
  const m = checked<BuildManifest>(text, file, 'manifest', 'not a driftscan build manifest');
  return { manifestVersion: 1, packages: m.packages, initiatives: m.initiatives ?? [] };
}

export function parsePolicyDefinitionFile(text: string, file: string): PolicyDefinition {
  return checked<PolicyDefinition>(text, file, 'definition', 'not a driftscan policy definition');
}

export function parsePolicySetFile(text: string, file: string): PolicySetDefinition {
  return checked<PolicySetDefinition>(text, file, 'initiative', 'not a driftscan policy set definition');
}

/** Where in `text` the JSON pointer `pointer` is (for cross-file checks made after parsing). */
export function locateInBuildFile(text: string, file: string, pointer: string) {
  return locatePointer(text, file, pointer);
}
