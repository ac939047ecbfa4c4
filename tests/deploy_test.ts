/**
 * The Kubernetes deployment (deploy/): the DaemonSet mounts the host's plugin and configuration
 * directories, its init container runs the installer with options the installer really has
 * (checked against its own option table and parser) on exactly those mounts, and the image
 * (deploy/Containerfile) puts the installer, the plugins and plugins.json where that command
 * looks for them. Finally the init container's command is run for real, with the host paths
 * mapped to temporary directories.
 *
 * The manifest is read with the `yaml` package (a test-only dependency, pinned in deno.json and
 * deno.lock) under both YAML 1.1 and YAML 1.2, and must mean the same to both: Kubernetes reads
 * manifests with a Go YAML library that keeps YAML 1.1's plain booleans (yes, no, on, off) and
 * octals (0755), so a value that a YAML 1.2 reader takes for a string could reach the cluster as
 * something else. Exactly one document, no error or warning (a repeated key is an error), and
 * every scalar a string, a boolean or an integer: a float such as 3.10 is a version that lost its
 * last digit, and a null a value left out.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { bundlePath, manifestEntry, readManifest, ROOT, runArgs } from "../scripts/manifest.ts";
import { main } from "../cli/install_node.ts";
import { OPTIONS, parseOptions } from "../cli/_install/options.ts";
import { BACKUP_SUFFIX } from "../cli/_install/mod.ts";

const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// Reading the manifest

/** The YAML versions whose readers must agree on the manifest. */
const YAML_VERSIONS = ["1.1", "1.2"] as const;

/** How far two readings are shown when they differ. */
const SHOWN = 60;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The path of the first place where `a` and `b` differ, with both values; undefined if none. */
function firstDifference(a: unknown, b: unknown, path = "$"): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path} has ${a.length} items and ${b.length}`;
    for (const [i, item] of a.entries()) {
      const found = firstDifference(item, b[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isRecord(a) && isRecord(b)) {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    const odd = keysA.find((k) => !Object.hasOwn(b, k)) ?? keysB.find((k) => !Object.hasOwn(a, k));
    if (odd !== undefined) return `${path} has the keys ${keysA.join(",")} and ${keysB.join(",")}`;
    for (const key of keysA) {
      const found = firstDifference(a[key], b[key], `${path}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (Object.is(a, b)) return undefined;
  const show = (value: unknown) => JSON.stringify(value)?.slice(0, SHOWN);
  return `${path} is ${show(a)} and ${show(b)}`;
}

/** Where a scalar is not a string, a boolean or an integer; undefined if none is. */
function oddScalar(value: unknown, path = "$"): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = oddScalar(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isRecord(value)) {
    for (const [key, member] of Object.entries(value)) {
      const found = oddScalar(member, `${path}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === "string" || typeof value === "boolean" || Number.isSafeInteger(value)) {
    return undefined;
  }
  return `${path} is ${String(value).slice(0, SHOWN)}: quote it, or write a string or integer`;
}

/** Reads one YAML document as YAML `version` says; throws on an error, a warning or two documents. */
function readAs(source: string, version: typeof YAML_VERSIONS[number]): unknown {
  const documents = parseAllDocuments(source, { version, uniqueKeys: true });
  if (documents.length !== 1) {
    throw new Error(`yaml: one document wanted, found ${documents.length}`);
  }
  const document = documents[0]!;
  const fault = document.errors[0] ?? document.warnings[0];
  if (fault !== undefined) {
    throw new Error(`yaml ${version}: ${fault.message.split("\n")[0]!.slice(0, 200)}`);
  }
  return document.toJS();
}

/** The manifest as data, when YAML 1.1 and 1.2 read it alike and it holds only plain scalars. */
function parseManifest(source: string): unknown {
  const [older, newer] = YAML_VERSIONS.map((version) => readAs(source, version));
  const difference = firstDifference(older, newer);
  if (difference !== undefined) {
    throw new Error(`yaml: YAML 1.1 and 1.2 read it differently: ${difference}`);
  }
  const odd = oddScalar(newer);
  if (odd !== undefined) throw new Error(`yaml: ${odd}`);
  return newer;
}

Deno.test("the manifest reader accepts YAML that means one thing and refuses the rest", async (t) => {
  await t.step("accepts plain YAML that both versions read alike", () => {
    assert.deepEqual(
      parseManifest(
        'a: 1\nb:\n  - x\n  - "y #1"\n  - k: v # note\n    l: true\nc:\n  d: /p/q:3.10\n' +
          "e: [1, two]\nf: 'yes'\n",
      ),
      {
        a: 1,
        b: ["x", "y #1", { k: "v", l: true }],
        c: { d: "/p/q:3.10" },
        e: [1, "two"],
        f: "yes",
      },
    );
  });
  const refused: [string, string, RegExp][] = [
    ["a YAML 1.1 boolean", "a: yes\n", /\$\.a is true and "yes"/],
    ["a YAML 1.1 boolean key", "on: 1\n", /\$ has the keys true and on/],
    ["an octal", "a: 0755\n", /\$\.a is 493 and 755/],
    ["a sexagesimal", "a: 1:20\n", /\$\.a is 80 and "1:20"/],
    ["a version that is a float", "a: 3.10\n", /\$\.a is 3\.1: quote it/],
    ["a value left out", "a:\nb: 1\n", /\$\.a is null: quote it/],
    ["a duplicate key", "a: 1\na: 2\n", /^yaml 1\.1: Map keys must be unique/],
    ["a tab as indentation", "a:\n\t- 1\n", /^yaml 1\.1: /],
    ["two documents", "a: 1\n---\nb: 2\n", /^yaml: one document wanted, found 2$/],
    ["no document", "# nothing\n", /^yaml: one document wanted, found 0$/],
  ];
  for (const [label, source, message] of refused) {
    await t.step(`refuses ${label}`, () => assert.throws(() => parseManifest(source), { message }));
  }
});

// ---------------------------------------------------------------------------------------------
// The manifest and the image

type Dict = Record<string, unknown>;

function dict(value: unknown, what: string): Dict {
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), what);
  return value as Dict;
}

function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), what);
  return value;
}

function named(items: unknown[], name: string): Dict {
  const found = items.map((i) => dict(i, "list item")).filter((i) => i.name === name);
  assert.equal(found.length, 1, `exactly one "${name}"`);
  return found[0]!;
}

const manifest = dict(
  parseManifest(Deno.readTextFileSync(`${ROOT}/deploy/daemonset.yaml`)),
  "doc",
);
const podSpec = dict(dict(dict(manifest.spec, "spec").template, "template").spec, "pod spec");
const initContainers = list(podSpec.initContainers, "initContainers");
const install = named(initContainers, "install");
const command = list(install.command, "command").map((a) => {
  assert.equal(typeof a, "string");
  return a as string;
});

/** The Containerfile's instructions, continuation lines joined, comments dropped. */
const containerfile = Deno.readTextFileSync(`${ROOT}/deploy/Containerfile`)
  .replace(/\\\n/g, " ")
  .split("\n")
  .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));

/** Where the final image's `COPY --from=build SRC DEST` lines put what. */
const finalCopies = (() => {
  const lastFrom = containerfile.findLastIndex((l) => l.startsWith("FROM "));
  return containerfile.slice(lastFrom).filter((l) => l.startsWith("COPY ")).map((l) => {
    const words = l.split(/\s+/).slice(1);
    assert.equal(words[0], "--from=build", l);
    assert.equal(words.length, 3, l);
    return { source: words[1]!, dest: words[2]! };
  });
})();

function imageDestOf(source: string): string {
  const copy = finalCopies.find((c) => c.source === source);
  assert.ok(copy, `the final image copies ${source}`);
  return copy.dest.replace(/\/$/, "");
}

/** The value of an option in the init container's command. */
function optionValue(name: string): string {
  const values = command.flatMap((arg, i) => arg === `--${name}` ? [command[i + 1]!] : []);
  assert.equal(values.length, 1, `--${name} once`);
  return values[0]!;
}

Deno.test("the DaemonSet runs in kube-system on every node, on the host's network", () => {
  assert.equal(manifest.apiVersion, "apps/v1");
  assert.equal(manifest.kind, "DaemonSet");
  const metadata = dict(manifest.metadata, "metadata");
  assert.equal(metadata.namespace, "kube-system");
  const selector = dict(dict(dict(manifest.spec, "spec").selector, "selector").matchLabels, "ml");
  const labels = dict(
    dict(dict(dict(manifest.spec, "spec").template, "t").metadata, "m").labels,
    "labels",
  );
  for (const [key, value] of Object.entries(selector)) assert.equal(labels[key], value);
  assert.equal(podSpec.hostNetwork, true);
  assert.deepEqual(list(podSpec.tolerations, "tolerations"), [{ operator: "Exists" }]);
  const containers = list(podSpec.containers, "containers");
  assert.equal(containers.length, 1);
  const pause = dict(containers[0], "pause");
  assert.match(String(pause.image), /^registry\.k8s\.io\/pause:[0-9.]+$/);
  assert.equal(pause.command, undefined, "the pause image's own entry point");
  assert.equal(initContainers.length, 1);
});

Deno.test("the init container mounts exactly the host's /opt/cni/bin and /etc/cni/net.d", () => {
  const volumes = list(podSpec.volumes, "volumes").map((v) => dict(v, "volume"));
  const hostPaths = Object.fromEntries(
    volumes.map((v) => [v.name, dict(v.hostPath, `${v.name} is a hostPath`).path]),
  );
  assert.deepEqual(Object.values(hostPaths).sort(), ["/etc/cni/net.d", "/opt/cni/bin"]);
  const mounts = list(install.volumeMounts, "volumeMounts").map((m) => dict(m, "mount"));
  assert.equal(mounts.length, 2);
  const mountOf = (hostPath: string) => {
    const mount = mounts.filter((m) => hostPaths[m.name as string] === hostPath);
    assert.equal(mount.length, 1, `one mount of ${hostPath}`);
    assert.notEqual(mount[0]!.readOnly, true, `${hostPath} is writable`);
    return mount[0]!.mountPath as string;
  };
  assert.equal(optionValue("bin-dir"), mountOf("/opt/cni/bin"));
  assert.equal(optionValue("conf-dir"), mountOf("/etc/cni/net.d"));
  const pause = dict(list(podSpec.containers, "containers")[0], "pause");
  assert.equal(pause.volumeMounts, undefined, "the pause container sees no host path");
});

Deno.test("the init container's command is one the installer accepts", async (t) => {
  const args = command.slice(1);
  await t.step(
    "every option is in the installer's option table, with a value when it takes one",
    () => {
      for (const [i, arg] of args.entries()) {
        if (!arg.startsWith("--")) continue;
        const spec = OPTIONS.find((o) => `--${o.name}` === arg.split("=")[0]);
        assert.ok(spec, `${arg} is an option of the installer`);
        if (spec.value !== undefined && !arg.includes("=")) {
          assert.ok(args[i + 1] !== undefined && !args[i + 1]!.startsWith("--"), `${arg} VALUE`);
        }
      }
    },
  );
  await t.step("the installer's own parser reads it", () => {
    const options = parseOptions(args);
    assert.equal(options.uninstall, false);
    assert.equal(options.dryRun, false);
    assert.equal(options.force, false, "never replaces files of another origin");
    const names = readManifest().map((p) => p.name);
    for (const name of [...options.plugins, options.chain ?? ""]) {
      assert.ok(names.includes(name), `${name} is in plugins.json`);
    }
    assert.ok(options.chain !== undefined);
  });
  await t.step("the program, the plugins and the list are where the image puts them", () => {
    assert.equal(command[0], imageDestOf("/out/install-node"));
    assert.deepEqual(list(install.command, "c").length, command.length);
    assert.equal(optionValue("from"), imageDestOf("/src/bin/"));
    assert.equal(optionValue("manifest"), imageDestOf("/src/plugins.json"));
    const entrypoint = containerfile.find((l) => l.startsWith("ENTRYPOINT "));
    assert.deepEqual(JSON.parse(entrypoint!.slice("ENTRYPOINT ".length)), [command[0]]);
  });
  await t.step("the image's tag is the project's version", () => {
    const version = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).version;
    assert.equal(install.image, `deno-cni-installer:${version}`);
    assert.match(containerfile[0]!, /^ARG DENO_VERSION=/);
  });
});

Deno.test("the image compiles every plugin and the installer from sources it copies in", async (t) => {
  const build = containerfile.slice(0, containerfile.findLastIndex((l) => l.startsWith("FROM ")));
  const runs = build.filter((l) => l.startsWith("RUN ")).map((l) => l.slice(4).trim());
  await t.step("deno task build compiles plugins.json with its permissions", () => {
    assert.ok(runs.includes("deno task build"));
    const task = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks.build as string;
    assert.match(task, /scripts\/build\.ts compile$/);
  });
  await t.step("deno compile builds the installer with what it needs, never -A", () => {
    const compile = runs.find((r) => r.startsWith("deno compile "));
    assert.ok(compile);
    const words = compile.split(/\s+/);
    assert.deepEqual(words.filter((w) => w.startsWith("--allow")).sort(), [
      "--allow-read",
      "--allow-run",
      "--allow-write",
    ]);
    assert.ok(!words.includes("-A"));
    assert.equal(words.at(-1), "cli/install_node.ts");
    assert.equal(words[words.indexOf("--output") + 1], "/out/install-node");
  });
  await t.step("deno task install-node runs the installer with the image's permissions", () => {
    const compile = runs.find((r) => r.startsWith("deno compile "))!.split(/\s+/);
    const tasks = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks;
    const task = String(tasks["install-node"] ?? "").split(/\s+/);
    assert.deepEqual(task.slice(0, 2), ["deno", "run"], "deno.json has the install-node task");
    assert.equal(task.at(-1), "cli/install_node.ts");
    const flags = (words: string[]) => words.filter((w) => w.startsWith("--allow")).sort();
    assert.deepEqual(flags(task), flags(compile));
  });
  await t.step("every local module the build needs is copied into the build stage", async () => {
    const copied = build.filter((l) => l.startsWith("COPY ")).flatMap((l) =>
      l.split(/\s+/).slice(1, -1)
    );
    const covered = (path: string) =>
      copied.some((c) => c.endsWith("/") ? path.startsWith(c) : path === c);
    const roots = [
      ...readManifest().map((p) => p.entry),
      "cli/install_node.ts",
      "scripts/build.ts",
    ];
    for (const root of roots) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["info", "--json", `${ROOT}/${root}`],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(output.success, decoder.decode(output.stderr));
      const modules = JSON.parse(decoder.decode(output.stdout)).modules as { specifier: string }[];
      const local = modules.map((m) => m.specifier).filter((s) => s.startsWith("file://"))
        .map((s) => decodeURIComponent(new URL(s).pathname).slice(ROOT.length + 1));
      assert.ok(local.length > 0);
      for (const path of local) assert.ok(covered(path), `${path} (needed by ${root}) is copied`);
    }
    for (const file of ["deno.json", "deno.lock", "plugins.json"]) assert.ok(covered(file), file);
  });
});

Deno.test("yaml is the tests' alone: the package and the plugins import no npm module", async (t) => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  assert.match(config.imports.yaml, /^npm:yaml@\d+\.\d+\.\d+$/, "pinned to one exact version");
  const roots = [
    ...Object.values(config.exports as Record<string, string>),
    ...readManifest().map((p) => p.entry),
  ];
  for (const root of roots) {
    await t.step(`${root} reaches no npm module`, async () => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["info", "--json", `${ROOT}/${root}`],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(output.success, decoder.decode(output.stderr));
      const modules = JSON.parse(decoder.decode(output.stdout)).modules as {
        specifier: string;
        kind?: string;
      }[];
      assert.ok(modules.length > 0);
      const npm = modules.filter((m) => m.kind === "npm" || m.specifier.startsWith("npm:"));
      assert.deepEqual(npm.map((m) => m.specifier), []);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The command, run

Deno.test("the init container's command installs and chains, then changes nothing", async () => {
  const root = Deno.makeTempDirSync({ prefix: "dcni-deploy-" });
  try {
    // The image's files: the plugins (the sample as a launcher of its bundle) and plugins.json.
    const from = `${root}/image-bin`;
    Deno.mkdirSync(from);
    try {
      Deno.statSync(bundlePath("sample"));
    } catch {
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}/scripts/build.ts`, "bundle", "sample"],
      }).output();
      assert.ok(built.success);
    }
    const quote = (w: string) => `'${w.replaceAll("'", `'\\''`)}'`;
    const launch = [Deno.execPath(), ...runArgs(manifestEntry("sample"))].map(quote).join(" ");
    Deno.writeTextFileSync(`${from}/sample`, `#!/bin/sh\nexec ${launch} "$@"\n`);
    Deno.chmodSync(`${from}/sample`, 0o755);
    // The host's directories, with containerd's usual bridge network.
    const hostBin = `${root}/host-opt-cni-bin`;
    const hostConf = `${root}/host-etc-cni-net.d`;
    Deno.mkdirSync(hostBin);
    Deno.mkdirSync(hostConf);
    const network = {
      cniVersion: "1.0.0",
      name: "containerd-net",
      plugins: [
        { type: "bridge", bridge: "cni0", isGateway: true, ipam: { type: "host-local" } },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    };
    const conflist = `${hostConf}/10-containerd-net.conflist`;
    Deno.writeTextFileSync(conflist, JSON.stringify(network, null, 2));

    const paths: Record<string, string> = {
      [optionValue("from")]: from,
      [optionValue("manifest")]: `${ROOT}/plugins.json`,
      [optionValue("bin-dir")]: hostBin,
      [optionValue("conf-dir")]: hostConf,
    };
    const args = command.slice(1).map((a) => paths[a] ?? a);
    const first = { out: [] as string[], err: [] as string[] };
    const code = await main(args, { out: (l) => first.out.push(l), err: (l) => first.err.push(l) });
    assert.equal(code, 0, first.err.join("\n"));
    assert.deepEqual(first.out, [
      `installed ${hostBin}/sample`,
      `saved ${conflist} as ${conflist}${BACKUP_SUFFIX}`,
      `chained sample into ${conflist} (network "containerd-net", cniVersion 1.0.0)`,
    ]);
    const chained = JSON.parse(Deno.readTextFileSync(conflist));
    assert.deepEqual(chained.plugins.at(-1), { type: "sample", anotherAwesomeArg: "deno-cni" });

    // A restarted pod runs it again: nothing changes.
    const again = { out: [] as string[], err: [] as string[] };
    assert.equal(
      await main(args, { out: (l) => again.out.push(l), err: (l) => again.err.push(l) }),
      0,
    );
    assert.deepEqual(again.out, [
      `left ${hostBin}/sample alone: unchanged`,
      `left ${conflist} alone: sample is already chained (network "containerd-net", ` +
      `cniVersion 1.0.0)`,
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
