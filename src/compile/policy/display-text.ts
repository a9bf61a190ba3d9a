/**
 * Display names and descriptions of policy resources: Azure limits them (display name 128,
 * description 512 characters, machine-configuration.md §3.1) and shows them on one line in the
 * portal, so whitespace and control characters collapse to single spaces and overlong text is
 * cut with an ellipsis rather than rejected at deploy time.
 */
export const MAX_DISPLAY_NAME = 128;
export const MAX_DESCRIPTION = 512;

/** `s` on one line, at most `max` UTF-16 code units, never ending in half a surrogate pair. */
export function displayText(s: string, max: number): string {
  const flat = s.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  if (flat.length <= max) return flat;
  let cut = flat.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}
