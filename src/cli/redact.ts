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
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 REDACTED');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
