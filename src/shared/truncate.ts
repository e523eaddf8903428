const ELLIPSIS = '…';

/**
 * At most `max` units of `s`, cut between code points, with `…` at the end when cut. Units are UTF-16
 * code units (what Slack and JSON count) unless `by` says code points (what a person counts).
 */
export function truncate(s: string, max: number, by: 'utf16' | 'codePoint' = 'utf16'): string {
  const size = (piece: string): number => (by === 'utf16' ? piece.length : [...piece].length);
  if (size(s) <= max) return s;
  if (max <= 0) return '';
  let out = '';
  let used = 0;
  for (const codePoint of s) {
    const n = by === 'utf16' ? codePoint.length : 1;
    if (used + n + size(ELLIPSIS) > max) break;
    out += codePoint;
    used += n;
  }
  return out + ELLIPSIS;
}
