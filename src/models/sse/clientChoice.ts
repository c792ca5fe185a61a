/**
 * Which SSE client a run uses. The reference client (the `eventsource` package) is what a
 * browser-like client costs and the one the conformance tests were written against; the lean one
 * (raw socket + the project's parsers) behaves the same at a fraction of the memory per connection
 * (docs/benchmarks.md, The lean SSE client), so `auto` switches to it where the reference client's
 * memory would limit the run.
 */
export const SSE_CLIENTS = ['auto', 'reference', 'lean'] as const;
export type SseClientSetting = (typeof SSE_CLIENTS)[number];
export type SseClientKind = Exclude<SseClientSetting, 'auto'>;

/**
 * `auto` picks the lean client above this many clients in a scenario point. Up to here the
 * reference client's memory is small beside a run's other costs; above it the lean client keeps
 * tens of thousands possible (what each costs: docs/benchmarks.md, The lean SSE client).
 */
export const LEAN_SSE_CLIENT_ABOVE = 2000;

export function sseClientFor(setting: SseClientSetting, clients: number): SseClientKind {
  if (setting !== 'auto') return setting;
  return clients > LEAN_SSE_CLIENT_ABOVE ? 'lean' : 'reference';
}
