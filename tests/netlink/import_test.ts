/**
 * Importing lib/netlink does no work: no C library, no FFI, no file. A process with no
 * permissions at all imports it and names its exports.
 */
import assert from "node:assert/strict";
import { libcOpened } from "../../lib/netlink/_libc.ts";
import * as netlink from "../../lib/netlink/mod.ts";

Deno.test("importing lib/netlink opens nothing", () => {
  assert.equal(typeof netlink.netlinkBackend, "function");
  assert.equal(libcOpened(), false);
  netlink.netlinkBackend().open("/var/run/netns/none");
  assert.equal(libcOpened(), false, "opening a namespace's operations does no work either");
});

Deno.test("a process without --allow-ffi imports lib/netlink", async () => {
  const script = `import * as netlink from ${
    JSON.stringify(import.meta.resolve("../../lib/netlink/mod.ts"))
  };
netlink.netlinkBackend().open("/var/run/netns/none");
console.log(Object.keys(netlink).sort().join(","));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const output = await child.output();
  assert.equal(new TextDecoder().decode(output.stderr), "");
  assert.ok(output.success);
  assert.match(new TextDecoder().decode(output.stdout), /netlinkBackend,openNamespace/);
});

Deno.test("the usual work binds the common calls only, the others on first use", async () => {
  // Binding a call costs about a tenth of a millisecond: a plugin's usual work (a socket, a
  // request, a sysctl read) binds no call it does not make.
  const script = `import { boundCalls, fileType } from ${
    JSON.stringify(import.meta.resolve("../../lib/netlink/_libc.ts"))
  };
import { RouteSocket } from ${JSON.stringify(import.meta.resolve("../../lib/netlink/socket.ts"))};
import { getLinkRequest } from ${JSON.stringify(import.meta.resolve("../../lib/netlink/link.ts"))};
import { readSysctl } from ${JSON.stringify(import.meta.resolve("../../lib/netlink/sysctl.ts"))};
const before = boundCalls();
using socket = RouteSocket.open();
socket.request(getLinkRequest("lo"), { operation: "get link", object: "lo" });
readSysctl("net.ipv4.ip_forward");
const usual = boundCalls();
fileType("/");
console.log(JSON.stringify({ before, usual, after: boundCalls() }));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", "--allow-ffi", "--allow-read", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const output = await child.output();
  assert.equal(new TextDecoder().decode(output.stderr), "");
  const { before, usual, after } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.deepEqual(before, []);
  for (const call of ["socket", "sendto", "recvfrom", "open", "read", "close"]) {
    assert.ok(usual.includes(call), `${call} is bound`);
  }
  for (const call of ["write", "fstatfs", "statx"]) {
    assert.ok(!usual.includes(call), `${call} is not bound before it is used`);
  }
  assert.ok(after.includes("statx"));
});
