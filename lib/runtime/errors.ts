/**
 * The errors of the runtime side. Each wraps its cause the way Go's `fmt.Errorf("...: %w")` does:
 * the message carries the cause's text after a prefix, and `cause` keeps the cause itself, so
 * {@link findCniError} can still reach a plugin's error object (its code) under the wrapping.
 *
 * @module
 */
import { CniError } from "../errors.ts";
import { goQuote } from "../_go_quote.ts";

/** An error's text as Go prints it: a CniError as `msg` or `msg; details`. */
export function errorText(error: unknown): string {
  if (error instanceof CniError) return error.toString();
  if (error instanceof Error) return error.message;
  return String(error);
}

/** An error with context in front of its cause's text (`fmt.Errorf("<context>: %w", cause)`). */
export class WrappedError extends Error {
  /** `context: <the cause's text>`, with `cause` kept. */
  constructor(context: string, cause: unknown) {
    super(`${context}: ${errorText(cause)}`, { cause });
    this.name = "WrappedError";
  }
}

/** Several errors as one, their texts on separate lines (Go's `errors.Join`). */
export class JoinedError extends Error {
  /** The errors, in the order they happened. */
  readonly errors: readonly unknown[];

  /** One error for all of `errors`; the message holds their texts, one per line. */
  constructor(errors: readonly unknown[]) {
    super(errors.map(errorText).join("\n"));
    this.name = "JoinedError";
    this.errors = errors;
  }
}

/** The errors as one: undefined for none, the error itself for one, else a {@link JoinedError}. */
export function joinErrors(errors: readonly unknown[]): unknown {
  if (errors.length === 0) return undefined;
  return errors.length === 1 ? errors[0] : new JoinedError(errors);
}

/** How libcni names a plugin in errors: `type="bridge"`, plus ` name="x"` when it has a name. */
export function describePlugin(plugin: { readonly type: string; readonly name: string }): string {
  const type = `type=${goQuote(plugin.type)}`;
  return plugin.name === "" ? type : `${type} name=${goQuote(plugin.name)}`;
}

/** The verb as a {@link PluginError} names it. */
export type PluginErrorVerb = "add" | "delete" | "check" | "status";

/**
 * A plugin's failure during a verb. For ADD and DEL the message is libcni's
 * `plugin type="x" name="y" failed (add): <cause>`; for CHECK and STATUS libcni passes the cause
 * on without naming the plugin, so the message is the cause's text and {@link PluginError.named}
 * is the form with the plugin's name.
 */
export class PluginError extends Error {
  /** The plugin that failed: its `type`, and its own `name` ("" when it has none). */
  readonly plugin: { readonly type: string; readonly name: string };
  /** The verb it failed in. */
  readonly verb: PluginErrorVerb;
  /** The message with the plugin named, whatever the verb. */
  readonly named: string;

  /** The failure `cause` of `plugin` in `verb`. */
  constructor(
    plugin: { readonly type: string; readonly name: string },
    verb: PluginErrorVerb,
    cause: unknown,
  ) {
    const named = `plugin ${describePlugin(plugin)} failed (${verb}): ${errorText(cause)}`;
    super(verb === "add" || verb === "delete" ? named : errorText(cause), { cause });
    this.name = "PluginError";
    this.plugin = { type: plugin.type, name: plugin.name };
    this.verb = verb;
    this.named = named;
  }
}

/**
 * The first CniError in an error's chain of causes and joined errors, depth first (Go's
 * `errors.As` for `*types.Error`): the error object of the plugin that failed, or a validation
 * error with its code. Undefined when there is none (a plugin that was not found, a bad result).
 */
export function findCniError(error: unknown): CniError | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): CniError | undefined => {
    if (seen.has(e)) return undefined;
    seen.add(e);
    if (e instanceof CniError) return e;
    if (e instanceof JoinedError) {
      for (const inner of e.errors) {
        const found = visit(inner);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    return e instanceof Error && e.cause !== undefined ? visit(e.cause) : undefined;
  };
  return visit(error);
}
