/** IPC of the bench's probes: connbench pieces measured alone in a process of their own. */

// ---- probes/sseClients.js ----
export type ToSseClients = { type: 'measure'; port: number; count: number; kind: 'reference' | 'lean' } | { type: 'stop' };

export type FromSseClients = { type: 'measured'; connected: number; rssPerClientBytes: number; heapPerClientBytes: number };
