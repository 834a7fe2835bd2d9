/**
 * Values derived from keys that repeat (operators, IPs, the citizens of a storm), kept so they are
 * not recomputed per call. Bounded the simple way: at `max` entries everything is forgotten, which
 * costs one recomputation per key and never grows the heap.
 */
export class BoundedMemo<V> {
  readonly #map = new Map<string, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string): V | undefined {
    return this.#map.get(key);
  }

  /** Remember `value` under `key`; returns it. */
  set(key: string, value: V): V {
    if (this.#map.size >= this.#max) this.#map.clear();
    this.#map.set(key, value);
    return value;
  }
}
