/**
 * Flood bounds for one HTTP/2 connection, read off the bytes the client
 * sends before the runtime's `node:http2` sees them: only the 9-byte frame
 * headers are parsed (RFC 9113 section 4.1), payloads are skipped. The
 * runtimes' own defences differ (Deno ignores `streamResetBurst` and
 * `streamResetRate`; none bounds inbound PING or SETTINGS frames by rate),
 * so the server counts for itself and every runtime behaves the same:
 *
 * - rapid reset (CVE-2023-44487): RST_STREAM frames on client streams, and
 *   streams the server refused, take from a token bucket
 *   (`streamResetBurst`, refilled at `streamResetRate` per second);
 * - CONTINUATION flood (CVE-2024-27316 and kin): one header block, HEADERS
 *   plus its CONTINUATION frames with their 9-byte frame headers, may not
 *   exceed `maxHeaderBytes` on the wire, so endless empty CONTINUATION
 *   frames end too;
 * - PING, SETTINGS and PRIORITY floods: those frames (ACKs aside) take from
 *   a second bucket (`controlFrameBurst`, `controlFrameRate` per second).
 *
 * A verdict is final: the caller sends GOAWAY and closes. This module is
 * browser compatible.
 *
 * @module
 */

/** Why a connection was closed as abusive. */
export type H2Abuse = "rapid-reset" | "header-block-too-large" | "control-frame-flood";

/** The limits the guard applies (a subset of `ServeLimits`). */
export interface H2FloodLimits {
  readonly maxHeaderBytes: number;
  readonly streamResetBurst: number;
  readonly streamResetRate: number;
  readonly controlFrameBurst: number;
  readonly controlFrameRate: number;
}

const FRAME_HEADER_BYTES = 9;
/** The client connection preface, which precedes the first frame. */
const PREFACE_BYTES = 24;

const HEADERS = 0x1;
const PRIORITY = 0x2;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const CONTINUATION = 0x9;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;

/** A token bucket: `burst` tokens, refilled at `rate` per second. */
class TokenBucket {
  readonly #burst: number;
  readonly #perMs: number;
  #tokens: number;
  #at: number;

  constructor(burst: number, ratePerSecond: number, now: number) {
    this.#burst = burst;
    this.#perMs = ratePerSecond / 1000;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes one token; `false` when none is left. */
  take(now: number): boolean {
    if (now > this.#at) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
      this.#at = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * Watches the client-to-server bytes of one HTTP/2 connection.
 *
 * @example A reset flood
 * ```ts
 * import assert from "node:assert/strict";
 * import { H2FloodGuard } from "./h2_flood_guard.ts";
 * const limits = {
 *   maxHeaderBytes: 65536,
 *   streamResetBurst: 2,
 *   streamResetRate: 1,
 *   controlFrameBurst: 100,
 *   controlFrameRate: 10,
 * };
 * const guard = new H2FloodGuard(limits, 0);
 * const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
 * const reset = (id: number) => new Uint8Array([0, 0, 4, 3, 0, 0, 0, 0, id, 0, 0, 0, 8]);
 * assert.equal(guard.inspect(preface, 0), undefined);
 * assert.equal(guard.inspect(reset(1), 0), undefined);
 * assert.equal(guard.inspect(reset(3), 0), undefined);
 * assert.equal(guard.inspect(reset(5), 0), "rapid-reset");
 * ```
 */
export class H2FloodGuard {
  readonly #maxHeaderBytes: number;
  readonly #resets: TokenBucket;
  readonly #controls: TokenBucket;
  #prefaceLeft = PREFACE_BYTES;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #payloadLeft = 0;
  /** Bytes of the header block still open (no END_HEADERS yet); -1 when none is. */
  #blockBytes = -1;
  #verdict: H2Abuse | undefined;

  /**
   * @param limits The bounds.
   * @param now The time in milliseconds.
   */
  constructor(limits: H2FloodLimits, now: number) {
    this.#maxHeaderBytes = limits.maxHeaderBytes;
    this.#resets = new TokenBucket(limits.streamResetBurst, limits.streamResetRate, now);
    this.#controls = new TokenBucket(limits.controlFrameBurst, limits.controlFrameRate, now);
  }

  /** The abuse found, once found. */
  get verdict(): H2Abuse | undefined {
    return this.#verdict;
  }

  /**
   * Counts a stream the server refused (over `maxConcurrentStreams`): it
   * cost the server like a reset one.
   *
   * @param now The time in milliseconds.
   * @returns The abuse, when this was one refusal too many.
   */
  refused(now: number): H2Abuse | undefined {
    if (this.#verdict === undefined && !this.#resets.take(now)) this.#verdict = "rapid-reset";
    return this.#verdict;
  }

  /**
   * Reads the next bytes from the client.
   *
   * @param chunk The bytes, in order, the connection preface first.
   * @param now The time in milliseconds.
   * @returns The abuse, once found (and from then on).
   */
  inspect(chunk: Uint8Array, now: number): H2Abuse | undefined {
    let at = 0;
    const length = chunk.length;
    while (at < length && this.#verdict === undefined) {
      if (this.#prefaceLeft > 0) {
        const skip = Math.min(this.#prefaceLeft, length - at);
        this.#prefaceLeft -= skip;
        at += skip;
      } else if (this.#payloadLeft > 0) {
        const skip = Math.min(this.#payloadLeft, length - at);
        this.#payloadLeft -= skip;
        at += skip;
      } else {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill === FRAME_HEADER_BYTES) {
          this.#headerFill = 0;
          this.#frame(now);
        }
      }
    }
    return this.#verdict;
  }

  /** Judges one frame by its header; its payload is skipped after. */
  #frame(now: number): void {
    const h = this.#header;
    const size = (h[0]! << 16) | (h[1]! << 8) | h[2]!;
    const type = h[3]!;
    const flags = h[4]!;
    const streamId = ((h[5]! & 0x7f) << 24) | (h[6]! << 16) | (h[7]! << 8) | h[8]!;
    this.#payloadLeft = size;
    if (type === HEADERS || type === PUSH_PROMISE || type === CONTINUATION) {
      // A CONTINUATION outside a block is the runtime's protocol error to find.
      if (type !== CONTINUATION) this.#blockBytes = 0;
      if (this.#blockBytes >= 0) {
        this.#blockBytes += FRAME_HEADER_BYTES + size;
        if (this.#blockBytes > this.#maxHeaderBytes) this.#verdict = "header-block-too-large";
        if ((flags & FLAG_END_HEADERS) !== 0) this.#blockBytes = -1;
      }
      return;
    }
    if (type === RST_STREAM) {
      // Client streams are odd; resets of ours (pushes) cost nothing.
      if ((streamId & 1) === 1 && !this.#resets.take(now)) this.#verdict = "rapid-reset";
      return;
    }
    const isControl = type === PING || type === SETTINGS
      ? (flags & FLAG_ACK) === 0
      : type === PRIORITY;
    if (isControl && !this.#controls.take(now)) this.#verdict = "control-frame-flood";
  }
}
