/** Runs the unused-client sweep now and then on an interval (unref'd: it never holds the process open). */
export function startUnusedClientSweeper(deps: {
  sweep: () => Promise<string[]>;
  intervalMs: number;
  onError: (error: unknown) => void;
}): { stop(): void } {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(() => deps.sweep()).catch(deps.onError);
  };
  const timer = setInterval(run, deps.intervalMs);
  timer.unref();
  run();
  return { stop: () => clearInterval(timer) };
}
