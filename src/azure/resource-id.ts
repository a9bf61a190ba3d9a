/**
 * ARM resource ids and request paths.
 *
 * ARM ids start with one `/` (`/subscriptions/{id}/resourceGroups/…`), but the SDK's URL templates
 * for scope parameters are `/{+scope}` (arm-policy `policyAssignments.create(scope, …)`,
 * arm-resources `…ById(id)`), so an id passed as it is becomes `//subscriptions/…` on the wire
 * (shared/reference/azure-sdk-js.md §6; the SDK's own samples pass `subscriptions/<id>`). `sdkScope`
 * strips the slash for those parameters, and `path-policy.ts` collapses any `//` left in a request
 * path as a safety net.
 */

/** `id` without leading slashes, for SDK parameters whose URL template is `/{+scope}`. */
export function sdkScope(id: string): string {
  return id.replace(/^\/+/, '');
}

/** `id` with exactly one leading slash and no trailing one: the form ARM returns in `id` fields. */
export function canonicalId(id: string): string {
  return `/${id.replace(/^\/+|\/+$/g, '')}`;
}

/** The subscription id in an ARM path or URL (`…/subscriptions/{id}/…`), or undefined. */
export function subscriptionOf(pathOrUrl: string): string | undefined {
  const m = /\/subscriptions\/([^/?#]+)/i.exec(pathOrUrl);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/**
 * `url` with every run of slashes in its path collapsed to one. ARM ids have no empty segments, so
 * `https://host//subscriptions/x` and `https://host/subscriptions//x` can only be mistakes. The query
 * string (which may hold a `$skipToken` or a nextLink's own parameters) is left as it is.
 */
export function collapsePathSlashes(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^?#]*)(.*)$/is.exec(url);
  if (!m) return url;
  const [, origin, path, rest] = m as unknown as [string, string, string, string];
  return `${origin}${path.replace(/\/{2,}/g, '/')}${rest}`;
}

/** The path of an ARM request URL without its query, for messages (`PUT /subscriptions/…/x`). */
export function pathOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/is.exec(url);
  return m && m[1] ? m[1] : url;
}
