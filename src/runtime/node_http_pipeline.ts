/**
 * Pipelining on the `node-http` backend: `node:http` emits a request event
 * for every pipelined request it has parsed and queues their responses, so a
 * client that pipelines and never reads would make the server run every
 * handler and hold every response. This gate runs one exchange per socket
 * at a time, the next only once the previous response is finished (handed
 * to the socket) and less than `SOCKET_HIGH_WATER_MARK` waits there, as the
 * engine does; `node:http` meanwhile stops reading once its writes back up.
 *
 * @module
 */

import { SOCKET_HIGH_WATER_MARK } from "./types.ts";

/**
 * Requests that may wait behind the running one on a socket. node:http
 * parses on while a blocked response is small, and pausing the socket does
 * not stop its parser on Node or Deno, so a client that pipelines without
 * reading would otherwise queue request objects without bound (about 3 KB
 * each); past this it is closed. Clients that pipeline send a few.
 */
export const MAX_WAITING_REQUESTS = 1024;

/** What the gate needs of a `node:net` socket (or a runtime's stand-in). */
export interface GatedSocket {
  readonly writableLength?: number;
  readonly destroyed?: boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Starts an exchange: returns `true` when it runs (its end calls `leave`),
 * `false` when it was skipped (the socket is gone) and the next may go.
 */
export type ExchangeStart = () => boolean;

/** One socket's queue: whether an exchange runs, and the starts waiting. */
interface SocketTurns {
  running: boolean;
  readonly waiting: ExchangeStart[];
}

/**
 * Runs each socket's exchanges one at a time, in arrival order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventEmitter } from "node:events";
 * import { PipelineGate } from "./node_http_pipeline.ts";
 * const gate = new PipelineGate();
 * const socket = new EventEmitter();
 * const started: number[] = [];
 * gate.enter(socket, () => started.push(1) > 0);
 * gate.enter(socket, () => started.push(2) > 0);
 * assert.deepEqual(started, [1]);
 * gate.leave(socket);
 * assert.deepEqual(started, [1, 2]);
 * ```
 */
export class PipelineGate {
  readonly #turns = new WeakMap<object, SocketTurns>();

  /**
   * Starts `start` now if nothing runs on `socket`, else after the exchanges
   * before it.
   *
   * @param socket The request's socket.
   * @param start Runs the exchange; if it runs, its end must call `leave(socket)` once.
   * @returns `false` when `MAX_WAITING_REQUESTS` already wait: the caller closes the socket.
   */
  enter(socket: GatedSocket, start: ExchangeStart): boolean {
    let turns = this.#turns.get(socket);
    if (turns === undefined) {
      turns = { running: false, waiting: [] };
      this.#turns.set(socket, turns);
    }
    if (turns.running) {
      if (turns.waiting.length >= MAX_WAITING_REQUESTS) return false;
      turns.waiting.push(start);
      return true;
    }
    turns.running = true;
    if (!start()) this.leave(socket);
    return true;
  }

  /**
   * The exchange on `socket` is finished (or the socket is gone): start the
   * next once the peer has taken what waits to be sent.
   *
   * @param socket The socket.
   */
  leave(socket: GatedSocket): void {
    const turns = this.#turns.get(socket);
    if (turns === undefined) return;
    if (socket.destroyed !== true && (socket.writableLength ?? 0) >= SOCKET_HIGH_WATER_MARK) {
      const go = () => {
        socket.off("drain", go);
        socket.off("close", go);
        this.#startNext(turns);
      };
      socket.once("drain", go);
      socket.once("close", go);
      return;
    }
    this.#startNext(turns);
  }

  /** Starts the next waiting exchange; a loop, not recursion, skips those of a closed socket. */
  #startNext(turns: SocketTurns): void {
    for (;;) {
      const next = turns.waiting.shift();
      if (next === undefined) {
        turns.running = false;
        return;
      }
      if (next()) return;
    }
  }
}
