/**
 * The TypeScript side of the CRI client: compiles runtime_v1.proto with Debian's grpc_tools and
 * runs cri_client.py (Debian's python3-grpcio) once per call, the request as JSON in argv and the
 * answer as JSON on stdout.
 */
import { run, runOk } from "../_netns.ts";

/** Debian's Python, where python3-grpcio and python3-grpc-tools are importable. */
export const PYTHON = "/usr/bin/python3";

const HERE = new URL(".", import.meta.url).pathname;
const CLIENT = `${HERE}cri_client.py`;
const PROTO = "runtime_v1.proto";

/** The CRI methods cri_client.py knows. */
export type CriMethod =
  | "Version"
  | "Status"
  | "RunPodSandbox"
  | "StopPodSandbox"
  | "RemovePodSandbox"
  | "PodSandboxStatus"
  | "ListPodSandbox"
  | "ImageStatus";

/** A call's outcome. `elapsedMs` is the call's own wall time, without Python's start-up. */
export type CallResult =
  | { readonly ok: true; readonly response: Record<string, unknown>; readonly elapsedMs: number }
  | {
    readonly ok: false;
    /** The gRPC status code name, e.g. "UNKNOWN", "NOT_FOUND", "UNAVAILABLE". */
    readonly code: string;
    readonly details: string;
    readonly elapsedMs: number;
  };

/** A clean environment for Python, so no PYTHONPATH or PYTHONHOME of this machine leaks in. */
function pythonEnv(): Record<string, string> {
  return { PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" };
}

/** True when Debian's Python can import grpc and grpc_tools. */
export function hasPythonGrpc(): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", "import grpc, grpc_tools.protoc"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      clearEnv: true,
      env: pythonEnv(),
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** Compiles runtime_v1.proto into `outDir` (runtime_v1_pb2.py and runtime_v1_pb2_grpc.py). */
export async function compileProto(outDir: string): Promise<void> {
  await runOk([
    PYTHON,
    "-m",
    "grpc_tools.protoc",
    `-I${HERE}`,
    `--python_out=${outDir}`,
    `--grpc_python_out=${outDir}`,
    PROTO,
  ], { clearEnv: true, env: pythonEnv() });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Makes one CRI call over the unix socket `socket` with the modules compiled into `generated`.
 * The request uses the .proto field names. Never throws for a gRPC error: see `ok`.
 */
export async function criCall(
  generated: string,
  socket: string,
  method: CriMethod,
  request: Record<string, unknown>,
  timeoutSeconds = 30,
): Promise<CallResult> {
  const args = [CLIENT, generated, socket, method, JSON.stringify(request), `${timeoutSeconds}`];
  const output = await run([PYTHON, ...args], { clearEnv: true, env: pythonEnv() });
  if (output.code !== 0) {
    throw new Error(`cri_client.py ${method} exited ${output.code}: ${output.stderr.trim()}`);
  }
  const parsed: unknown = JSON.parse(output.stdout);
  if (!isRecord(parsed) || typeof parsed.elapsedMs !== "number") {
    throw new Error(`cri_client.py ${method} printed an unexpected answer: ${output.stdout}`);
  }
  if (parsed.ok === true && isRecord(parsed.response)) {
    return { ok: true, response: parsed.response, elapsedMs: parsed.elapsedMs };
  }
  if (
    parsed.ok === false && typeof parsed.code === "string" && typeof parsed.details === "string"
  ) {
    return { ok: false, code: parsed.code, details: parsed.details, elapsedMs: parsed.elapsedMs };
  }
  throw new Error(`cri_client.py ${method} printed an unexpected answer: ${output.stdout}`);
}
