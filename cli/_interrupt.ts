/**
 * SIGINT and SIGTERM for the command-line tools. The first one aborts a signal the tool watches:
 * it kills the plugin it is running and cleans up. A later one is only reported, since the tool is
 * already cleaning up, and ending it then would leave things behind (Ctrl-C often delivers two).
 *
 * @module
 */

/** The signals that interrupt a tool. */
export const INTERRUPT_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** One of {@link INTERRUPT_SIGNALS}. */
export type InterruptSignal = typeof INTERRUPT_SIGNALS[number];

/** The exit status after an interrupt by `signal`, as a shell reports a program it ended. */
export function interruptStatus(signal: InterruptSignal): number {
  return 128 + (signal === "SIGINT" ? 2 : 15);
}

/** What {@link onInterrupt} watches. */
export interface Interrupt {
  /** Aborted by the first signal. */
  readonly signal: AbortSignal;
  /** The first signal received; undefined before one came. */
  readonly received: () => InterruptSignal | undefined;
}

/**
 * Listens for {@link INTERRUPT_SIGNALS}.
 *
 * @param report called for each signal, `first` true for the first one
 * @param listen registers a handler for a signal; default `Deno.addSignalListener`
 */
export function onInterrupt(
  report: (signal: InterruptSignal, first: boolean) => unknown,
  listen: (signal: InterruptSignal, handler: () => void) => void = Deno.addSignalListener,
): Interrupt {
  const controller = new AbortController();
  let received: InterruptSignal | undefined;
  for (const signal of INTERRUPT_SIGNALS) {
    listen(signal, () => {
      const first = received === undefined;
      received ??= signal;
      void Promise.resolve(report(signal, first)).catch(() => {});
      controller.abort();
    });
  }
  return { signal: controller.signal, received: () => received };
}
