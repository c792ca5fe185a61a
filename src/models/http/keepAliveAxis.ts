import { axis, onOff } from '../../util/zodUnits.js';

/** A polling model's `keepAlive` axis: HTTP keep-alive between polls, on unless the scenario says off. */
export function keepAliveAxis(model: 'short-poll' | 'long-poll') {
  return axis(
    onOff,
    `${model}: HTTP keep-alive between polls. off: every poll is sent with \`Connection: close\` on a new connection (and TLS handshake), which the server closes after its answer.`,
  ).default('on');
}

/** The axis value of a resolved keepAlive, for `validate --resolved`. */
export const keepAliveInput = (keepAlive: boolean): 'on' | 'off' => (keepAlive ? 'on' : 'off');
