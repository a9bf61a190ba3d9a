/**
 * Where a JSON text first breaks, for one `file:line:col` error: Node 20's `JSON.parse` messages
 * carry no position (and quote the text, newlines included). Shared by the snapshot reader and the
 * build/ readers (`compile/build-json.ts`).
 */
import { DriftscanError } from './diagnostics.js';

/** Node 20's `JSON.parse` messages carry no position, so find the first syntax error ourselves. */
export function jsonSyntaxError(text: string, file: string): DriftscanError {
  const { offset, message } = firstJsonError(text);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - (before.lastIndexOf('\n') + 1) + 1;
  return new DriftscanError(`invalid JSON: ${message}`, { location: { file, line, col } });
}

/** A strict RFC 8259 scan that stops at the first error; only runs after `JSON.parse` failed. */
function firstJsonError(text: string): { offset: number; message: string } {
  let p = 0;
  class Stop { constructor(readonly offset: number, readonly message: string) {} }
  const fail = (message: string, at = p): never => { throw new Stop(at, message); };
  const ws = () => { while (p < text.length && ' \t\r\n'.includes(text[p]!)) p++; };
  const describe = () => (p >= text.length ? 'unexpected end of JSON (truncated file?)' : `unexpected ${JSON.stringify(text[p])}`);
  const string = () => {
    p++;
    for (;;) {
      if (p >= text.length) fail('unterminated string');
      const c = text.charCodeAt(p);
      if (c === 0x22) { p++; return; }
      if (c < 0x20) fail('control character in a string (escape it)');
      if (c === 0x5c) {
        const e = text[p + 1];
        if (e === 'u') { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6))) fail('bad \\u escape'); p += 6; continue; }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('bad escape in a string');
        p += 2;
        continue;
      }
      p++;
    }
  };
  let depth = 0;
  const value = (): void => {
    ws();
    const c = text[p];
    if ((c === '{' || c === '[') && ++depth > 512) fail('nesting deeper than 512 levels');
    if (c === '{') {
      p++; ws();
      if (text[p] === '}') { p++; depth--; return; }
      for (;;) {
        ws();
        if (text[p] !== '"') fail(`expected a property name in double quotes, found ${describe().replace('unexpected ', '')}`);
        string(); ws();
        if (text[p] !== ':') fail(`expected ':' after the property name, found ${describe().replace('unexpected ', '')}`);
        p++; value(); ws();
        if (text[p] === ',') { p++; continue; }
        if (text[p] === '}') { p++; depth--; return; }
        fail(`expected ',' or '}' in an object, found ${describe().replace('unexpected ', '')}`);
      }
    }
    if (c === '[') {
      p++; ws();
      if (text[p] === ']') { p++; depth--; return; }
      for (;;) {
        value(); ws();
        if (text[p] === ',') { p++; continue; }
        if (text[p] === ']') { p++; depth--; return; }
        fail(`expected ',' or ']' in an array, found ${describe().replace('unexpected ', '')}`);
      }
    }
    if (c === '"') return string();
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(p, p + 400));
    if (lit && lit[0] !== '-') { p += lit[0].length; return; }
    fail(`${describe()}; expected a value`);
  };
  try {
    value(); ws();
    if (p < text.length) fail(`unexpected ${JSON.stringify(text[p])} after the JSON document`);
  } catch (err) {
    if (err instanceof Stop) return err;
    throw err;
  }
  return { offset: 0, message: 'not valid JSON' };
}
