/**
 * Which SSE client a run uses. The reference client (the `eventsource` package) is what a
 * browser-like client costs and the one the conformance tests were written against; the lean one
 * (raw socket + the project's parsers) behaves the same at under a third of the memory per
 * connection (docs/benchmarks.md, the bench of 2026-11-23 18:42 UTC: 10.7 against 38.7 KiB in a
 * worker, 6.8 against 37.1 KiB alone), so `auto` switches to it where the reference client's memory
 * would limit the run.
 */
export const SSE_CLIENTS = ['auto', 'reference', 'lean'] as const;
export type SseClientSetting = (typeof SSE_CLIENTS)[number];
export type SseClientKind = Exclude<SseClientSetting, 'auto'>;

/**
 * `auto` picks the lean client above this many clients in a scenario point. At 2000 the reference
 * client holds about 76 MiB of the workers' memory (38.7 KiB each in a worker, as docs/benchmarks.md
 * measured), still small beside a run's other costs; above it the lean client (10.7 KiB each in a
 * worker) keeps tens of thousands possible.
 */
export const LEAN_SSE_CLIENT_ABOVE = 2000;

export function sseClientFor(setting: SseClientSetting, clients: number): SseClientKind {
  if (setting !== 'auto') return setting;
  return clients > LEAN_SSE_CLIENT_ABOVE ? 'lean' : 'reference';
}
