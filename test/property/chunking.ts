import fc from 'fast-check';

/**
 * Arbitrary chunkings for the property tests: a byte string split at any set of positions, empty
 * chunks included (a read may return nothing), so "same result however it arrives" is checked
 * against every split fast-check can think of, not only the two-way ones.
 */
export const cutPoints = (maxCuts = 12) => fc.array(fc.nat(), { maxLength: maxCuts });

/** Splits `bytes` at `cuts` (taken modulo its length + 1), keeping order; the chunks join back to `bytes`. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  return spans(bytes.length, cuts).map(([from, to]) => bytes.subarray(from, to));
}

/** The same, for a string split at UTF-16 positions (surrogate pairs may be cut in two). */
export function splitStringAt(text: string, cuts: number[]): string[] {
  return spans(text.length, cuts).map(([from, to]) => text.slice(from, to));
}

function spans(length: number, cuts: number[]): [number, number][] {
  const at = [...new Set(cuts.map((c) => c % (length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => [from, at[i] ?? length]);
}

/**
 * Any text: controls, ASCII, the rest of the BMP and astral characters, without lone surrogates
 * (they do not survive UTF-8). Built by hand: fast-check's 'binary' unit costs ~1 s to set up.
 */
const codePoint = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }),
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0x7f, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
);
export const anyText = (maxLength = 40) => fc.array(codePoint, { maxLength }).map((cps) => String.fromCodePoint(...cps));

/**
 * Bytes made of the pieces that trip parsers: line ends, colons, spaces, field names, digits, a BOM,
 * multi-byte characters, and UTF-8 that is cut short or invalid.
 */
export const trickyBytes = (pieces: (string | number[])[], maxPieces = 60) =>
  fc
    .array(fc.constantFrom(...pieces), { maxLength: maxPieces })
    .map((list) => Buffer.concat(list.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))));
