/** The part of autocannon 8's programmatic API the floor uses (the package ships no types). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    pipelining?: number;
  }
  interface Result {
    requests: { total: number; average: number };
    non2xx: number;
    errors: number;
  }
  export default function autocannon(options: Options, done: (err: Error | null, result: Result) => void): EventEmitter;
}
