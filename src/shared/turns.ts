const turns: Array<() => void> = [];

/**
 * Resolves after the I/O already pending (requests that arrived, answers that came), one waiter per
 * turn of the event loop, so that a burst of background work never holds up the requests behind it
 * for long.
 */
export function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => {
    turns.push(resolve);
    if (turns.length === 1) setImmediate(nextTurn);
  });
}

function nextTurn(): void {
  turns.shift()?.();
  if (turns.length > 0) setImmediate(nextTurn);
}
