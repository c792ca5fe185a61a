import type { LogEntry } from '../log.js';

/** Bytes of recent frames kept for backlog readers; the live entry is always kept. */
const DEFAULT_FRAME_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * Each entry's wire frame, built once and shared by every connection that sends it. A broadcast
 * hits the one-slot fast path thousands of times in a row; a reconnect storm reads the same recent
 * backlog, which the small FIFO (bounded in bytes, so big payloads cannot balloon it) serves.
 */
export class FrameCache {
  private lastEntry: LogEntry | undefined;
  private lastFrame: Buffer = Buffer.alloc(0);
  private readonly recent = new Map<LogEntry, Buffer>();
  private recentBytes = 0;
  private readonly build: (entry: LogEntry) => Buffer;
  private readonly maxBytes: number;

  constructor(build: (entry: LogEntry) => Buffer, maxBytes = DEFAULT_FRAME_CACHE_BYTES) {
    this.build = build;
    this.maxBytes = maxBytes;
  }

  of(entry: LogEntry): Buffer {
    if (entry === this.lastEntry) return this.lastFrame;
    let frame = this.recent.get(entry);
    if (frame === undefined) {
      frame = this.build(entry);
      this.recent.set(entry, frame);
      this.recentBytes += frame.length;
      for (const [oldest, oldFrame] of this.recent) {
        if (this.recentBytes <= this.maxBytes || oldest === entry) break;
        this.recent.delete(oldest);
        this.recentBytes -= oldFrame.length;
      }
    }
    this.lastEntry = entry;
    this.lastFrame = frame;
    return frame;
  }

  clear(): void {
    this.lastEntry = undefined;
    this.lastFrame = Buffer.alloc(0);
    this.recent.clear();
    this.recentBytes = 0;
  }
}
