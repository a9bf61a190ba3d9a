/**
 * Removes secrets from text before it reaches a terminal or CI log: SAS signatures and other
 * credential query parameters in URLs (`?sv=…&sig=…`), user:password in URLs, and bearer tokens.
 * Applied to every message the CLI prints, so no command has to remember it.
 */

/** Query parameters that carry credentials (Azure SAS `sig`, OAuth, API keys). */
const SECRET_PARAMS = new Set(['sig', 'signature', 'token', 'access_token', 'refresh_token', 'id_token', 'code', 'key', 'apikey', 'api_key', 'password', 'secret', 'client_secret', 'sas']);

/** `scheme://user:password@` */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@?#]+@/gi;
/** `?name=value` / `&name=value` anywhere (URLs in messages may contain quotes that end a URL match early); a value does not end in punctuation, so "…&sig=x: 403" keeps its colon. */
const QUERY_PARAM = /([?&])([^=&?\s#"'<>]+)=([^&\s#"'<>]*[^&\s#"'<>:;,.)])?/g;

/** `text` with credentials in URLs and bearer tokens replaced by `REDACTED`. */
export function redactSecrets(text: string): string {
  return text
    .replace(USERINFO, '$1REDACTED@')
    .replace(QUERY_PARAM, (m, sep: string, name: string) => (SECRET_PARAMS.has(safeDecode(name).toLowerCase()) ? `${sep}${name}=REDACTED` : m))
    .replace(JWT, 'REDACTED')
    .replace(/\b(Bearer|bearer)(\s+)([A-Za-z0-9._~+/=-]{16,})/g, (m, scheme: string, space: string, token: string) => (looksLikeToken(token) ? `${scheme}${space}REDACTED` : m))
    .replace(/\b(Basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])/g, (m, scheme: string, space: string, b64: string) => (isBasicCredential(b64) ? `${scheme}${space}REDACTED` : m));
}

/** A JSON Web Token: three base64url parts, the first two JSON objects (`eyJ` is `{"`). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** A bearer token is opaque: long, and not a plain word ("Bearer authentication"). */
function looksLikeToken(token: string): boolean {
  return /[0-9._~+/=-]/.test(token) || /[a-z]/.test(token) && /[A-Z]/.test(token.slice(1));
}

/** `Basic` credentials are base64 of `user:password`; "Basic Provider" is not. */
function isBasicCredential(b64: string): boolean {
  if (b64.length % 4 !== 0) return false;
  const text = Buffer.from(b64, 'base64').toString('latin1');
  return text.includes(':') && /^[\x20-\x7e]+$/.test(text);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
