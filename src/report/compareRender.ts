import Table from 'cli-table3';
import type { Comparison, CompareCell } from './compare.js';
import { signedPercent, signedQuantity } from './compare.js';
import { formatQuantity } from './metricPaths.js';
import { mdCell, mdTable } from './markdownTable.js';

/** Renderers of a comparison: terminal table, markdown for a PR comment, JSON. Each returns a string. */

function baseText(c: CompareCell): string {
  const v = formatQuantity(c.base, c.kind);
  if (c.band.kind !== 'spread') return v;
  return `${v} [${formatQuantity(c.band.spread.min, c.kind)}–${formatQuantity(c.band.spread.max, c.kind)}]`;
}

function changeText(c: CompareCell): string {
  if (c.change === null) return '-';
  if (c.change === 0) return '0';
  return `${signedQuantity(c.change, c.kind)} (${signedPercent(c.changePercent)})`;
}

/** Why an unchanged cell is unchanged, so a reader knows which rule applied. */
function quietReason(c: CompareCell): string {
  if (c.change === 0) return 'same';
  if (c.band.kind === 'spread') return 'within base spread';
  if (c.band.kind === 'noise') return `within ±${c.band.percent}% noise`;
  return 'same';
}

function verdictText(c: CompareCell, style: 'plain' | 'color' | 'markdown'): string {
  switch (c.verdict) {
    case 'regressed':
      return style === 'markdown' ? '🔴 **regressed**' : style === 'color' ? '\x1b[31mREGRESSED\x1b[39m' : 'REGRESSED';
    case 'improved':
      return style === 'markdown' ? '🟢 improved' : style === 'color' ? '\x1b[32mimproved\x1b[39m' : 'improved';
    case 'unchanged':
      return quietReason(c);
    case 'n/a':
      return 'cannot compare: not measured';
  }
}

function summaryLine(cmp: Comparison): string {
  const s = cmp.summary;
  return `${s.regressed} regressed, ${s.improved} improved, ${s.unchanged} unchanged`;
}

function failOnLines(cmp: Comparison): string[] {
  return cmp.failOn.filter((o) => o.failed || o.withinSpread).map((o) => `${o.failed ? 'FAIL' : 'note'} ${o.message}`);
}

export function renderCompareTable(cmp: Comparison, opts: { color?: boolean } = {}): string {
  const table = new Table({
    head: ['model', 'metric', 'base', 'head', 'change', ''],
    style: { head: opts.color ? ['cyan'] : [], border: opts.color ? ['grey'] : [], compact: true },
    colAligns: ['left', 'left', 'right', 'right', 'right', 'left'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of cmp.rows) {
    row.cells.forEach((c, i) => {
      table.push([
        i === 0 ? row.label : '',
        c.label,
        baseText(c),
        formatQuantity(c.head, c.kind),
        changeText(c),
        verdictText(c, opts.color ? 'color' : 'plain'),
      ]);
    });
  }
  const lines = [`compare ${cmp.base.file} (base) → ${cmp.head.file} (head): ${summaryLine(cmp)}`, table.toString()];
  if (cmp.onlyInBase.length) lines.push(`only in base: ${cmp.onlyInBase.join(', ')}`);
  if (cmp.onlyInHead.length) lines.push(`only in head: ${cmp.onlyInHead.join(', ')}`);
  lines.push(...cmp.notes.map((n) => `note: ${n}`));
  lines.push(...failOnLines(cmp));
  return `${lines.join('\n')}\n`;
}

export function renderCompareMarkdown(cmp: Comparison): string {
  const out: string[] = [];
  const title = cmp.base.scenario === cmp.head.scenario ? cmp.head.scenario : `${cmp.base.scenario} → ${cmp.head.scenario}`;
  out.push(`### connbench compare: ${mdCell(title)}`, '');
  out.push(
    `**${summaryLine(cmp)}** · base \`${cmp.base.file}\` (${cmp.base.startedAt}) · head \`${cmp.head.file}\` (${cmp.head.startedAt})`,
    '',
  );
  const failed = cmp.failOn.filter((o) => o.failed);
  if (cmp.failOn.length) {
    out.push(
      failed.length ? `**❌ ${failed.length} --fail-on rule${failed.length === 1 ? '' : 's'} failed:**` : '✅ every --fail-on rule passed.',
      '',
    );
    for (const line of failOnLines(cmp)) out.push(`- ${mdCell(line)}`);
    if (failed.length || cmp.failOn.some((o) => o.withinSpread)) out.push('');
  }
  for (const w of cmp.warnings) out.push(`> ⚠️ ${mdCell(w)}`, '');
  const rows = cmp.rows.flatMap((row) =>
    row.cells.map((c, i) => [
      i === 0 ? `**${mdCell(row.label)}**` : '',
      c.label,
      baseText(c),
      formatQuantity(c.head, c.kind),
      changeText(c),
      verdictText(c, 'markdown'),
    ]),
  );
  out.push(mdTable(['model', 'metric', 'base', 'head', 'change', ''], rows, ['l', 'l', 'r', 'r', 'r', 'l']), '');
  if (cmp.onlyInBase.length) out.push(`Only in base: ${cmp.onlyInBase.join(', ')}.`, '');
  if (cmp.onlyInHead.length) out.push(`Only in head: ${cmp.onlyInHead.join(', ')}.`, '');
  out.push(...cmp.notes.map((n) => `<sub>${mdCell(n)}</sub><br>`));
  return `${out.join('\n')}\n`;
}

export function renderCompareJson(cmp: Comparison): string {
  return `${JSON.stringify(cmp, null, 2)}\n`;
}
