/**
 * Which websocket client a run uses. The reference client (the `ws` package) is the conformance
 * client a user would pick; the lean one (raw socket, the project's own framing) passes the same
 * tests with less CPU per delivery and less memory per connection (docs/benchmarks.md, The lean
 * websocket client), so `auto` switches to it where the client workers would limit the run.
 */
export const WEBSOCKET_CLIENTS = ['auto', 'reference', 'lean'] as const;
export type WebsocketClientSetting = (typeof WEBSOCKET_CLIENTS)[number];
export type WebsocketClientKind = Exclude<WebsocketClientSetting, 'auto'>;

/**
 * `auto` picks the lean client above this many clients in a scenario point, the same line as the
 * SSE clients' (src/models/sse/clientChoice.ts): below it the generator's cost per delivery is far
 * from limiting a run, and the reference client is the one users know.
 */
export const LEAN_WEBSOCKET_CLIENT_ABOVE = 2000;

export function websocketClientFor(setting: WebsocketClientSetting, clients: number): WebsocketClientKind {
  if (setting !== 'auto') return setting;
  return clients > LEAN_WEBSOCKET_CLIENT_ABOVE ? 'lean' : 'reference';
}
