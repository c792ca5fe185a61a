import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/server/messageLog.js';
import { type LogEntry } from '../../src/models/log.js';
import { Hub } from '../../src/server/hub.js';
import { parseWithholdSpec, withholdFilter } from '../../src/server/withhold.js';
import { ConnbenchError } from '../../src/util/errors.js';

const seqs = (entries: LogEntry[]) => entries.map((e) => e.seq);

describe('withhold test hook', () => {
  it('parses user → seqs and refuses anything else with a typed input error', () => {
    expect(parseWithholdSpec('{"u1":[2,5],"u3":[]}')).toEqual({ u1: [2, 5], u3: [] });
    for (const bad of ['', '[]', '{"u1":[0]}', '{"u1":"2"}', '{"u1":[1.5]}', 'null']) {
      const err = (() => {
        try {
          parseWithholdSpec(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(ConnbenchError);
      expect((err as ConnbenchError).code).toBe('CB_ERR_BAD_WITHHOLD');
    }
  });

  it('hides the chosen seqs from the chosen user in reads and live pushes, and nowhere else; expected counts keep them', () => {
    const log = new MessageLog(100);
    log.withheld = withholdFilter({ u1: [2, 4], u2: [3] });
    const hub = new Hub(log);
    const pushed: Record<string, number[]> = { u1: [], u2: [], u3: [] };
    for (const user of Object.keys(pushed)) hub.add({ user, push: (e) => pushed[user]!.push(e.seq) });
    for (let i = 0; i < 5; i++) log.append({ t: i, body: 'x' });

    expect(pushed).toEqual({ u1: [1, 3, 5], u2: [1, 2, 4, 5], u3: [1, 2, 3, 4, 5] });
    const read = log.readAfter(0, 'u1');
    expect(seqs(read.entries)).toEqual([1, 3, 5]);
    // The cursor moves past what was withheld: the reader never gets it, so it is lost, not pending.
    expect(read.cursor).toBe(5);
    expect(seqs(log.readAfter(3, 'u1').entries)).toEqual([5]);
    expect(seqs(log.readAfter(0, undefined).entries)).toEqual([1, 2, 3, 4, 5]);
    expect(log.expectedCount(0, 5, 'u1')).toBe(5);
  });
});
