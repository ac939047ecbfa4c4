/**
 * What a plugin printed on stdout, split into its top-level JSON documents. Spec "Section 2:
 * Execution Protocol" has the plugin answer with one JSON object on stdout (a result, a VERSION
 * reply or an error) and nothing else; a log line, a second object or a bare word next to it makes
 * the answer unreadable for a runtime.
 *
 * @module
 */

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const SCALAR_END = new Set([...WHITESPACE, "{", "}", "[", "]", '"', ","]);

/** The top-level values of `text`, or why it is not a sequence of JSON values. */
export interface Documents {
  /** The values that parsed, in order. */
  readonly values: readonly unknown[];
  /** Set when some part is not JSON; `values` then holds the documents before it. */
  readonly error?: string;
}

/** Where the value starting at `start` ends: the index after its last character. */
function valueEnd(text: string, start: number): number {
  const first = text[start];
  if (first === '"' || first === "{" || first === "[") {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === "\\") i++;
        else if (c === '"') {
          inString = false;
          if (depth === 0) return i + 1;
        }
      } else if (c === '"') inString = true;
      else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return text.length;
  }
  let end = start + 1;
  while (end < text.length && !SCALAR_END.has(text[end]!)) end++;
  return end;
}

/** `text` cut to `max` characters and quoted as JSON, for messages. */
export function excerpt(text: string, max = 80): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Splits `text` into its top-level JSON values (whitespace between and around them is fine). */
export function jsonDocuments(text: string): Documents {
  const values: unknown[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && WHITESPACE.has(text[i]!)) i++;
    if (i >= text.length) return { values };
    const end = valueEnd(text, i);
    const piece = text.slice(i, end);
    try {
      values.push(JSON.parse(piece));
    } catch {
      return { values, error: `${excerpt(text.slice(i))} is not JSON` };
    }
    i = end;
  }
}

/** Why `stdout` is not exactly one JSON document, or undefined when it is. */
export function oneDocumentProblem(stdout: string): string | undefined {
  const { values, error } = jsonDocuments(stdout);
  if (error !== undefined) {
    return values.length === 0
      ? `stdout is not JSON: ${error}`
      : `stdout holds text after ${values.length} JSON document(s): ${error}`;
  }
  if (values.length === 0) return "stdout is empty";
  if (values.length > 1) return `stdout holds ${values.length} JSON documents, not one`;
  return undefined;
}

/** The one JSON document of `stdout`; undefined unless there is exactly one. */
export function onlyDocument(stdout: string): { value: unknown } | undefined {
  const { values, error } = jsonDocuments(stdout);
  return error === undefined && values.length === 1 ? { value: values[0] } : undefined;
}

/** Why `stdout` is not empty (whitespace aside), or undefined when it is. */
export function nothingProblem(stdout: string): string | undefined {
  return stdout.trim() === "" ? undefined : `stdout is not empty: ${excerpt(stdout.trim())}`;
}
