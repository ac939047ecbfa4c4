/**
 * The namespace toolkit's contract (tests/_netns_contract.ts) on every backend there is here:
 * the model kernel always; as root in the full run (TEST_FULL=1), also `exec` and (with
 * --allow-ffi) `netlink`, in throwaway
 * namespaces (`ip netns add dcni-ct-<random>`, deleted afterwards, also on failure). Each case
 * runs on every backend, then what the model and netlink saw is compared with what exec saw on
 * the real kernel, which is the reference: a difference fails the case's "agrees" step with the
 * diff.
 *
 * Link kinds this kernel lacks (found by trying them) are printed; the cases that need them run
 * on the model alone, and on the kernel backends a case checks that creating one is EOPNOTSUPP.
 */
import assert from "node:assert/strict";
import { execBackend } from "../lib/_netns_exec.ts";
import { denoHost } from "../lib/host.ts";
import { netlinkBackend } from "../lib/netlink/backend.ts";
import { netns } from "../lib/netns.ts";
import { fakeHost, modelKernel, skipReason } from "../lib/testing.ts";
import {
  CASES,
  type ContractCase,
  type ContractTarget,
  counted,
  LINK_KINDS,
  type LinkKind,
  type NotANamespace,
  type Observation,
} from "./_netns_contract.ts";

// The kernel runs take a minute: they are part of the full run (TEST_FULL=1, as CI runs it).
const rootSkip = Deno.env.get("TEST_FULL") === "1"
  ? await skipReason({ root: true, programs: ["ip", "tc", "nsenter", "mkfifo"] })
  : "the kernel runs are part of the full run (TEST_FULL=1)";
const ffiGranted = (await Deno.permissions.query({ name: "ffi" })).state === "granted";
const netlinkSkip = rootSkip ?? (ffiGranted ? undefined : "needs --allow-ffi");
if (rootSkip !== undefined) console.log(`exec and netlink contract runs ignored: ${rootSkip}`);
else if (netlinkSkip !== undefined) console.log(`netlink contract runs ignored: ${netlinkSkip}`);

async function run(program: string, ...args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const output = await new Deno.Command(program, { args, stdout: "null", stderr: "piped" })
    .output();
  return { ok: output.success, stderr: new TextDecoder().decode(output.stderr).trim() };
}

async function mustRun(program: string, ...args: string[]): Promise<void> {
  const { ok, stderr } = await run(program, ...args);
  if (!ok) throw new Error(`${program} ${args.join(" ")} failed: ${stderr}`);
}

function randomName(): string {
  return `dcni-ct-${crypto.randomUUID().slice(0, 8)}`;
}

/** The kinds of link this kernel creates, found by trying each in a scratch namespace. */
async function kernelKinds(): Promise<Set<LinkKind>> {
  const name = randomName();
  await mustRun("ip", "netns", "add", name);
  const kinds = new Set<LinkKind>();
  try {
    await mustRun(
      "ip",
      "-n",
      name,
      "link",
      "add",
      "name",
      "p0",
      "type",
      "veth",
      "peer",
      "name",
      "p1",
    );
    for (const kind of LINK_KINDS) {
      const parent = kind === "macvlan" || kind === "ipvlan" || kind === "vlan"
        ? ["link", "p0"]
        : [];
      const extra = kind === "vlan" ? ["id", "7"] : kind === "veth" ? ["peer", "name", "x1"] : [];
      const tried = await run(
        "ip",
        "-n",
        name,
        "link",
        "add",
        ...parent,
        "name",
        "x0",
        "type",
        kind,
        ...extra,
      );
      if (tried.ok) kinds.add(kind);
      await run("ip", "-n", name, "link", "del", "dev", "x0");
    }
  } finally {
    await run("ip", "netns", "del", name);
  }
  return kinds;
}

const KERNEL_KINDS = rootSkip === undefined ? await kernelKinds() : new Set<LinkKind>();
if (rootSkip === undefined) {
  const lacking = LINK_KINDS.filter((kind) => !KERNEL_KINDS.has(kind));
  if (lacking.length > 0) {
    console.log(
      `this kernel lacks ${lacking.join(", ")}: the cases that need them run on the model ` +
        "alone, and creating one is EOPNOTSUPP on exec and netlink",
    );
  }
}

/** Polls `check` every 100 ms for up to 20 s. */
async function poll(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A target on the real kernel, and what removes everything it made. */
function kernelTarget(
  name: "exec" | "netlink",
): { target: ContractTarget; cleanup(): Promise<void> } {
  const host = denoHost();
  const netlink = name === "netlink" ? netlinkBackend({ timeoutMs: 10_000 }) : undefined;
  const backend = counted(netlink ?? execBackend(host, 60_000));
  const made = new Set<string>();
  const scratch = Deno.makeTempDirSync({ prefix: "dcni-ct-" });
  let files = 0;
  const target: ContractTarget = {
    name,
    kinds: KERNEL_KINDS,
    async namespace() {
      const namespace = randomName();
      await mustRun("ip", "netns", "add", namespace);
      made.add(namespace);
      return `/run/netns/${namespace}`;
    },
    async deleteNamespace(path) {
      // The netlink backend's sockets hold the namespaces they were opened in.
      netlink?.close();
      const namespace = path.slice(path.lastIndexOf("/") + 1);
      await mustRun("ip", "netns", "del", namespace);
      made.delete(namespace);
    },
    toolkit: (path) => netns(path, { host, backend }),
    get operations() {
      return backend.count;
    },
    async notANamespace(kind: NotANamespace) {
      const path = `${scratch}/not-a-namespace-${++files}`;
      if (kind === "a FIFO") await mustRun("mkfifo", path);
      else if (kind === "a regular file") await Deno.writeTextFile(path, "");
      else await Deno.mkdir(path);
      return path;
    },
    missingPath: () => `${scratch}/missing`,
    async unblock(path) {
      using _writer = await Deno.open(path, { write: true });
    },
    eventually: (check, what) => poll(check, what),
  };
  return {
    target,
    async cleanup() {
      netlink?.close();
      for (const namespace of made) await run("ip", "netns", "del", namespace);
      await Deno.remove(scratch, { recursive: true });
    },
  };
}

const FILE_KINDS = {
  "a FIFO": "fifo",
  "a regular file": "file",
  "a directory": "directory",
} as const;

/** A target on a new model kernel. */
function modelTarget(): { target: ContractTarget; cleanup(): Promise<void> } {
  const kernel = modelKernel();
  const host = fakeHost({ kernel });
  const backend = counted(kernel.backend);
  let count = 0;
  const target: ContractTarget = {
    name: "model",
    kinds: new Set(LINK_KINDS),
    namespace() {
      const path = `/run/netns/dcni-ct-${++count}`;
      kernel.addNamespace(path);
      return Promise.resolve(path);
    },
    deleteNamespace(path) {
      kernel.deleteNamespace(path);
      return Promise.resolve();
    },
    toolkit: (path) => netns(path, { host, backend }),
    get operations() {
      return backend.count;
    },
    notANamespace(kind) {
      const path = `/tmp/dcni-ct/not-a-namespace-${++count}`;
      kernel.addFile(path, FILE_KINDS[kind]);
      return Promise.resolve(path);
    },
    missingPath: () => "/run/netns/dcni-ct-missing",
    unblock: () => Promise.resolve(),
    eventually: (check, what) => poll(check, what, 1000),
  };
  return { target, cleanup: () => Promise.resolve() };
}

type TargetName = ContractTarget["name"];

const TARGETS: readonly { name: TargetName; skip: string | undefined }[] = [
  { name: "exec", skip: rootSkip },
  { name: "netlink", skip: netlinkSkip },
  { name: "model", skip: undefined },
];

function makeTarget(name: TargetName) {
  return name === "model" ? modelTarget() : kernelTarget(name);
}

/** Why `c` does not run on `name`, or undefined when it does. */
function notHere(c: ContractCase, name: TargetName): string | undefined {
  if (c.kernelOnly && name === "model") return "a case about this kernel";
  if (name === "model") return undefined;
  const lacking = (c.kinds ?? []).filter((kind) => !KERNEL_KINDS.has(kind));
  return lacking.length === 0 ? undefined : `this kernel lacks ${lacking.join(", ")}`;
}

for (const c of CASES) {
  Deno.test(`${c.group}: ${c.name}`, async (t) => {
    const seen = new Map<TargetName, Observation>();
    for (const { name, skip } of TARGETS) {
      const why = skip ?? notHere(c, name);
      await t.step({
        name: why === undefined ? name : `${name} (ignored: ${why})`,
        ignore: why !== undefined,
        async fn() {
          const { target, cleanup } = makeTarget(name);
          try {
            seen.set(name, await c.run(target));
          } finally {
            await cleanup();
          }
        },
      });
    }
    const reference = seen.get("exec");
    for (const name of ["netlink", "model"] as const) {
      const observed = seen.get(name);
      await t.step({
        name: `${name} agrees with the kernel (exec)`,
        ignore: reference === undefined || observed === undefined,
        fn: () => assert.deepEqual(observed, reference),
      });
    }
  });
}
