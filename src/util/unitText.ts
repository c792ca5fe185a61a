/**
 * Units written back as text that parses to exactly the same number (src/util/units.ts reads
 * them): the largest unit that divides the value, else the base unit. Pure.
 */
function exact(value: number, units: [suffix: string, factor: number][], base: string): string {
  for (const [suffix, factor] of units) if (value >= factor && value % factor === 0) return `${value / factor}${suffix}`;
  return `${value}${base}`;
}

export const formatDurationExact = (ms: number) =>
  exact(
    ms,
    [
      ['h', 3_600_000],
      ['m', 60_000],
      ['s', 1000],
    ],
    'ms',
  );

export const formatBytesExact = (bytes: number) =>
  exact(
    bytes,
    [
      ['GiB', 1024 ** 3],
      ['MiB', 1024 ** 2],
      ['KiB', 1024],
    ],
    'B',
  );

/** Per second, or per minute/hour when that gives a whole number and per second does not. */
export function formatRateExact(perSec: number): string {
  if (Number.isInteger(perSec)) return `${perSec}/s`;
  const perMin = perSec * 60;
  if (Math.abs(perMin - Math.round(perMin)) < 1e-9) return `${Math.round(perMin)}/m`;
  const perHour = perSec * 3600;
  if (Math.abs(perHour - Math.round(perHour)) < 1e-9) return `${Math.round(perHour)}/h`;
  return `${perSec}/s`;
}
