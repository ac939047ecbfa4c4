/**
 * What the installer did, one action per line. Every action has an infinitive and a past form,
 * so a dry run prints exactly the lines a real run prints, each as "would <infinitive> ...".
 */

/** One thing done, or that would be done, or left alone. */
export interface Action {
  /** The infinitive: "install", "leave", "chain". */
  readonly verb: string;
  /** The past form: "installed", "left", "chained". */
  readonly past: string;
  /** The rest of the line: "/opt/cni/bin/sample", "/opt/cni/bin/ptp alone: ...". */
  readonly text: string;
  /** True when leaving the thing alone means the request was not met (exit status 1). */
  readonly failed: boolean;
  /** The path the action is about, when it is about one file. */
  readonly subject?: string;
}

/** What one call of the library did. */
export interface Report {
  /** The actions, in the order they were done. */
  readonly actions: Action[];
  /** The printed form of each action. */
  readonly lines: string[];
  /** Errors that stopped the work, each one line. */
  readonly errors: string[];
  /** True when nothing failed and nothing was refused. */
  readonly ok: boolean;
}

/** The printed line of an action. */
export function formatAction(action: Action, dryRun: boolean): string {
  return dryRun ? `would ${action.verb} ${action.text}` : `${action.past} ${action.text}`;
}

/** Collects actions and errors while the library works. */
export class Recorder {
  readonly actions: Action[] = [];
  readonly errors: string[] = [];
  readonly #dryRun: boolean;
  readonly #onLine: ((line: string) => void) | undefined;

  constructor(dryRun: boolean, onLine?: (line: string) => void) {
    this.#dryRun = dryRun;
    this.#onLine = onLine;
  }

  /** Records an action that was done (or, in a dry run, would be). */
  did(verb: string, past: string, text: string, subject?: string): void {
    this.#add(
      subject === undefined ? { verb, past, text, failed: false } : {
        verb,
        past,
        text,
        failed: false,
        subject,
      },
    );
  }

  /** Records something left alone; `failed` when that means the request was not met. */
  left(text: string, failed: boolean, subject?: string): void {
    const action = { verb: "leave", past: "left", text, failed };
    this.#add(subject === undefined ? action : { ...action, subject });
  }

  /** Records an error that stopped the work. */
  error(message: string): void {
    this.errors.push(message);
  }

  /** The report so far. */
  report(): Report {
    return {
      actions: [...this.actions],
      lines: this.actions.map((a) => formatAction(a, this.#dryRun)),
      errors: [...this.errors],
      ok: this.errors.length === 0 && !this.actions.some((a) => a.failed),
    };
  }

  #add(action: Action): void {
    this.actions.push(action);
    this.#onLine?.(formatAction(action, this.#dryRun));
  }
}

/** Joins reports of successive calls into one. */
export function joinReports(reports: Report[]): Report {
  return {
    actions: reports.flatMap((r) => r.actions),
    lines: reports.flatMap((r) => r.lines),
    errors: reports.flatMap((r) => r.errors),
    ok: reports.every((r) => r.ok),
  };
}
