/**
 * Removes secrets from text before it reaches a terminal or CI log: SAS signatures and other
 * credential query parameters in URLs (`?sv=…&sig=…`), user:password in URLs, and bearer tokens.
 * Applied to every message the CLI prints, so no command has to remember it.
 */

/** Query parameters that carry credentials (Azure SAS `sig`, OAuth, API keys). */
const SECRET_PARAMS = new Set(['sig', 'signature', 'token', 'access_token', 'refresh_token', 'id_token', 'code', 'key', 'apikey', 'api_key', 'password', 'secret', 'client_secret', 'sas']);

// The query may not end in punctuation, so "…&sig=x: 403" keeps its colon.
const URL_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@?#]+@)?([^\s?#"'<>]*)(\?(?:[^\s#"'<>]*[^\s#"'<>:;,.)])?)?/gi;

function redactQuery(query: string): string {
  return query.replace(/([?&])([^=&]+)=([^&]*)/g, (m, sep: string, name: string) =>
    SECRET_PARAMS.has(decodeURIComponent(name).toLowerCase()) ? `${sep}${name}=REDACTED` : m,
  );
}

/** `text` with credentials in URLs and bearer tokens replaced by `REDACTED`. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_PATTERN, (_m, scheme: string, userinfo: string | undefined, rest: string, query: string | undefined) =>
      `${scheme}${userinfo ? 'REDACTED@' : ''}${rest}${query ? redactQuery(query) : ''}`,
    )
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 REDACTED');
}
