/**
 * The numbers of lib/netlink/_uapi.ts and errno.ts against the kernel's and the C library's
 * headers: the compiler checks a static assertion of each name's value. Needs a C compiler and
 * the headers (Debian packages gcc, linux-libc-dev, libc6-dev).
 */
import assert from "node:assert/strict";
import * as uapi from "../../lib/netlink/_uapi.ts";
import { ERRNO } from "../../lib/netlink/errno.ts";
import { skipReason } from "../../lib/testing.ts";

const skip = await skipReason({ programs: ["gcc"], files: ["/usr/include/linux/rtnetlink.h"] });
if (skip !== undefined) console.log(`header comparison ignored: ${skip}`);

const HEADERS = [
  "sys/socket.h",
  "fcntl.h",
  "sched.h",
  "errno.h",
  "linux/stat.h",
  "linux/netlink.h",
  "linux/rtnetlink.h",
  "linux/if.h",
  "linux/if_link.h",
  "linux/if_addr.h",
  "linux/veth.h",
  "linux/pkt_sched.h",
  "linux/magic.h",
];

Deno.test({
  name: "every constant has the value the headers give its name",
  ignore: skip !== undefined,
  async fn() {
    const names = { ...uapi, ...ERRNO } as Record<string, number>;
    // One static assertion per name, checked by the compiler alone: nothing is built or run.
    const source = [
      "#define _GNU_SOURCE",
      ...HEADERS.map((header) => `#include <${header}>`),
      ...Object.entries(names).map(([name, value]) =>
        `_Static_assert((long long)(${name}) == ${value}LL, "${name} is not ${value}");`
      ),
    ].join("\n");
    const child = new Deno.Command("gcc", {
      args: ["-fsyntax-only", "-x", "c", "-"],
      stdin: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(source));
    await writer.close();
    const { success, stderr } = await child.output();
    const problems = new TextDecoder().decode(stderr).split("\n").filter((line) =>
      line.includes("error:")
    );
    assert.deepEqual(problems, []);
    assert.ok(success);
  },
});
