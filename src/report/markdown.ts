import type { RunResult } from './result.js';
import { formatBytes } from '../util/units.js';
import { mdCell, mdTable } from './markdownTable.js';
import { repeatNote } from './spreadText.js';
import { SUMMARY_BOUNDED, SUMMARY_HEAD, SUMMARY_PATHS, summaryCells, type SummaryCell } from './summaryColumns.js';
import { uncertainNote } from './uncertain.js';
import { unmeasuredNotes } from './unmeasured.js';
import { spinNotes } from './spinNote.js';
import { scenarioLine } from './scenarioLine.js';
import { rowLabel } from './condition.js';
import { outcomeNotes } from './faultNotes.js';
import { clockNotes } from './clockNotes.js';
import { transportCells, transportColumns, transportNotes } from './transportColumns.js';

/**
 * The run as GitHub-flavoured markdown: fit for a pull-request comment or $GITHUB_STEP_SUMMARY.
 * Pure: returns a string.
 */
export function renderRunMarkdown(result: RunResult): string {
  const s = result.scenario;
  const out: string[] = [`### connbench: ${mdCell(s.name)}${result.complete ? '' : ' (incomplete: interrupted)'}`, ''];
  if (s.description) out.push(mdCell(s.description), '');
  out.push(mdCell(scenarioLine(result)), '');
  const md = (c: SummaryCell) => {
    const v = c.range ? `${c.value} [${c.range}]` : c.value;
    return c.alert ? `**${mdCell(v)}**` : mdCell(v);
  };
  const rows = result.models.map((r) => [`**${mdCell(rowLabel(r))}**`, ...summaryCells(r).map(md)]);
  out.push(mdTable(['model', ...SUMMARY_HEAD], rows, ['l', 'l', ...SUMMARY_HEAD.slice(1).map(() => 'r' as const)]), '');
  const note = repeatNote(result.models);
  if (note) out.push(`<sub>${mdCell(note)}</sub>`, '');
  const uncertain = uncertainNote(result.models, SUMMARY_BOUNDED);
  if (uncertain) out.push(`<sub>${mdCell(uncertain)}</sub>`, '');
  for (const line of clockNotes(result.models)) out.push(`<sub>${mdCell(line)}</sub>`, '');
  const transport = transportColumns(result.models);
  if (transport.length > 0) {
    const heads = transport.map((c) => c.head);
    const cells = result.models.map((r) => [`**${mdCell(rowLabel(r))}**`, ...transportCells(r, transport).map(mdCell)]);
    out.push('**Connections**', '', mdTable(['model', ...heads], cells, ['l', ...heads.map(() => 'r' as const)]), '');
    for (const line of transportNotes(result.models, transport)) out.push(`<sub>${mdCell(line.trim())}</sub>`, '');
  }
  const notes = [
    ...result.models.filter((m) => m.status !== 'ok' && m.statusReason).map((r) => `${rowLabel(r)}: ${r.statusReason!}`),
    ...unmeasuredNotes(result.models, SUMMARY_PATHS).map((n) => n.trim()),
    ...spinNotes(result.models),
  ];
  for (const n of notes) out.push(`- ${mdCell(n)}`);
  if (notes.length > 0) out.push('');
  const outcomes = outcomeNotes(result.models);
  if (outcomes.length > 0) {
    // The table's indented notes as a list: a row's line, its faults nested under it.
    out.push('**Faults and reconnect storms**', '');
    for (const line of outcomes) out.push(`${line.startsWith('    ') ? '  ' : ''}- ${mdCell(line.trim())}`);
    out.push('');
  }
  if (result.thresholds?.length) {
    const failed = result.thresholds.filter((t) => !t.passed);
    out.push(`**Thresholds: ${result.thresholds.length - failed.length} passed, ${failed.length} failed**`, '');
    for (const t of [...failed, ...result.thresholds.filter((x) => x.passed)]) {
      out.push(`- ${t.passed ? '✅' : '❌'} \`${t.target}: ${t.condition}\`: ${mdCell(t.message)}`);
    }
    out.push('');
  }
  const e = result.env;
  out.push(
    `<sub>connbench ${mdCell(result.tool.version)} · Node ${mdCell(e.node)} · ${e.platform}/${e.arch} · ${e.cpus} CPUs · ${formatBytes(e.memoryBytes)} · started ${result.startedAt}</sub>`,
  );
  return `${out.join('\n')}\n`;
}
