import { MAX_MESSAGE_BYTES, type Incoming, type Outgoing } from '../message.js';
import { nowUs } from '../../metrics/clock.js';
import { ConnbenchError, codeOfSocketError, transportError } from '../../util/errors.js';
import { SocketPushClient } from '../push/socketClient.js';
import { postSend } from '../http/postSend.js';
import { MAX_ERROR_BODY_BYTES, errorOfResponse } from '../http/errorOfResponse.js';
import { HttpResponseDecoder, type HttpResponseHandlers, type ResponseHead } from './httpResponse.js';
import { SseParser, type SseEvent, type SseParserHandlers } from './parser.js';
import { gapOf, helloOf, messageOf, messageOfBytes } from './eventData.js';
import { echoHeartbeat } from './echo.js';
import { PLAIN_TRANSPORT } from '../transport.js';

/**
 * The lean SSE client: one raw `net` socket, a hand-written `GET /events` and the project's own
 * HTTP response decoder and event-stream parser. It behaves as the reference client (SseClient, on
 * the `eventsource` package) does, event for event and error code for error code, at under a third
 * of its memory per connection (docs/benchmarks.md, The lean SSE client), so the runner uses it for
 * large client counts.
 *
 * It is one object that is its own decoder and parser handler, and it creates the parser only once
 * the stream is accepted: every closure or object per connection is multiplied by the client count.
 */
export class LeanSseClient extends SocketPushClient implements HttpResponseHandlers, SseParserHandlers {
  private readonly response = new HttpResponseDecoder(this);
  private parser: SseParser | undefined;
  /** A refused request's body, read for the server's error code. */
  private errorBody: Buffer[] | undefined;
  private errorBodyBytes = 0;
  private status = 0;
  /** The stream id the hello named: heartbeats are echoed for it (frames.ts helloFrame); undefined = no echo. */
  private echoStream: number | undefined;
  /** When the chunk being parsed arrived: every event in it arrived then (parsing is the client's cost, not latency). */
  private chunkAtUs = 0;

  connect(signal?: AbortSignal): Promise<void> {
    if (this.socket) return Promise.reject(transportError('CB_ERR_CONNECT', 'connect() may be called once per SSE client'));
    const connected = this.life.begin(signal);
    if (this.life.ended) return connected;
    const o = this.o;
    const transport = o.transport ?? PLAIN_TRANSPORT;
    const socket = transport.connect({ host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) }, () =>
      socket.write(this.request()),
    );
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onSocketEnd());
    socket.on('error', (err) =>
      this.life.error(transportError(codeOfSocketError(err), `the event stream request failed: ${err.message}`, err)),
    );
    socket.on('close', () => this.life.end(nowUs()));
    return connected;
  }

  send(m: Outgoing): void {
    postSend(this.o, m, (e) => this.h.onError(e));
  }

  // ---- HTTP response (HttpResponseHandlers) ----

  onHead(head: ResponseHead): void {
    this.status = head.status;
    if (head.status !== 200) {
      this.errorBody = [];
      return;
    }
    const type = head.headers['content-type'] ?? '';
    // The same check eventsource makes: a 200 that is not an event stream is a protocol error.
    if (!/^text\/event-stream\b/i.test(type))
      return this.life.abort(transportError('CB_ERR_PROTOCOL', `the response was not an event stream (Content-Type: ${type || 'none'})`));
    // It resumes from its own cursor (in the query), never by Last-Event-ID: the ids are not read.
    this.parser = new SseParser(this, { limit: MAX_MESSAGE_BYTES, ids: false });
  }

  onBody(bytes: Buffer, start: number, end: number): void {
    if (this.parser) return this.parser.feedBytes(bytes, start, end);
    if (this.errorBody && this.errorBodyBytes < MAX_ERROR_BODY_BYTES) {
      this.errorBody.push(Buffer.from(bytes.subarray(start, end)));
      this.errorBodyBytes += end - start;
    }
  }

  /** The response body is complete: for an event stream, the server ended it. */
  onEnd(): void {
    if (this.errorBody) return this.refused();
    this.life.abort(transportError('CB_ERR_STREAM_ENDED', 'the server ended the event stream'));
  }

  // ---- event stream (SseParserHandlers) ----

  onEvent(e: SseEvent): void {
    if (this.life.ended) return;
    switch (e.type) {
      case 'message':
        return this.onMessageEvent(e.data);
      case 'hello':
        return this.onHello(e.data);
      case 'gap':
        return this.onGapEvent(e.data);
      default:
      // Other event types are not part of the contract: ignored, as EventSource ignores unheard types.
    }
  }

  /** A message event's data, read in place from the chunk (no string per event). */
  onMessageBytes(bytes: Buffer, start: number, end: number): void {
    if (this.life.ended || !this.life.subscribed) return;
    this.onMessage(messageOfBytes(bytes, start, end));
  }

  /** A line or an event past the limit every model's client keeps: the stream is given up, as a too-large tcp frame is. */
  onTooLarge(limit: number): void {
    this.life.abort(transportError('CB_ERR_FRAME_TOO_LARGE', `an event-stream line or event of more than ${limit} bytes`));
  }

  onComment(text: string): void {
    // The server's heartbeat is an empty comment; any other comment only proves the link alive.
    if (text !== '' || this.life.ended) return;
    this.h.onHeartbeat?.(nowUs());
    if (this.echoStream !== undefined) echoHeartbeat(this.o, this.echoStream, (e) => this.onEchoError(e));
  }

  // ---- internals ----

  private request(): string {
    const o = this.o;
    return streamRequest(o.host, o.port, o.user, o.cursor);
  }

  private onData(chunk: Buffer): void {
    // Any byte proves the link alive: messages, heartbeats and the head alike.
    this.chunkAtUs = nowUs();
    this.life.heard(this.chunkAtUs);
    const error = this.response.push(chunk);
    if (error) this.life.abort(error);
  }

  /** The server closed its side (FIN). */
  private onSocketEnd(): void {
    if (this.terminated) return;
    const error = this.response.end();
    if (this.errorBody) return this.refused();
    // A stream cut before its end: reported as the end of the stream, as the reference client does.
    if (error && this.status === 200) return this.life.abort(transportError('CB_ERR_STREAM_ENDED', 'the server ended the event stream'));
    if (error) this.life.abort(transportError('CB_ERR_STREAM_ENDED', `the server ended the connection: ${error.message}`));
  }

  /** A non-200 answer: connect() rejects with the code the server named (CB_ERR_BAD_CURSOR, …). */
  private refused(): void {
    const text = Buffer.concat(this.errorBody ?? []).toString('utf8');
    this.errorBody = undefined;
    this.life.abort(errorOfResponse(this.status, text));
  }

  private onHello(data: string): void {
    if (this.life.subscribed) return;
    const hello = helloOf(data);
    if (hello instanceof ConnbenchError) return this.life.abort(hello);
    this.echoStream = hello.stream;
    this.life.subscribedAt(hello.cursor, nowUs());
  }

  /** An echo that fails after the stream has ended is no longer this client's concern. */
  private onEchoError(e: ConnbenchError): void {
    // Through the lifecycle: counted while subscribed, dropped once ended; the stream goes on.
    this.life.error(e);
  }

  private onMessageEvent(data: string): void {
    if (this.life.subscribed) this.onMessage(messageOf(data));
  }

  private onMessage(m: Incoming | ConnbenchError): void {
    // Not through the lifecycle: a bad event is counted and the stream goes on, as in the reference client.
    if (m instanceof ConnbenchError) this.h.onError(m);
    else this.h.onMessage(m, this.chunkAtUs);
  }

  private onGapEvent(data: string): void {
    if (!this.life.subscribed) return;
    const gap = gapOf(data);
    if (gap instanceof ConnbenchError) this.h.onError(gap);
    else this.life.gap(gap, nowUs());
  }
}

/**
 * The request that opens a lean client's stream: the headers a browser's EventSource sends, and no
 * Last-Event-ID, since the cursor travels in the query.
 */
export function streamRequest(host: string, port: number, user: string, cursor: number | null): string {
  let path = `/events?user=${encodeURIComponent(user)}`;
  if (cursor !== null) path += `&cursor=${cursor}`;
  return `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`;
}
