/**
 * The memory behind `learnedHints()`: which links each route's successful
 * responses carried, bounded in entries, links and bytes, forgotten after
 * `maxAge` and least-recently-used first. This module is browser
 * compatible.
 *
 * @module
 */

/** Bounds of a {@linkcode LearnedHintsStore}; every one has a default in `learnedHints()`. */
export interface LearnedHintsBounds {
  /** Most routes remembered; the least recently used goes first. */
  readonly maxEntries: number;
  /** Most links remembered per route; later ones are left out. */
  readonly maxLinksPerEntry: number;
  /** Most bytes of link text per route (the 103's `link` values); links past it are left out. */
  readonly maxBytesPerEntry: number;
  /** How long, in ms, a route's links are replayed after they were last learned. */
  readonly maxAge: number;
}

/** What a store remembers about one route, as `entries()` lists it. */
export interface LearnedHintsEntry {
  /** The route's key (`"GET /path"` by default). */
  readonly key: string;
  /** The link-values replayed in its 103, in the order the response listed them. */
  readonly links: readonly string[];
  /** When these links were first learned (ms since the epoch); a response with other links starts again. */
  readonly learnedAt: number;
  /** When they stop being replayed unless a response confirms them (ms since the epoch). */
  readonly expiresAt: number;
  /** How many requests these links were replayed to (a 103 the connection or the hint policy refused counts too). */
  readonly replays: number;
}

interface MutableEntry {
  links: readonly string[];
  /** The `Link` field value they were read from, when given: the same value again needs no parsing. */
  source: string | undefined;
  learnedAt: number;
  expiresAt: number;
  replays: number;
}

/**
 * Learned links per route key. A `Map` keeps insertion order, so moving an
 * entry to the end on each use makes the first entry the least recently
 * used.
 *
 * @example Learn, replay, forget
 * ```ts
 * import assert from "node:assert/strict";
 * import { LearnedHintsStore } from "./learned_hints_store.ts";
 *
 * let now = 0;
 * const store = new LearnedHintsStore(
 *   { maxEntries: 2, maxLinksPerEntry: 2, maxBytesPerEntry: 100, maxAge: 1_000 },
 *   () => now,
 * );
 * store.learn("GET /", ["</a.css>; rel=preload; as=style", "</b.js>; rel=modulepreload", "</c>; rel=preconnect"]);
 * assert.deepEqual(store.replay("GET /"), ["</a.css>; rel=preload; as=style", "</b.js>; rel=modulepreload"]);
 * now = 1_000;
 * assert.equal(store.replay("GET /"), undefined); // expired
 * ```
 */
export class LearnedHintsStore {
  readonly #bounds: LearnedHintsBounds;
  readonly #now: () => number;
  readonly #entries = new Map<string, MutableEntry>();

  /**
   * Creates an empty store.
   *
   * @param bounds Its bounds, already validated.
   * @param now The clock, in ms (tests pass their own).
   */
  constructor(bounds: LearnedHintsBounds, now: () => number = Date.now) {
    this.#bounds = bounds;
    this.#now = now;
  }

  /** How many routes are remembered (expired ones included until next touched). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The links to replay for `key`, counting the replay; `undefined` when
   * none are remembered or they expired (then they are dropped).
   *
   * @param key The route key.
   * @returns The link-values, or `undefined`.
   */
  replay(key: string): readonly string[] | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (this.#now() >= entry.expiresAt) return undefined;
    this.#entries.set(key, entry);
    entry.replays++;
    return entry.links;
  }

  /**
   * Remembers `links` for `key`, replacing what was there, within the
   * bounds; no link at all forgets the key. The same links again only
   * push back their expiry.
   *
   * @param key The route key.
   * @param links Link-values, each one `Link` field element.
   */
  learn(key: string, links: readonly string[], source?: string): void {
    const kept = this.#withinBounds(links);
    const known = this.#entries.get(key);
    this.#entries.delete(key);
    if (kept.length === 0) return;
    const now = this.#now();
    if (known !== undefined && sameLinks(known.links, kept)) {
      known.expiresAt = now + this.#bounds.maxAge;
      known.source = source;
      this.#entries.set(key, known);
    } else {
      this.#entries.set(key, {
        links: kept,
        source,
        learnedAt: now,
        expiresAt: now + this.#bounds.maxAge,
        replays: 0,
      });
    }
    while (this.#entries.size > this.#bounds.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /**
   * Pushes back the expiry of `key` when its links were last learned from
   * this very `Link` field value, so a route answering as before costs no
   * parsing.
   *
   * @param key The route key.
   * @param source The response's `Link` field value.
   * @returns Whether it was confirmed; `false` means learn it anew.
   */
  confirm(key: string, source: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.source !== source) return false;
    entry.expiresAt = this.#now() + this.#bounds.maxAge;
    return true;
  }

  /**
   * Forgets `key`.
   *
   * @param key The route key.
   * @returns Whether anything was remembered.
   */
  forget(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Forgets every route. */
  clear(): void {
    this.#entries.clear();
  }

  /**
   * A snapshot of what is remembered and not expired, least recently used
   * first.
   *
   * @returns Copies; changing them changes nothing.
   */
  entries(): LearnedHintsEntry[] {
    const now = this.#now();
    const list: LearnedHintsEntry[] = [];
    for (const [key, entry] of this.#entries) {
      if (now >= entry.expiresAt) continue;
      const { links, learnedAt, expiresAt, replays } = entry;
      list.push({ key, links: [...links], learnedAt, expiresAt, replays });
    }
    return list;
  }

  #withinBounds(links: readonly string[]): string[] {
    const kept: string[] = [];
    // Counted as the 103 carries them, joined by ", "; field values are byte
    // strings, so a UTF-16 code unit is one byte.
    let bytes = 0;
    for (const link of links) {
      if (kept.length === this.#bounds.maxLinksPerEntry) break;
      const cost = link.length + (kept.length === 0 ? 0 : 2);
      if (bytes + cost > this.#bounds.maxBytesPerEntry) continue;
      if (kept.includes(link)) continue;
      kept.push(link);
      bytes += cost;
    }
    return kept;
  }
}

function sameLinks(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((link, i) => link === b[i]);
}
