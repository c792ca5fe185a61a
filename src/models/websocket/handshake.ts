import { createHash, randomBytes } from 'node:crypto';

/**
 * The client's side of the RFC 6455 opening handshake (§4.1), for the lean websocket client. Pure
 * but for newKey's randomness.
 */

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A response head larger than this is not from the reference server: refuse it rather than buffer it. */
export const MAX_HANDSHAKE_HEAD_BYTES = 16 * 1024;

/** Sec-WebSocket-Key: 16 random bytes, base64. */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept a server must answer `key` with. */
export function acceptOf(key: string): string {
  return createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
}

export function upgradeRequest(path: string, hostHeader: string, key: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

export interface HandshakeHead {
  status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Record<string, string>;
}

/** The status line and headers of a response head (without its blank line); a reason when it is not HTTP/1.x. */
export function parseHead(text: string): HandshakeHead | { invalid: string } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!m) return { invalid: `a status line that is not HTTP/1.x: ${JSON.stringify(lines[0]!.slice(0, 80))}` };
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i]!.indexOf(':');
    if (colon <= 0) return { invalid: `a header line without a name: ${JSON.stringify(lines[i]!.slice(0, 80))}` };
    headers[lines[i]!.slice(0, colon).trim().toLowerCase()] = lines[i]!.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), headers };
}

/**
 * Why a 101 does not complete the handshake for `key` (§4.1, the client's checks 1-6), or undefined
 * when it does. We ask for no extension and no subprotocol, so a server naming one fails too.
 */
export function handshakeProblem(head: HandshakeHead, key: string): string | undefined {
  const h = head.headers;
  if (head.status !== 101) return `HTTP ${head.status} instead of 101 Switching Protocols`;
  if (h.upgrade?.toLowerCase() !== 'websocket') return `Upgrade: ${h.upgrade ?? '(none)'} instead of websocket`;
  if (!(h.connection ?? '').split(',').some((t) => t.trim().toLowerCase() === 'upgrade'))
    return `Connection: ${h.connection ?? '(none)'} without upgrade`;
  if (h['sec-websocket-accept'] !== acceptOf(key)) return `a Sec-WebSocket-Accept that does not match the key`;
  if (h['sec-websocket-extensions']) return `an extension that was not asked for: ${h['sec-websocket-extensions']}`;
  if (h['sec-websocket-protocol']) return `a subprotocol that was not asked for: ${h['sec-websocket-protocol']}`;
  return undefined;
}
