import { Child } from '../dist/runner/child.js';
import type { FloorError } from './floors/protocol.js';

type Typed = { type: string };

/** How long a floor, probe or bench server may take to answer a control message (listen, connect, sample). */
export const CONTROL_TIMEOUT_MS = 30_000;

/**
 * A floor process (bench/floors/<name>.js), forked as the runner forks its children, with typed
 * request/reply and the same death reporting. Child resolves entries relative to dist/; the floors
 * are plain JavaScript that needs no build, so the path leads back out to bench/floors.
 */
export function floorChild<In extends Typed, Out extends Typed>(
  name: 'netServer' | 'libServer' | 'netClient' | 'autocannon' | 'oneWaySender' | 'oneWayReceiver' | 'spinSchedule',
  label: string,
): Child<In, Out | FloorError> {
  return new Child<In, Out | FloorError>(`../bench/floors/${name}.js`, label);
}

/** A probe (bench/probes/<name>.js): plain JavaScript too, running connbench's built modules from dist/. */
export function probeChild<In extends Typed, Out extends Typed>(name: 'sseClients', label: string): Child<In, Out | FloorError> {
  return new Child<In, Out | FloorError>(`../bench/probes/${name}.js`, label);
}
