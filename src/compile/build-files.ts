/**
 * Reading build/'s policy files back: `deploy` consumes the `<name>/<name>_<effect>.json` policy
 * definitions and `initiatives/<folder>.json` that `compile` (and `publish`, which rewrites
 * contentUri in the same files) wrote, each checked against a JSON Schema of the fields deploy reads
 * (`build-json.ts`). The manifest has its own reader, `build-manifest.ts`. Pure: texts in, objects out.
 */
import { loadValidator } from '../validation/precompiled-validator.js';
import type { ValidatorSpec } from '../validation/validator-spec.js';
import { parseBuildJson } from './build-json.js';
import type { PolicyDefinition, PolicySetDefinition } from './policy/model.js';

const NAME = '^[A-Za-z0-9_-]{1,64}$';

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
export const POLICY_DEFINITION_VALIDATOR = spec(definitionSchema);
export const POLICY_SET_VALIDATOR = spec(initiativeSchema);
/** The precompiled validators the build writes beside this module (dist/src/compile/). */
export const BUILD_VALIDATOR_FILES = { definition: 'policy-definition-validator.cjs', initiative: 'policy-set-validator.cjs' } as const;

const validators = {
  definition: loadValidator(POLICY_DEFINITION_VALIDATOR, new URL(`./${BUILD_VALIDATOR_FILES.definition}`, import.meta.url)),
  initiative: loadValidator(POLICY_SET_VALIDATOR, new URL(`./${BUILD_VALIDATOR_FILES.initiative}`, import.meta.url)),
};

export function parsePolicyDefinitionFile(text: string, file: string): PolicyDefinition {
  return parseBuildJson<PolicyDefinition>(text, file, validators.definition, 'not a driftscan policy definition');
}

export function parsePolicySetFile(text: string, file: string): PolicySetDefinition {
  return parseBuildJson<PolicySetDefinition>(text, file, validators.initiative, 'not a driftscan policy set definition');
}
