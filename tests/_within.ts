/**
 * A guard for tests of something that must not block: the test fails, instead of hanging, when
 * the thing blocks.
 */
import assert from "node:assert/strict";

/**
 * Settles as `promise` does, or fails after `ms`: then `unblock` runs first, so that whatever
 * blocks can end and the test leaves nothing pending.
 *
 * @param promise what must not block
 * @param ms how long it may take
 * @param unblock ends the wait of what blocks (e.g. opens the read end of a FIFO)
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  unblock: () => Promise<void>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ms)));
  const settled = promise.then(() => "settled" as const, () => "settled" as const);
  const first = await Promise.race([settled, late]);
  clearTimeout(timer);
  if (first === "late") {
    await unblock();
    await settled;
    assert.fail(`still blocked after ${ms} ms`);
  }
  return promise;
}

/** Reads what a writer blocked on the FIFO at `path` writes: the end of that writer's wait. */
export async function drainFifo(path: string): Promise<void> {
  using reader = await Deno.open(path, { read: true });
  await reader.read(new Uint8Array(4096));
}
