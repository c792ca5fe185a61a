import type { RunListener, ProgressInfo } from '../runner/events.js';
import type { ModelResult } from '../report/result.js';
import { formatMs } from '../util/units.js';

/**
 * The progress line on stderr (a TTY only): model, phase, connected clients, deliveries/s so far,
 * time left in the phase. A listener on runner events; the run loop knows nothing of it.
 */
export function progressListener(stream: { write(text: string): unknown }, nowMs: () => number = Date.now): RunListener {
  let lastDelivered = 0;
  let lastAtMs = nowMs();
  let rate = 0;
  let lastModel = '';
  const draw = (p: ProgressInfo) => {
    const now = nowMs();
    if (p.model !== lastModel) {
      // A new model (or repeat) starts counting from zero; the last one's rate means nothing here.
      lastModel = p.model;
      lastDelivered = 0;
      lastAtMs = now;
      rate = 0;
    }
    if (now - lastAtMs >= 1000) {
      rate = ((p.delivered - lastDelivered) * 1000) / (now - lastAtMs);
      lastDelivered = p.delivered;
      lastAtMs = now;
    }
    const left = p.phaseEndsAtMs ? ` ${Math.max(0, Math.ceil((p.phaseEndsAtMs - now) / 1000))}s left` : '';
    const line = `${p.model.padEnd(10)} ${p.phase.padEnd(10)} ${p.connected}/${p.target} connected  ${Math.round(rate)} deliveries/s${p.reconnects ? `  ${p.reconnects} reconnects` : ''}${left}`;
    stream.write(`\r\x1b[2K${line}`);
  };
  return {
    phase: draw,
    progress: draw,
    modelFinished: (r: ModelResult) => {
      stream.write(
        `\r\x1b[2K${r.model}: ${r.status}${r.complete ? '' : ' (incomplete)'}, ${r.messages.delivered} delivered, ${r.messages.lost} lost, p99 ${formatMs(r.latencyMs.p99)} ms\n`,
      );
    },
    warning: (message: string) => {
      stream.write(`\r\x1b[2Kwarning: ${message}\n`);
    },
  };
}
