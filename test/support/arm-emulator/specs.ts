/**
 * The ARM emulator's knowledge of ARM: the OpenAPI 2.0 documents in the shared REST specs
 * (`azure-rest-specs/specification/**`, read at run time, never copied into the repository), turned
 * into a route table and JSON Schema validators.
 *
 * - Every file is registered with ajv (draft-04, the dialect of OpenAPI 2.0 schemas) under its own
 *   `file://` URL, so relative `$ref`s between files (`../../../../../common-types/…/types.json#/…`)
 *   resolve exactly as in the repository. Request bodies and responses are validated through a
 *   `$ref` to their location in the document (`file#/paths/~1subscriptions…/put/parameters/2/schema`).
 * - OpenAPI 2.0 is not quite JSON Schema, so three OpenAPI rules are applied before compiling:
 *   `x-nullable: true` also admits `null`; `type: "object"` with no `properties`,
 *   `additionalProperties` or `allOf` means any JSON value (AutoRest reads it so, and Resource
 *   Graph's `data` — an array — is declared that way); and the OpenAPI formats (`int32`, `int64`,
 *   `arm-id`, `uuid`, `date-time`, …) are checked as OpenAPI defines them. `discriminator` and
 *   `readOnly` are not enforced (ARM ignores read-only properties sent in a PUT).
 * - Routes: every path template with its method and the document's `info.version` (the
 *   api-version). `{param}` matches one segment; parameters marked `x-ms-skip-url-encoding`
 *   (`{scope}`, `{resourceId}`, `{policyAssignmentId}`) match one or more. Literal segments match
 *   case-insensitively, as ARM does. The most specific template wins (most literal characters).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import type { ErrorObject, ValidateFunction } from 'ajv';

const Ajv04 = AjvDraft04Module as unknown as typeof AjvDraft04Module.default;
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Json = Record<string, unknown>;

export interface Operation {
  operationId: string;
  method: string;
  template: string;
  apiVersion: string;
  /** Spec file, relative to the specs root. */
  file: string;
  regex: RegExp;
  paramNames: string[];
  literalLength: number;
  /** ajv `$ref` of the body schema, when the operation takes a body. */
  bodyRef?: string;
  bodyRequired: boolean;
  /** Response status → ajv `$ref` of its schema (null when the status has no body). `default` included. */
  responses: Map<string, string | null>;
  pageable: boolean;
  /** Path parameters with a declared `pattern`, `minLength` or `maxLength`. */
  pathChecks: Map<string, { pattern?: RegExp; minLength?: number; maxLength?: number }>;
}

export interface MatchedOperation {
  op: Operation;
  params: Record<string, string>;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'examples') out.push(...listJsonFiles(full));
    } else if (name.endsWith('.json')) out.push(full);
  }
  return out;
}

/** Applies the OpenAPI-2.0-to-JSON-Schema rules above, in place, to every schema object in `node`. */
function adaptSchemas(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(adaptSchemas);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Json;
  for (const v of Object.values(o)) adaptSchemas(v);
  if (o.type === 'object' && o.properties === undefined && o.additionalProperties === undefined && o.allOf === undefined) delete o.type;
  if (o['x-nullable'] === true) {
    if (typeof o.type === 'string') o.type = [o.type, 'null'];
    if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...o.enum, null];
    if (typeof o.$ref === 'string') {
      const ref = o.$ref;
      delete o.$ref;
      o.anyOf = [{ $ref: ref }, { type: 'null' }];
    }
  }
}

export class SpecIndex {
  readonly operations: Operation[] = [];
  readonly apiVersions = new Set<string>();
  private readonly ajv: InstanceType<typeof Ajv04>;
  private readonly docs = new Map<string, Json>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly root: string) {
    this.ajv = new Ajv04({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(this.ajv, ['date-time', 'date', 'uri', 'uuid', 'duration', 'byte']);
    this.ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat('float', { type: 'number', validate: () => true });
    this.ajv.addFormat('double', { type: 'number', validate: () => true });
    this.ajv.addFormat('arm-id', { type: 'string', validate: (s: string) => /^\/[^/]/.test(s) });
    this.ajv.addFormat('password', { type: 'string', validate: () => true });
    const files = listJsonFiles(root);
    for (const file of files) {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
      adaptSchemas(doc.definitions);
      adaptSchemas(doc.parameters);
      adaptSchemas(doc.paths);
      const url = pathToFileURL(file).href;
      this.docs.set(url, doc);
      this.ajv.addSchema(doc, url);
    }
    for (const [url, doc] of this.docs) this.indexOperations(url, doc);
  }

  /** Resolves a `$ref` (relative to `baseUrl`) to its URL and the object it points at. */
  private resolve(baseUrl: string, ref: string): { url: string; pointer: string; value: Json } {
    const [filePart, pointer = ''] = ref.split('#');
    const url = filePart ? new URL(filePart, baseUrl).href : baseUrl;
    const doc = this.docs.get(url);
    if (!doc) throw new Error(`spec reference ${ref} from ${baseUrl}: ${url} is not in the specs folder`);
    let value: unknown = doc;
    for (const part of pointer.split('/').slice(1)) value = (value as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (value === undefined) throw new Error(`spec reference ${ref} from ${baseUrl} does not resolve`);
    return { url, pointer, value: value as Json };
  }

  private indexOperations(url: string, doc: Json): void {
    const paths = (doc.paths ?? {}) as Record<string, Record<string, unknown>>;
    const apiVersion = String((doc.info as Json | undefined)?.version ?? '');
    const file = relative(this.root, new URL(url).pathname).split(sep).join('/');
    for (const [template, item] of Object.entries(paths)) {
      const shared = (item.parameters ?? []) as Json[];
      for (const [method, opRaw] of Object.entries(item)) {
        if (method === 'parameters') continue;
        const op = opRaw as Json;
        this.apiVersions.add(apiVersion);
        const base = `${url}#/paths/${escapePointer(template)}/${method}`;
        const params: Array<{ p: Json; at: string }> = [];
        [...shared.map((p, i) => ({ p, at: `${url}#/paths/${escapePointer(template)}/parameters/${i}` })), ...((op.parameters ?? []) as Json[]).map((p, i) => ({ p, at: `${base}/parameters/${i}` }))].forEach(({ p, at }) => {
          if (typeof p.$ref === 'string') {
            const r = this.resolve(url, p.$ref);
            params.push({ p: r.value, at: `${r.url}#${r.pointer}` });
          } else params.push({ p, at });
        });
        const multi = new Set(params.filter(({ p }) => p.in === 'path' && p['x-ms-skip-url-encoding'] === true).map(({ p }) => String(p.name)));
        const paramNames: string[] = [];
        let literalLength = 0;
        const source = template.replace(/\/$/, '').split(/(\{[^}]+\})/).map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (m) {
            paramNames.push(m[1]!);
            return multi.has(m[1]!) ? '(.+?)' : '([^/]+)';
          }
          literalLength += part.length;
          return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }).join('');
        const body = params.find(({ p }) => p.in === 'body');
        const pathChecks = new Map<string, { pattern?: RegExp; minLength?: number; maxLength?: number }>();
        for (const { p } of params) {
          if (p.in !== 'path') continue;
          const check: { pattern?: RegExp; minLength?: number; maxLength?: number } = {};
          if (typeof p.pattern === 'string') check.pattern = new RegExp(p.pattern);
          if (typeof p.minLength === 'number') check.minLength = p.minLength;
          if (typeof p.maxLength === 'number') check.maxLength = p.maxLength;
          if (Object.keys(check).length) pathChecks.set(String(p.name), check);
        }
        const responses = new Map<string, string | null>();
        for (const [status, resp] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
          let r = resp;
          let at = `${base}/responses/${status}`;
          if (typeof r.$ref === 'string') {
            const res = this.resolve(url, r.$ref);
            r = res.value;
            at = `${res.url}#${res.pointer}`;
          }
          responses.set(status, r.schema ? `${at}/schema` : null);
        }
        this.operations.push({
          operationId: String(op.operationId),
          method: method.toUpperCase(),
          template,
          apiVersion,
          file,
          regex: new RegExp(`^${source}/?$`, 'i'),
          paramNames,
          literalLength,
          ...(body ? { bodyRef: `${body.at}/schema` } : {}),
          bodyRequired: body?.p.required === true,
          responses,
          pageable: op['x-ms-pageable'] !== undefined,
          pathChecks,
        });
      }
    }
    this.operations.sort((a, b) => b.literalLength - a.literalLength);
  }

  /**
   * The operation for `method path` at `apiVersion`, or what went wrong: `unknown-path` (no
   * template matches, for any api-version), `unknown-version` (the path exists at other
   * api-versions: listed), `unknown-method`.
   */
  match(method: string, path: string, apiVersion: string | undefined):
    | { ok: true; matched: MatchedOperation }
    | { ok: false; reason: 'unknown-path' | 'unknown-method' }
    | { ok: false; reason: 'unknown-version'; versions: string[] } {
    const byPath = this.operations.map((op) => ({ op, m: op.regex.exec(path) })).filter((x) => x.m !== null);
    if (byPath.length === 0) return { ok: false, reason: 'unknown-path' };
    const byMethod = byPath.filter((x) => x.op.method === method.toUpperCase());
    if (byMethod.length === 0) return { ok: false, reason: 'unknown-method' };
    // ARM routes by resource type first: only the most specific template (at any api-version) counts,
    // so `/{roleAssignmentId}` at 2022-04-01 never answers for a policy assignment path.
    const best = byMethod[0]!.op.literalLength;
    const candidates = byMethod.filter((x) => x.op.literalLength === best);
    const exact = candidates.find((x) => x.op.apiVersion === apiVersion);
    if (!exact) return { ok: false, reason: 'unknown-version', versions: [...new Set(candidates.map((x) => x.op.apiVersion))].sort() };
    const params: Record<string, string> = {};
    exact.op.paramNames.forEach((n, i) => {
      params[n] = decodeURIComponent(exact.m![i + 1]!);
    });
    return { ok: true, matched: { op: exact.op, params } };
  }

  private validator(ref: string): ValidateFunction {
    let v = this.compiled.get(ref);
    if (!v) {
      v = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, v);
    }
    return v;
  }

  /** Validation errors of `value` against the schema at `ref` (empty when valid), as `path: message` lines. */
  validate(ref: string, value: unknown): string[] {
    const v = this.validator(ref);
    if (v(value)) return [];
    return (v.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`);
  }
}
