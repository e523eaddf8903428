/** Resolves once every promise in `work` (as it is now) has settled, or after `timeoutMs`: what a stop waits for. */
export async function settledWithin(work: Iterable<Promise<unknown>>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([Promise.allSettled([...work]), deadline]);
  clearTimeout(timer);
}
