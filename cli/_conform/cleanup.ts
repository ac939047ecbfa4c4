/**
 * A stack of undo actions: everything conform creates registers its removal here, and the stack
 * runs newest first at the end, on failure and on an interrupt alike.
 *
 * @module
 */

/** Undo actions, run newest first. */
export class Cleanup {
  #actions: (() => unknown)[] = [];

  /** Registers an action for {@link Cleanup.run}. */
  defer(action: () => unknown): void {
    this.#actions.push(action);
  }

  /**
   * Runs and forgets every action, newest first; one that fails does not stop the others.
   * Returns the failures.
   */
  async run(): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const action of this.#actions.splice(0).reverse()) {
      try {
        await action();
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }
}
