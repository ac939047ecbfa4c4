/**
 * The scaffold (scripts/new.ts, `deno task new`) end to end, in a temporary copy of the project
 * so the tree is never touched: it writes a plugin of each kind, with the longest name allowed
 * and with a one-letter name (formatting depends on line lengths), and the files it writes pass
 * the project's checks unchanged (fmt, lint, type check, their own tests), bundle, and run with
 * the permissions it put in plugins.json, which are asserted flag by flag. As root, the chained
 * plugin runs as a real process against a namespace of its own with exactly those permissions,
 * and fails without any one of its flags; the interface plugin wires a veth pair between two
 * namespaces, and under strace runs no program but its IPAM plugin. Bad requests change nothing.
 */
import assert from "node:assert/strict";
import { RUN_FLAGS } from "../scripts/manifest.ts";
import { netns } from "../lib/netns.ts";
import { denoHost } from "../lib/protocol.ts";
import { skipReason, withNetns } from "../lib/testing.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DENO = Deno.execPath();

/** What the copy needs: the library, the scripts with the templates, the manifest, deno.json. */
const COPIED = ["deno.json", "deno.lock", "plugins.json", "lib", "scripts"];

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in `cwd`; with `cleanEnv`, its environment holds only `cleanEnv`. */
async function run(
  cwd: string,
  args: string[],
  cleanEnv?: Record<string, string>,
  stdin?: string,
): Promise<Output> {
  const child = new Deno.Command(args[0]!, {
    args: args.slice(1),
    cwd,
    clearEnv: cleanEnv !== undefined,
    env: cleanEnv ?? { NO_COLOR: "1" },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function copyProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-new-test-" });
  for (const name of COPIED) {
    const copied = await run(ROOT, ["cp", "-R", `${ROOT}/${name}`, `${dir}/${name}`]);
    assert.equal(copied.code, 0, copied.stderr);
  }
  for (const name of ["plugins", "tests", "netconf"]) await Deno.mkdir(`${dir}/${name}`);
  return dir;
}

/** The command `deno task new` runs, from deno.json. */
function newCommand(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const task: string = config.tasks.new;
  assert.match(task, /^deno run [^|;&]*scripts\/new\.ts$/, "the task runs scripts/new.ts");
  return [DENO, ...task.split(" ").slice(1)];
}

/** Every file under `dir`, relative to it, sorted. */
function listFiles(dir: string, prefix = ""): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(`${dir}/${prefix}`)) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) files.push(...listFiles(dir, path));
    else files.push(path);
  }
  return files.sort();
}

/** The bundle step of the build, as `deno task bundle` runs it. */
const BUNDLE = [
  "run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "scripts/build.ts",
  "bundle",
];

const CNI_ENV = "CNI_COMMAND,CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_ARGS,CNI_PATH";

/** The permissions each kind must get: what it needs and nothing more. */
const PERMISSIONS = {
  // The route over netlink, in the process: no program runs, no file is read or written.
  chained: [`--allow-env=${CNI_ENV},DENO_CNI_TIMEOUT_MS,DENO_CNI_LOG_LEVEL`, "--allow-ffi"],
  // The veth pair over netlink; the IPAM plugin is found in CNI_PATH at run time; the plugin
  // logs to /var/log/cni.
  interface: [
    `--allow-env=${CNI_ENV},DENO_CNI_TIMEOUT_MS,DENO_CNI_LOG_LEVEL,DENO_CNI_LOG_FILE`,
    "--allow-ffi",
    "--allow-run",
    "--allow-read",
    "--allow-write=/var/log/cni",
  ],
  // No program; reservations under /var/lib/cni.
  ipam: [
    `--allow-env=${CNI_ENV},DENO_CNI_LOG_LEVEL`,
    "--allow-read=/var/lib/cni",
    "--allow-write=/var/lib/cni",
  ],
} as const;

/** A plugin of each kind with the longest name allowed, and one with a one-letter name. */
const PLUGINS = [
  { kind: "chained", name: "route-add-with-a-name-of-30-ch" },
  { kind: "interface", name: "veth-with-a-name-of-30-charsxx" },
  { kind: "ipam", name: "pool-with-a-name-of-30-charsxx" },
  { kind: "chained", name: "r" },
  { kind: "interface", name: "v" },
  { kind: "ipam", name: "p" },
] as const;

const rootSkip = await skipReason({ root: true, programs: ["ip", "nsenter"] });
if (rootSkip !== undefined) {
  console.log(`scaffold process tests in a namespace ignored: ${rootSkip}`);
}
const hostLocalSkip = await skipReason({
  root: true,
  programs: ["ip", "nsenter"],
  files: ["/usr/lib/cni/host-local"],
});
const straceSkip = hostLocalSkip ?? await skipReason({ programs: ["strace"] });
if (hostLocalSkip === undefined && straceSkip !== undefined) {
  console.log(
    `the check that the interface plugin runs no ip or nsenter is ignored: ${straceSkip}`,
  );
}

/** The configuration of a generated plugin's tests (spec 1.0.0). */
function fixtureOf(dir: string, name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(`${dir}/tests/testdata/${name}/config.json`));
}

/** Runs a bundled plugin as production does: its flags only, a clean environment, stdin. */
function runBundle(
  dir: string,
  name: string,
  permissions: readonly string[],
  env: Record<string, string>,
  config: unknown,
): Promise<Output> {
  const args = [DENO, "run", ...RUN_FLAGS, ...permissions, `dist/${name}/${name}.js`];
  return run(dir, args, env, JSON.stringify(config));
}

/** The path of a system program, for strace, which searches only its own (clean) PATH. */
function systemProgram(name: string): string {
  const dirs = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
  const found = dirs.map((d) => `${d}/${name}`).find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  assert.ok(found !== undefined, `${name} is installed`);
  return found;
}

/** The programs a process traced by `strace -f -e trace=execve -o <log>` started, by name. */
async function startedPrograms(log: string): Promise<string[]> {
  const lines = (await Deno.readTextFile(log)).split("\n");
  return lines.filter((line) => / execve\(".*\) = 0$/.test(line))
    .map((line) => /execve\("(?:[^"]*\/)?([^"/]+)"/.exec(line)?.[1] ?? line);
}

/**
 * ADD, CHECK and DEL of the bundled interface plugin `name`, run as a process in the namespace
 * at `hostPath` with exactly its permissions, the reference host-local as its IPAM plugin. With
 * `trace`, ADD runs under strace, which must see no program started but the IPAM plugin.
 */
async function wireVeth(
  dir: string,
  name: string,
  hostPath: string,
  containerPath: string,
  trace: boolean,
) {
  const dataDir = await Deno.makeTempDir({ prefix: "dcni-new-veth-" });
  const log = `${dataDir}/strace.log`;
  try {
    const fixture = fixtureOf(dir, name);
    // No log file: the permission allows /var/log/cni only, which is the machine's own.
    const config = { ...fixture, log: null, ipam: { ...fixture.ipam as object, dataDir } };
    const env = (command: string) => ({
      CNI_COMMAND: command,
      CNI_CONTAINERID: "c1",
      CNI_NETNS: containerPath,
      CNI_IFNAME: "eth0",
      CNI_PATH: "/usr/lib/cni",
    });
    const runInHost = (command: string, sent: unknown, traced = false) => {
      const plugin = [DENO, "run", ...RUN_FLAGS, ...PERMISSIONS.interface];
      const strace = traced ? ["strace", "-f", "-qq", "-e", "trace=execve", "-o", log] : [];
      const nsenter = traced ? systemProgram("nsenter") : "nsenter";
      return run(
        dir,
        [...strace, nsenter, `--net=${hostPath}`, ...plugin, `dist/${name}/${name}.js`],
        env(command),
        JSON.stringify(sent),
      );
    };
    const container = netns(containerPath, { host: denoHost() });
    const added = await runInHost("ADD", config, trace);
    assert.equal(added.code, 0, added.stdout + added.stderr);
    if (trace) {
      // nsenter starts Deno, which starts host-local: no ip, no nsenter of the plugin's own.
      assert.deepEqual(await startedPrograms(log), ["nsenter", "deno", "host-local"]);
    }
    const result = JSON.parse(added.stdout);
    const inside = (await container.addresses("eth0")).filter((a) => a.family === 4);
    assert.deepEqual(inside.map((a) => a.cidr), [result.ips[0].address]);
    const checked = await runInHost("CHECK", { ...config, prevResult: result });
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    const deleted = await runInHost("DEL", config);
    assert.equal(deleted.code, 0, deleted.stdout + deleted.stderr);
    assert.equal(await container.link("eth0"), undefined);
    assert.equal(
      await netns(hostPath, { host: denoHost() }).link(result.interfaces[0].name),
      undefined,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("deno task new writes plugins that pass the project's checks", async (t) => {
  const dir = await copyProject();
  try {
    const generated: string[] = [];
    for (const { kind, name } of PLUGINS) {
      await t.step(`new writes the ${kind} plugin "${name}" and its manifest entry`, async () => {
        const created = await run(dir, [...newCommand(), name, "--kind", kind]);
        assert.equal(created.code, 0, created.stderr);
        const files = [
          `plugins/${name}.ts`,
          `tests/${name}_test.ts`,
          `tests/testdata/${name}/config.json`,
          `netconf/${name}.conflist`,
        ];
        for (const file of files) assert.ok(Deno.statSync(`${dir}/${file}`).isFile, file);
        generated.push(...files);
        const manifest = JSON.parse(await Deno.readTextFile(`${dir}/plugins.json`));
        assert.equal(manifest[name].entry, `plugins/${name}.ts`);
        assert.deepEqual(manifest[name].permissions, PERMISSIONS[kind]);
        const conflist = JSON.parse(await Deno.readTextFile(`${dir}/netconf/${name}.conflist`));
        assert.equal(conflist.name, name);
        assert.ok(
          JSON.stringify(conflist.plugins).includes(`"type":"${name}"`),
          "the network uses the plugin",
        );
      });
    }

    await t.step("no template shells out or wraps nsenter itself", async () => {
      for (const file of generated.filter((f) => f.startsWith("plugins/"))) {
        const text = await Deno.readTextFile(`${dir}/${file}`);
        assert.doesNotMatch(text, /Deno\.Command|Deno\.run\b|function ipIn\b/, file);
      }
    });

    await t.step("no template fakes ip or nsenter, or reads a program's error text", async () => {
      for (const file of generated.filter((f) => f.endsWith(".ts"))) {
        const text = await Deno.readTextFile(`${dir}/${file}`);
        assert.doesNotMatch(text, /\/s?bin\/(ip|nsenter)\b|CommandError|RTNETLINK/, file);
      }
    });

    const names = PLUGINS.map((k) => k.name);
    const rows = [
      { what: "deno fmt --check", args: ["fmt", "--check", "plugins.json", ...generated] },
      { what: "deno lint", args: ["lint", ...generated.filter((f) => f.endsWith(".ts"))] },
      { what: "deno check", args: ["check", ...generated.filter((f) => f.endsWith(".ts"))] },
      {
        what: "their own tests (deno test)",
        args: [
          "test",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-run",
          ...names.map((n) => `tests/${n}_test.ts`),
        ],
      },
      {
        what: "the bundle step of the build",
        args: [...BUNDLE, ...names],
      },
    ];
    for (const row of rows) {
      await t.step(`the generated files pass ${row.what}`, async () => {
        const checked = await run(dir, [DENO, ...row.args]);
        assert.equal(checked.code, 0, checked.stdout + checked.stderr);
        if (row.what.startsWith("their own tests") && rootSkip === undefined) {
          assert.doesNotMatch(checked.stdout, /ignored/, "as root every generated test runs");
        }
      });
    }

    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/plugins.json`));
    for (const name of names) {
      await t.step(`the bundled ${name} answers VERSION with its own permissions`, async () => {
        const version = await runBundle(dir, name, manifest[name].permissions, {
          CNI_COMMAND: "VERSION",
        }, "");
        assert.equal(version.code, 0, version.stderr);
        assert.equal(version.stderr, "");
        assert.ok(JSON.parse(version.stdout).supportedVersions.includes("1.0.0"));
      });
    }

    await t.step("a plugin that awaits at its top level bundles as one module", async () => {
      const source = await Deno.readTextFile(`${dir}/plugins/v.ts`);
      const last = "if (import.meta.main) await runPlugin(plugin);";
      assert.ok(source.includes(last), "the template ends with runPlugin");
      await Deno.writeTextFile(
        `${dir}/plugins/awaiting.ts`,
        source.replace(last, `const ready = await Promise.resolve(true);\n${last}`),
      );
      await Deno.writeTextFile(
        `${dir}/plugins.json`,
        JSON.stringify({ ...manifest, awaiting: { ...manifest.v, entry: "plugins/awaiting.ts" } }),
      );
      const bundled = await run(dir, [DENO, ...BUNDLE, "awaiting"]);
      assert.equal(bundled.code, 0, bundled.stdout + bundled.stderr);
      assert.deepEqual(listFiles(`${dir}/dist/awaiting`), ["awaiting.js"]);
      const version = await runBundle(dir, "awaiting", manifest.v.permissions, {
        CNI_COMMAND: "VERSION",
      }, "");
      assert.equal(version.code, 0, version.stderr);
      assert.ok(JSON.parse(version.stdout).supportedVersions.includes("1.0.0"));
      // The split module of the same plugin without the await: its backends load on use.
      assert.ok(listFiles(`${dir}/dist/v`).includes("lazy.js"));
      await Deno.writeTextFile(`${dir}/plugins.json`, JSON.stringify(manifest, null, 2));
    });

    await t.step("the ipam plugin may not write outside /var/lib/cni", async () => {
      const outside = await Deno.makeTempDir({ prefix: "dcni-new-ipam-" });
      try {
        const fixture = fixtureOf(dir, "p");
        const config = { ...fixture, ipam: { ...fixture.ipam as object, dataDir: outside } };
        const env = {
          CNI_COMMAND: "ADD",
          CNI_CONTAINERID: "c1",
          CNI_NETNS: "/var/run/netns/c1",
          CNI_IFNAME: "eth0",
          CNI_PATH: "/opt/cni/bin",
        };
        const added = await runBundle(dir, "p", PERMISSIONS.ipam, env, config);
        assert.equal(added.code, 1);
        assert.equal(
          JSON.parse(added.stdout).msg,
          `no permission to use the data directory ${outside}/${fixture.name}`,
        );
        assert.deepEqual(listFiles(outside), []);
      } finally {
        await Deno.remove(outside, { recursive: true });
      }
    });

    const chained = PLUGINS[0].name;
    await t.step({
      name: "the bundled chained plugin changes a real namespace with exactly its permissions",
      ignore: rootSkip !== undefined,
      fn: () =>
        withNetns(async (path) => {
          const container = netns(path, { host: denoHost() });
          await container.createVeth({ name: "eth0", peerName: "peer0" });
          await container.setLinkUp("peer0");
          await container.setLinkUp("eth0");
          await container.addAddress("eth0", "10.22.0.5/16");
          const config = fixtureOf(dir, chained);
          const env = (command: string) => ({
            CNI_COMMAND: command,
            CNI_CONTAINERID: "c1",
            CNI_NETNS: path,
            CNI_IFNAME: "eth0",
            CNI_PATH: "/opt/cni/bin",
          });
          const ours = async () =>
            (await container.routes(4)).filter((r) => r.dst === "10.99.0.0/16")
              .map((r) => [r.dev, r.gateway]);

          // Without any one of its flags ADD changes nothing and fails naming the flag.
          const actions: Record<string, string> = {
            env: "read the environment variable",
            ffi: "use FFI",
          };
          for (const flag of PERMISSIONS.chained) {
            const fewer = PERMISSIONS.chained.filter((f) => f !== flag);
            const refused = await runBundle(dir, chained, fewer, env("ADD"), config);
            const kind = /^--allow-(\w+)/.exec(flag)?.[1] ?? "";
            assert.equal(refused.code, 1, flag);
            const error = JSON.parse(refused.stdout);
            assert.match(error.msg, new RegExp(`may not ${actions[kind]} `), flag);
            assert.match(error.details, new RegExp(`--allow-${kind} flag`), flag);
            assert.deepEqual(await ours(), [], flag);
          }

          const added = await runBundle(dir, chained, PERMISSIONS.chained, env("ADD"), config);
          assert.equal(added.code, 0, added.stdout + added.stderr);
          assert.deepEqual(await ours(), [["eth0", "10.22.0.1"]]);
          const cached = { ...config, prevResult: JSON.parse(added.stdout) };
          const checked = await runBundle(dir, chained, PERMISSIONS.chained, env("CHECK"), cached);
          assert.equal(checked.code, 0, checked.stdout + checked.stderr);
          const deleted = await runBundle(dir, chained, PERMISSIONS.chained, env("DEL"), config);
          assert.equal(deleted.code, 0, deleted.stdout + deleted.stderr);
          assert.deepEqual(await ours(), []);
        }),
    });

    const veth = PLUGINS[1].name;
    await t.step({
      name: "the bundled interface plugin wires a veth pair with exactly its permissions",
      ignore: hostLocalSkip !== undefined,
      // One namespace stands in for the host: the plugin process runs there.
      fn: () =>
        withNetns((host) =>
          withNetns((container) => wireVeth(dir, veth, host, container, straceSkip === undefined))
        ),
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task new refuses a bad request and writes nothing", async (t) => {
  const dir = await copyProject();
  try {
    const before = listFiles(dir);
    const manifest = await Deno.readTextFile(`${dir}/plugins.json`);
    const rows = [
      { name: "the sample's name", args: ["sample"], message: 'already has a plugin "sample"' },
      { name: "noop's name", args: ["deno-noop"], message: 'already has a plugin "deno-noop"' },
      { name: "ptp's name", args: ["deno-ptp"], message: 'already has a plugin "deno-ptp"' },
      { name: "a reference plugin's name", args: ["bridge"], message: "reference plugin" },
      { name: "the reference ptp's name", args: ["ptp"], message: "reference plugin" },
      { name: "an upper-case name", args: ["Route"], message: "invalid plugin name" },
      { name: "a name of 31 characters", args: ["a".repeat(31)], message: "at most 30" },
      { name: "a path", args: ["../x"], message: "invalid plugin name" },
      {
        name: "an unknown kind",
        args: ["x", "--kind", "bridge"],
        message: 'unknown kind "bridge"',
      },
      { name: "no name", args: [], message: "exactly one plugin name" },
      { name: "two names", args: ["a", "b"], message: "exactly one plugin name" },
      { name: "an unknown flag", args: ["x", "--force"], message: "usage:" },
    ];
    for (const row of rows) {
      await t.step(`new refuses ${row.name}`, async () => {
        const refused = await run(dir, [...newCommand(), ...row.args]);
        assert.equal(refused.code, 2);
        assert.ok(refused.stderr.includes(row.message), refused.stderr);
        assert.deepEqual(listFiles(dir), before);
        assert.equal(await Deno.readTextFile(`${dir}/plugins.json`), manifest);
      });
    }
    await t.step("new refuses to overwrite an existing file", async () => {
      await Deno.writeTextFile(`${dir}/tests/taken_test.ts`, "// mine\n");
      const refused = await run(dir, [...newCommand(), "taken"]);
      assert.equal(refused.code, 2);
      assert.ok(refused.stderr.includes("would overwrite tests/taken_test.ts"), refused.stderr);
      assert.equal(await Deno.readTextFile(`${dir}/tests/taken_test.ts`), "// mine\n");
      assert.equal(await Deno.readTextFile(`${dir}/plugins.json`), manifest);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
