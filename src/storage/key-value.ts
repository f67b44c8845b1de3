/**
 * The ephemeral store: Redis in services mode, an in-process map in embedded mode. Both
 * implementations pass the same contract suite (test/storage/key-value.contract.ts).
 * Every write carries a TTL: nothing ephemeral outlives its purpose.
 */
export type KeyValueWrite =
  | { set: string; value: string; ttlSeconds: number }
  | { addToSet: string; member: string; ttlSeconds: number };

/** Where an index's id leads: the key `prefix + id + suffix`. */
export interface IndexTarget {
  prefix: string;
  suffix: string;
}

export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  getMany(keys: readonly string[]): Promise<Array<string | undefined>>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Atomic "create if absent"; true when this caller created the key. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /**
   * `setIfAbsent` for a marker about another key: it expires `marginSeconds` after `anchorKey`
   * does (or `withoutAnchorSeconds` from now when the anchor is gone or never expires).
   */
  setIfAbsentOutliving(key: string, value: string, anchor: { key: string; marginSeconds: number }, withoutAnchorSeconds: number): Promise<boolean>;
  delete(keys: readonly string[]): Promise<void>;
  /** Adds a member to a set; the set lives at least `ttlSeconds` from now. */
  addToSet(key: string, member: string, ttlSeconds: number): Promise<void>;
  /** The members of a set, without changing it. */
  members(key: string): Promise<string[]>;
  /** Removes one member from a set. */
  removeFromSet(key: string, member: string): Promise<void>;
  /** Returns the members of a set and deletes it, atomically. */
  takeSet(key: string): Promise<string[]>;
  /**
   * Several writes in one round trip and one transaction (Redis MULTI): a payload and its
   * indexes, so no reader sees one without the others. MULTI does not roll back: a command that
   * fails (only a key holding another type can) leaves the others applied, and the call rejects.
   */
  write(writes: readonly KeyValueWrite[]): Promise<void>;
  /**
   * Follows an index in one round trip: the id stored at `indexKey`, then the value of each
   * `prefix + id + suffix`. Undefined when the index is absent.
   */
  readThrough(indexKey: string, targets: readonly IndexTarget[]): Promise<{ id: string; values: Array<string | undefined> } | undefined>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
