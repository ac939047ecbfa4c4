/**
 * Asking a plugin which spec versions it supports: the VERSION command of the spec's
 * "Section 2: Execution Protocol", whose answer carries `supportedVersions`.
 */
import { InstallError } from "./errors.ts";

/** How long a plugin may take to answer VERSION. */
const TIMEOUT_MS = 30_000;

/** One VERSION run of `executable`. */
async function askVersion(executable: string, cniVersion: string): Promise<Deno.CommandOutput> {
  const child = new Deno.Command(executable, {
    clearEnv: true,
    env: { CNI_COMMAND: "VERSION" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).spawn();
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(JSON.stringify({ cniVersion })));
    await writer.close();
  } catch {
    // A plugin may exit without reading stdin; its answer is what counts.
  }
  return await child.output();
}

/**
 * Runs `executable` with `CNI_COMMAND=VERSION` (and nothing else in its environment) and
 * `{"cniVersion": ...}` on stdin, and returns its `supportedVersions`.
 */
export async function supportedVersions(executable: string, cniVersion: string): Promise<string[]> {
  let output: Deno.CommandOutput;
  for (let attempt = 1;; attempt++) {
    try {
      output = await askVersion(executable, cniVersion);
      break;
    } catch (error) {
      // A file just written may be held open for writing by a child another thread forked
      // meanwhile: the kernel says "text file busy" for a moment, as libcni knows and retries.
      if (
        attempt < 6 && error instanceof Error && /os error 26\b|Text file busy/.test(error.message)
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        continue;
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new InstallError(`Cannot run "${executable}" to ask its versions: ${reason}`);
    }
  }
  const stdout = new TextDecoder().decode(output.stdout);
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    answer = undefined;
  }
  const versions = (answer as { supportedVersions?: unknown } | undefined)?.supportedVersions;
  if (
    !output.success || !Array.isArray(versions) || !versions.every((v) => typeof v === "string")
  ) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n")[0] ?? "";
    throw new InstallError(
      `"${executable}" did not answer VERSION with supportedVersions (exit status ` +
        `${output.code}${stderr ? `: ${stderr}` : ""})`,
    );
  }
  return versions;
}
