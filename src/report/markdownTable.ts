/** GitHub-flavoured markdown building blocks. Pure. */

/** Text safe inside a table cell or a list item: no pipes, no line breaks, no stray HTML. */
export function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
}

/** A pipe table; cells are taken as already escaped (they may hold **bold** on purpose). */
export function mdTable(head: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const sep = align.map((a) => (a === 'r' ? '---:' : ':---'));
  return [head, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
