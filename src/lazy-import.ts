/**
 * A module loaded at its first use instead of at start (resident memory and start time of a
 * process that never uses it). The load is shared by concurrent callers; a failed load (a
 * transient EMFILE) is not kept, so the next caller tries again.
 */
export function lazyImport<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}
