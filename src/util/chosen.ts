/**
 * Whether the i-th item (0-based) belongs to an exact `fraction` of a sequence: every prefix of n
 * items holds floor(n × fraction) chosen ones, so small runs see the promised share. Pure.
 */
export function chosen(index: number, fraction: number): boolean {
  if (fraction >= 1) return true;
  if (fraction <= 0) return false;
  return Math.floor((index + 1) * fraction) > Math.floor(index * fraction);
}
