/**
 * A MOF writer for DSC configuration documents (machine-configuration.md §2): instance blocks,
 * embedded instances by alias, the `OMI_ConfigurationDocument` trailer. Every string goes
 * through `mofString`, so no user text (rule ids, paths, account names) can end a string early
 * or inject properties.
 */

/** A reference to an embedded instance written earlier in the document (`$Alias1ref`). */
export interface MofRef {
  ref: string;
}

export type MofValue = string | number | boolean | string[] | MofRef | MofRef[];

/** One `instance of <className> as $<alias> { … };` block; properties keep their order. */
export interface MofInstance {
  className: string;
  alias: string;
  properties: ReadonlyArray<readonly [string, MofValue]>;
}

/**
 * Quotes a MOF string literal (DSP0221 `stringValue`): backslash, double quote and control
 * characters are escaped; everything else (including non-ASCII, written as UTF-8) stays as is.
 * `*\/` or `/*` inside a literal are plain characters for a MOF parser, not comment delimiters.
 */
export function mofString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default:
        // Other C0 controls and DEL: MOF's \xHHHH escape keeps the document one line per property;
        // a lone surrogate has no UTF-8 form, so it is escaped too instead of becoming U+FFFD.
        out += c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff) ? `\\x${c.toString(16).toUpperCase().padStart(4, '0')}` : ch;
    }
  }
  return `${out}"`;
}

function isRef(v: unknown): v is MofRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as MofRef).ref === 'string';
}

/** Formats one property value: strings quoted, arrays in braces, booleans `True`/`False`, integers bare. */
export function mofValue(v: MofValue): string {
  if (typeof v === 'string') return mofString(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`MOF integer expected, got ${v}`);
    return String(v);
  }
  if (isRef(v)) return `$${v.ref}`;
  // Arrays: always braces, even with one element (PS7 refuses a bare instance for an INSTANCE[] property).
  const items = (v as Array<string | MofRef>).map((x) => (typeof x === 'string' ? mofString(x) : `$${x.ref}`));
  return `{${items.map((x) => ` ${x}`).join(',')}${items.length ? ' ' : ''}}`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Writes one instance block. LF line ends: accepted by the agent (module test MOFs use both) and immune to git's CRLF conversion of golden files. */
export function writeInstance(inst: MofInstance): string {
  if (!IDENT.test(inst.className) || !IDENT.test(inst.alias)) throw new Error(`invalid MOF identifier in ${inst.className} ${inst.alias}`);
  const lines = [`instance of ${inst.className} as $${inst.alias}`, '{'];
  for (const [name, value] of inst.properties) {
    if (!IDENT.test(name)) throw new Error(`invalid MOF property name ${name}`);
    lines.push(`    ${name} = ${mofValue(value)};`);
  }
  lines.push('};', '');
  return lines.join('\n');
}

/** The trailer every DSC configuration document ends with; `name` is the configuration name. */
export function writeDocumentTrailer(name: string): string {
  return [
    'instance of OMI_ConfigurationDocument',
    '{',
    '    Version = "2.0.0";',
    '    MinimumCompatibleVersion = "1.0.0";',
    '    CompatibleVersionAdditionalProperties = { "Omi_BaseResource:ConfigurationName" };',
    `    Name = ${mofString(name)};`,
    '};',
    '',
  ].join('\n');
}

/** A whole document: instances in order (embedded ones before their users), then the trailer. */
export function writeMofDocument(instances: readonly MofInstance[], configurationName: string): string {
  return [...instances.map(writeInstance), writeDocumentTrailer(configurationName)].join('\n');
}
