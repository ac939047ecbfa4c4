/**
 * The Kubernetes deployment (deploy/): the DaemonSet mounts the host's plugin and configuration
 * directories, its init container runs the installer with options the installer really has
 * (checked against its own option table and parser) on exactly those mounts, and the image
 * (deploy/Containerfile) puts the installer, the plugins and plugins.json where that command
 * looks for them. Finally the init container's command is run for real, with the host paths
 * mapped to temporary directories.
 *
 * The manifest is parsed by the small parser below instead of a YAML package: the project has no
 * npm dependencies, and the parser accepts only a plain subset (block mappings and lists, plain
 * scalars that mean the same in YAML 1.1 and 1.2, JSON-style double-quoted strings) and throws
 * on anything else, so what it reads is what kubectl reads.
 */
import assert from "node:assert/strict";
import { bundlePath, manifestEntry, readManifest, ROOT, runArgs } from "../scripts/manifest.ts";
import { main } from "../cli/install_node.ts";
import { OPTIONS, parseOptions } from "../cli/_install/options.ts";
import { BACKUP_SUFFIX } from "../cli/_install/mod.ts";

const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// A strict YAML subset

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

interface Line {
  readonly number: number;
  readonly indent: number;
  readonly text: string;
}

/** Words YAML 1.1 reads as booleans or null: they must be quoted to be strings. */
const AMBIGUOUS =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|True|TRUE|False|FALSE|null|Null|NULL|~)$/;
const PLAIN = /^(?:[A-Za-z/]|--)[A-Za-z0-9_/.=:@+,-]*$/;
const KEY = /^[A-Za-z][A-Za-z0-9_./-]*$/;

function fail(line: Line | undefined, message: string): never {
  throw new Error(`yaml line ${line?.number ?? "end"}: ${message}`);
}

/** The line without its comment: `#` at the start or after a space, outside quotes. */
function stripComment(text: string, line: number): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === "#" && (i === 0 || text[i - 1] === " ")) {
      return text.slice(0, i).trimEnd();
    }
  }
  if (quoted) fail({ number: line, indent: 0, text }, "unterminated string");
  return text.trimEnd();
}

function scalar(text: string, line: Line): Yaml {
  if (text.startsWith('"')) {
    if (text.includes("\\/")) fail(line, "\\/ is not an escape in YAML 1.1");
    try {
      const value = JSON.parse(text);
      if (typeof value === "string") return value;
    } catch { /* below */ }
    fail(line, `bad double-quoted string ${text}`);
  }
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (!PLAIN.test(text) || AMBIGUOUS.test(text)) fail(line, `quote ${JSON.stringify(text)}`);
  return text;
}

/** Parses one document of the subset; throws on anything outside it. */
function parseYaml(source: string): Yaml {
  const lines: Line[] = [];
  source.split("\n").forEach((raw, i) => {
    if (raw.includes("\t")) fail({ number: i + 1, indent: 0, text: raw }, "tab");
    const text = stripComment(raw, i + 1);
    if (text.trim() === "") return;
    const indent = text.length - text.trimStart().length;
    if (text.trim() === "---" || text.trim() === "...") {
      fail({ number: i + 1, indent, text }, "one document, no markers");
    }
    lines.push({ number: i + 1, indent, text: text.trimStart() });
  });
  let at = 0;

  function block(indent: number): Yaml {
    const line = lines[at];
    if (line === undefined || line.indent !== indent) fail(line, `expected indent ${indent}`);
    return line.text === "-" || line.text.startsWith("- ") ? sequence(indent) : mapping(indent);
  }

  function mapping(indent: number): Yaml {
    const out: Record<string, Yaml> = {};
    while (at < lines.length && lines[at]!.indent === indent) {
      const line = lines[at]!;
      const match = /^([^ :"]+):(?: (.*))?$/.exec(line.text);
      if (!match) fail(line, "expected key: value");
      const key = match[1]!;
      if (!KEY.test(key) || AMBIGUOUS.test(key)) fail(line, `bad key ${key}`);
      if (key in out) fail(line, `duplicate key ${key}`);
      at++;
      if (match[2] !== undefined) {
        out[key] = scalar(match[2].trim(), line);
      } else {
        const next = lines[at];
        if (next === undefined || next.indent <= indent) fail(line, `empty value of ${key}`);
        out[key] = block(next.indent);
      }
    }
    if (at < lines.length && lines[at]!.indent > indent) fail(lines[at], "bad indentation");
    return out;
  }

  function sequence(indent: number): Yaml {
    const out: Yaml[] = [];
    while (at < lines.length && lines[at]!.indent === indent) {
      const line = lines[at]!;
      if (!line.text.startsWith("- ")) fail(line, "expected - item");
      const item = line.text.slice(2);
      if (item === "-" || item.startsWith("- ")) fail(line, "nested list on one line");
      if (/^[^ :"]+:( |$)/.test(item)) {
        // "- key: value": a mapping whose keys sit two columns in.
        lines[at] = { number: line.number, indent: indent + 2, text: item };
        out.push(mapping(indent + 2));
      } else {
        out.push(scalar(item, line));
        at++;
      }
    }
    if (at < lines.length && lines[at]!.indent > indent) fail(lines[at], "bad indentation");
    return out;
  }

  const document = block(0);
  if (at !== lines.length) fail(lines[at], "trailing content");
  return document;
}

Deno.test("the YAML subset parser reads what it accepts and refuses the rest", async (t) => {
  await t.step("accepts", () => {
    assert.deepEqual(
      parseYaml(
        'a: 1\nb:\n  - x\n  - "y #1"\n  - k: v # note\n    l: true\nc:\n  d: /p/q:3.10\n',
      ),
      { a: 1, b: ["x", "y #1", { k: "v", l: true }], c: { d: "/p/q:3.10" } },
    );
  });
  const refused: [string, string][] = [
    ["a YAML 1.1 boolean", "a: yes\n"],
    ["a YAML 1.1 boolean key", "on: 1\n"],
    ["a version that is a float", "a: 3.10\n"],
    ["an octal", "a: 0755\n"],
    ["a sexagesimal", "a: 1:20\n"],
    ["flow style", "a: [1, 2]\n"],
    ["an anchor", "a: &x 1\n"],
    ["a block scalar", "a: |\n  x\n"],
    ["single quotes", "a: 'x'\n"],
    ["a space in a plain string", "a: two words\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["a tab", "a:\n\t- 1\n"],
    ["bad indentation", "a:\n    b: 1\n  c: 2\n"],
    ["two documents", "a: 1\n---\nb: 2\n"],
    ["an empty value", "a:\nb: 1\n"],
  ];
  for (const [label, source] of refused) {
    await t.step(`refuses ${label}`, () => assert.throws(() => parseYaml(source), /yaml line/));
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

const manifest = dict(parseYaml(Deno.readTextFileSync(`${ROOT}/deploy/daemonset.yaml`)), "doc");
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
