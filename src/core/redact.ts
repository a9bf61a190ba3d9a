/**
 * Removes secrets from text before it reaches a terminal, a CI log or a report file: SAS
 * signatures and other credential query parameters in URLs (`?sv=…&sig=…`, also XML-escaped as
 * `&amp;sig=` and as a bare SAS token `sig=…&sv=…`), user:password in URLs, bearer tokens and JWTs,
 * the keys of Azure/SQL connection strings (`AccountKey=…;`), and GitHub tokens by their documented
 * prefixes (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`: "About authentication to GitHub",
 * docs.github.com, token formats). Detection is by shape, not by where the text came from, so it
 * also catches secrets in registry data. Tokens with no shape (an Azure DevOps PAT, a pipeline's
 * System.AccessToken) are registered with `registerSecret` when driftscan reads them, and every
 * occurrence is redacted from then on. Applied to every message the CLI prints (io/console.ts) and
 * to every report (report/redact.ts).
 */

/** Query parameters that carry credentials (Azure SAS `sig`, OAuth, API keys). */
const SECRET_PARAMS = new Set(['sig', 'signature', 'token', 'access_token', 'refresh_token', 'id_token', 'code', 'key', 'apikey', 'api_key', 'password', 'secret', 'client_secret', 'sas']);

/**
 * `scheme://user:password@`. Tried once per run of scheme characters, not at every word start in
 * it: `\b[a-z][a-z0-9+.-]*:\/\/` alone rescans the run from each start, so 40,000 characters of
 * `a.a.a…` took 2.5 s. A scheme always reaches the end of its run (":" ends it), so the leftmost
 * start is the only candidate; the lookaheads find it without backtracking into them. $1 is the
 * run's part before the scheme, $2 the scheme.
 */
const USERINFO = /(?<![a-z0-9+.-])(?=[a-z0-9+.-]*:\/\/)(?=([a-z0-9+.-]*?)\b[a-z])\1([a-z][a-z0-9+.-]*:\/\/)[^\s/@?#]+@/gi;
/**
 * `?name=value` / `&name=value` anywhere (URLs in messages may contain quotes that end a URL match
 * early), `&amp;name=` too (JUnit/SARIF XML escapes the ampersand); a value does not end in
 * punctuation, so "…&sig=x: 403" keeps its colon, nor holds a backslash, so JSON's `…&sig=x\"` keeps
 * its escape (and the document stays valid JSON when it is redacted again on its way to stdout).
 */
const QUERY_PARAM = /(\?|&(?:amp;)?)([^=&?\s#"'<>;\\]+)=([^&\s#"'<>\\]*[^&\s#"'<>:;,.)\\])?/g;
/** A SAS token kept without its URL starts with a parameter, not with `?`: `sig=…&sv=…`. */
const BARE_SIGNATURE = /(^|[\s"'(=,;])(sig|signature)=([^&\s#"'<>\\]*[^&\s#"'<>:;,.)\\])/gi;
/** Connection strings (`DefaultEndpointsProtocol=https;AccountName=a;AccountKey=…;`, ADO.NET `Password=…;`). */
const CONNECTION_KEY = /(^|[\s;"'])(AccountKey|SharedAccessKey|Password|Pwd)=([^;\s"'<>\\]+)/gi;

/**
 * GitHub tokens: classic and OAuth/app tokens are a prefix and 36 or more base62 characters,
 * fine-grained PATs `github_pat_` and base62 with underscores (82 characters today; lengths may grow).
 */
const GITHUB_TOKEN = /(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{30,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])/g;

/** Secrets read at run time (tokens from the environment), longest first so a prefix cannot leave a tail. */
let registered: string[] = [];

/** Shorter values are not registered: redacting every "abc" would garble text and protect nothing. */
const MIN_REGISTERED_LENGTH = 8;

/**
 * Redacts `secret` (and its URL-encoded and base64 forms, which an `Authorization: Basic` header
 * or a query string carries) from everything `redactSecrets` sees from now on, in this process.
 */
export function registerSecret(secret: string): void {
  const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(`:${secret}`).toString('base64')];
  const next = new Set(registered);
  for (const form of forms) if (form.length >= MIN_REGISTERED_LENGTH) next.add(form);
  registered = [...next].sort((a, b) => b.length - a.length);
}

/** `text` with credentials in URLs and bearer tokens replaced by `REDACTED`. */
export function redactSecrets(text: string): string {
  for (const secret of registered) if (text.includes(secret)) text = text.split(secret).join('REDACTED');
  if (text.includes('_')) text = text.replace(GITHUB_TOKEN, 'REDACTED');
  // USERINFO and JWT cannot start with a literal, so they would try every position of a long
  // report; most text has no "://" or "eyJ" at all, which one native search tells.
  const noUserinfo = text.includes('://') ? text.replace(USERINFO, '$1$2REDACTED@') : text;
  // Each pattern below needs a literal ('=' for parameters and keys, 'eyJ', 'earer', 'Basic'):
  // text without it is passed over without running (or, on a CLI's first line, compiling) the regex.
  const noKeys = noUserinfo.includes('=')
    ? noUserinfo
      .replace(QUERY_PARAM, (m, sep: string, name: string) => (SECRET_PARAMS.has(safeDecode(name).toLowerCase()) ? `${sep}${name}=REDACTED` : m))
      .replace(BARE_SIGNATURE, (m, before: string, name: string, value: string) => (value === 'REDACTED' ? m : `${before}${name}=REDACTED`))
      .replace(CONNECTION_KEY, '$1$2=REDACTED')
    : noUserinfo;
  let out = noKeys.includes('eyJ') ? noKeys.replace(JWT, '$1REDACTED') : noKeys;
  if (out.includes('earer')) out = out.replace(/\b(Bearer|bearer)(\s+)([A-Za-z0-9._~+/=-]{16,})/g, (m, scheme: string, space: string, token: string) => (looksLikeToken(token) ? `${scheme}${space}REDACTED` : m));
  if (out.includes('Basic')) out = out.replace(/\b(Basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])/g, (m, scheme: string, space: string, b64: string) => (isBasicCredential(b64) ? `${scheme}${space}REDACTED` : m));
  return out;
}

/**
 * A JSON Web Token: three base64url parts, the first two JSON objects (`eyJ` is `{"`). Tried once
 * per run of base64url characters (every `eyJ` in a run shares the same following `.`, so only the
 * first can start a token); $1 is the run's part before it. Trying each `\beyJ` in `eyJa-eyJa-…`
 * made 80,000 characters take 11 s.
 */
const JWT = /(?<![A-Za-z0-9_-])(?=([A-Za-z0-9_-]*?)\beyJ)\1eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

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
