/**
 * Namespaces in-process: paths checked before they are opened (a FIFO never blocks), a block run
 * with the thread inside and the thread always back (after a throw, after an async block, from
 * nested blocks), sockets and sysctl files bound to the namespace they were opened in, and the
 * type that refuses an async block. The path checks need only `--allow-ffi`; the rest root.
 */
import assert from "node:assert/strict";
import { CniError } from "../../lib/errors.ts";
import { NamespaceMissingError } from "../../lib/net_errors.ts";
import { decodeLink, listLinksRequest } from "../../lib/netlink/link.ts";
import { type Namespace, openNamespace, type SyncBlock } from "../../lib/netlink/namespace.ts";
import { sysctlPath } from "../../lib/netlink/sysctl.ts";
import {
  namespaceOf,
  rootSkip,
  run,
  threadNamespace,
  withNamespaces,
  withScratch,
} from "./_netns.ts";

const ffi = (await Deno.permissions.query({ name: "ffi" })).state === "granted";
if (!ffi) console.log("namespace path checks ignored: needs --allow-ffi");
const skip = await rootSkip();
if (skip !== undefined) console.log(`namespace tests ignored: ${skip}`);

function notANamespace(what: string) {
  return (error: unknown) => {
    assert.ok(error instanceof CniError, `${error}`);
    assert.equal(error.code, 4);
    assert.match(error.message, new RegExp(`is not a network namespace: it is ${what}$`));
    return true;
  };
}

Deno.test({
  name: "openNamespace() refuses what is not a network namespace before opening it",
  ignore: !ffi,
  async fn(t) {
    await withScratch(async (dir) => {
      await run("mkfifo", `${dir}/fifo`);
      await run("touch", `${dir}/file`);
      await t.step("a FIFO, which open() would block on", () => {
        const start = performance.now();
        assert.throws(() => openNamespace(`${dir}/fifo`), notANamespace("a FIFO"));
        assert.ok(performance.now() - start < 1000);
      });
      await t.step("a regular file", () => {
        assert.throws(() => openNamespace(`${dir}/file`), notANamespace("a regular file"));
      });
      await t.step("a FIFO swapped in between the check and the open", async () => {
        // A shell flips the path between a link to a namespace and a FIFO while a child opens it
        // for two seconds: every open gives the namespace or refuses the FIFO, none waits on it.
        const flipper = new Deno.Command("sh", {
          args: [
            "-c",
            'cd "$1" && while :; do ln -sfn /proc/self/ns/net n.tmp && mv -T n.tmp swap; ' +
            "mkfifo p.tmp 2>/dev/null; mv -T p.tmp swap; done",
            "sh",
            dir,
          ],
          stdout: "null",
          stderr: "null",
        }).spawn();
        try {
          const opener = `
            import { openNamespace } from ${
            JSON.stringify(import.meta.resolve("../../lib/netlink/namespace.ts"))
          };
            const path = ${JSON.stringify(`${dir}/swap`)};
            const counts = { opened: 0, refused: 0, missing: 0 };
            const end = performance.now() + 2000;
            while (performance.now() < end) {
              try { openNamespace(path).close(); counts.opened++; }
              catch (error) {
                if (/not a network namespace/.test(String(error))) counts.refused++;
                else if (/no such file/.test(String(error))) counts.missing++;
                else throw error;
              }
            }
            console.log(JSON.stringify(counts));`;
          const output = await new Deno.Command(Deno.execPath(), {
            args: ["eval", "--quiet", "--no-lock", "--allow-ffi", "--allow-read", opener],
            stdout: "piped",
            stderr: "piped",
            signal: AbortSignal.timeout(20_000),
          }).output();
          assert.equal(output.signal, null, "the opener hung on the FIFO");
          assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
          const counts = JSON.parse(new TextDecoder().decode(output.stdout));
          assert.ok(counts.opened > 0 && counts.refused > 0, JSON.stringify(counts));
        } finally {
          flipper.kill("SIGKILL");
          await flipper.status;
        }
      });
      await t.step("a directory", () => {
        assert.throws(() => openNamespace(dir), notANamespace("a directory"));
      });
      await t.step("a character device", () => {
        assert.throws(() => openNamespace("/dev/null"), notANamespace("a character device"));
      });
      await t.step("a namespace of another type", () => {
        assert.throws(
          () => openNamespace("/proc/self/ns/uts"),
          notANamespace("a namespace of another type"),
        );
      });
      await t.step("nothing", () => {
        assert.throws(() => openNamespace(`${dir}/gone`), (error: unknown) => {
          assert.ok(error instanceof NamespaceMissingError, `${error}`);
          assert.equal(
            error.message,
            `failed to open netns "${dir}/gone": no such file or directory`,
          );
          return true;
        });
        assert.throws(() => openNamespace(`${dir}/file/below`), NamespaceMissingError);
      });
      await t.step("a relative path", () => {
        assert.throws(() => openNamespace("var/run/netns/x"), (error: unknown) => {
          assert.ok(error instanceof CniError);
          assert.equal(error.code, 4);
          assert.match(
            error.message,
            /invalid netns path "var\/run\/netns\/x": it must be absolute/,
          );
          return true;
        });
      });
    });
  },
});

Deno.test("SyncBlock refuses an async function and takes a synchronous one", () => {
  const takes = <T>(block: SyncBlock<T>): T => block();
  // deno-lint-ignore require-await
  const block = async () => 1;
  // @ts-expect-error an async block does not compile
  const refused = () => takes(block);
  // @ts-expect-error nor does one that returns a promise
  const alsoRefused = () => takes(() => Promise.resolve("x"));
  // @ts-expect-error nor one that may return a promise
  const maybe = () => takes(() => Math.random() > 2 ? 1 : Promise.resolve(1));
  const value: number = takes(() => 1);
  const nothing: void = takes(() => {});
  const parsed: unknown = takes(() => JSON.parse("2"));
  assert.equal(parsed, 2);
  assert.equal(value, 1);
  assert.equal(nothing, undefined);
  assert.equal(typeof refused, "function");
  assert.equal(typeof alsoRefused, "function");
  assert.equal(typeof maybe, "function");
});

Deno.test({
  name: "Namespace.run() runs a block inside and always comes back",
  ignore: skip !== undefined,
  async fn(t) {
    await withNamespaces(2, async (a, b) => {
      const home = threadNamespace();
      assert.notEqual(namespaceOf(a.path), home);
      using ns: Namespace = openNamespace(a.path);
      using other = openNamespace(b.path);
      await t.step("inside, and back after", () => {
        assert.equal(ns.run(() => threadNamespace()), namespaceOf(a.path));
        assert.equal(threadNamespace(), home);
      });
      await t.step("back after the block throws", () => {
        assert.throws(() =>
          ns.run(() => {
            assert.equal(threadNamespace(), namespaceOf(a.path));
            throw new RangeError("from inside");
          }), /from inside/);
        assert.equal(threadNamespace(), home);
      });
      await t.step("an async block is an error, raised back home", async () => {
        let ranInside = "";
        const block = async () => {
          ranInside = threadNamespace();
          await Promise.resolve();
          return threadNamespace();
        };
        assert.throws(
          () => ns.run(block as unknown as () => unknown),
          (error: unknown) => {
            assert.ok(error instanceof TypeError);
            assert.match(error.message, /returned a promise: it must be synchronous/);
            return true;
          },
        );
        assert.equal(threadNamespace(), home);
        assert.equal(ranInside, namespaceOf(a.path), "it ran inside up to its first await");
        // What came after the await ran outside: the rule the type and this error enforce.
        assert.equal(await block(), home);
      });
      await t.step("a thenable that is not a promise is refused too", () => {
        assert.throws(() => ns.run(() => ({ then() {} }) as unknown), TypeError);
        assert.equal(threadNamespace(), home);
      });
      await t.step("blocks nest, each coming back to where it was", () => {
        const seen = ns.run(() => {
          const outer = threadNamespace();
          const inner = other.run(() => threadNamespace());
          return [outer, inner, threadNamespace()];
        });
        assert.deepEqual(seen, [namespaceOf(a.path), namespaceOf(b.path), namespaceOf(a.path)]);
        assert.equal(threadNamespace(), home);
      });
      await t.step("a namespace in use cannot be closed", () => {
        assert.throws(() => ns.run(() => ns.close()), /is in use/);
        assert.equal(threadNamespace(), home);
      });
    });
  },
});

Deno.test({
  name: "a socket opened inside talks to that namespace from outside",
  ignore: skip !== undefined,
  async fn() {
    await withNamespaces(1, async (a) => {
      await run("ip", "-n", a.name, "link", "add", "name", "nl-only-here", "type", "bridge");
      using ns = openNamespace(a.path);
      using socket = ns.openSocket({ timeoutMs: 2000 });
      const context = { operation: "list links", object: "test" };
      const names = socket.dump(listLinksRequest(), context, decodeLink).map((link) => link.name);
      assert.deepEqual(names.sort(), ["lo", "nl-only-here"]);
    });
  },
});

Deno.test({
  name: "sysctls are read and written inside the namespace",
  ignore: skip !== undefined,
  async fn() {
    await withNamespaces(1, async (a) => {
      const host = (await run("cat", "/proc/sys/net/ipv4/conf/lo/forwarding")).trim();
      using ns = openNamespace(a.path);
      const flipped = ns.sysctlGet("net.ipv4.conf.lo.forwarding") === "1" ? "0" : "1";
      ns.sysctlSet("net.ipv4.conf.lo.forwarding", flipped);
      assert.equal(ns.sysctlGet("net/ipv4/conf/lo/forwarding"), flipped);
      const inside = await run(
        "ip",
        "netns",
        "exec",
        a.name,
        "cat",
        "/proc/sys/net/ipv4/conf/lo/forwarding",
      );
      assert.equal(inside.trim(), flipped);
      assert.equal((await run("cat", "/proc/sys/net/ipv4/conf/lo/forwarding")).trim(), host);
      assert.throws(
        () => ns.sysctlGet("net.ipv4.no_such_key"),
        /ENOENT: read sysctl "net.ipv4.no_such_key"/,
      );
    });
  },
});

Deno.test("sysctlPath() maps keys as sysctl does and refuses the others", async (t) => {
  const rows: [string, string][] = [
    ["net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"],
    ["net.ipv4.conf.eth0/100.forwarding", "/proc/sys/net/ipv4/conf/eth0.100/forwarding"],
    ["net/ipv4/conf/eth0.100/forwarding", "/proc/sys/net/ipv4/conf/eth0.100/forwarding"],
    ["net.ipv6.conf.all.disable_ipv6", "/proc/sys/net/ipv6/conf/all/disable_ipv6"],
  ];
  for (const [key, path] of rows) await t.step(key, () => assert.equal(sysctlPath(key), path));
  for (const key of ["", "net..x", "net/../../etc", "net.ipv4./", "-w net", "net.ip v4", "a\0b"]) {
    await t.step(`refused: ${JSON.stringify(key)}`, () => {
      assert.throws(() => sysctlPath(key), /invalid sysctl key/);
    });
  }
});
