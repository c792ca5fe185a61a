// @ts-check
/** The peer of the short-poll generator: autocannon 8, in a process of its own. */
import autocannon from 'autocannon';
import { send, serve } from './common.js';

serve(
  /** @param {import('./protocol.js').ToAutocannon} m */
  (m, reply) => {
    if (m.type === 'stop') process.exit(0);
    const cpu0 = process.cpuUsage();
    const instance = autocannon({ url: m.url, connections: m.connections, duration: m.durationSec, pipelining: 1 }, (err, result) => {
      // `done` is a notification of its own (the parent waits for it apart from the request), so no id.
      if (err) return send({ type: 'error', code: 'CB_ERR_BENCH_FLOOR', message: `autocannon failed: ${err.message}` });
      const cpu = process.cpuUsage(cpu0);
      send({ type: 'done', requests: result.requests.total, non2xx: result.non2xx, errors: result.errors, cpuUs: cpu.user + cpu.system });
    });
    // Its connections are opening: the parent times its warm-up from here.
    instance.once('start', () => reply({ type: 'started' }));
  },
);
