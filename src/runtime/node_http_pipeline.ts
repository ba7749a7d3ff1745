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

/** What the gate needs of a `node:net` socket (or a runtime's stand-in). */
export interface GatedSocket {
  readonly writableLength?: number;
  readonly destroyed?: boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/** One socket's queue: whether an exchange runs, and the starts waiting. */
interface SocketTurns {
  running: boolean;
  readonly waiting: (() => void)[];
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
 * gate.enter(socket, () => started.push(1));
 * gate.enter(socket, () => started.push(2));
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
   * @param start Runs the exchange; its end must call `leave(socket)` once.
   */
  enter(socket: GatedSocket, start: () => void): void {
    let turns = this.#turns.get(socket);
    if (turns === undefined) {
      turns = { running: false, waiting: [] };
      this.#turns.set(socket, turns);
    }
    if (turns.running) {
      turns.waiting.push(start);
      return;
    }
    turns.running = true;
    start();
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
    const next = turns.waiting.shift();
    if (next === undefined) {
      turns.running = false;
      return;
    }
    if (socket.destroyed !== true && (socket.writableLength ?? 0) >= SOCKET_HIGH_WATER_MARK) {
      const go = () => {
        socket.off("drain", go);
        socket.off("close", go);
        next();
      };
      socket.once("drain", go);
      socket.once("close", go);
      return;
    }
    next();
  }
}
