/**
 * The packet scheduler's clock as `tc` reads it, and its conversions between bytes and ticks,
 * with the numbers `tc` produced on the captured requests and replies. No root needed.
 */
import assert from "node:assert/strict";
import { ticksPerMicrosecond, transmitSize, transmitTicks } from "../../lib/netlink/tc.ts";
import { PSCHED } from "./testdata/captured.ts";

Deno.test("ticksPerMicrosecond() reads /proc/net/psched as tc does", async (t) => {
  await t.step("the captured file: 1000/64 ticks per microsecond", () => {
    assert.equal(PSCHED.trim(), "000003e8 00000040 000f4240 3b9aca00");
    assert.equal(ticksPerMicrosecond(PSCHED), 15.625);
  });
  await t.step("a clock of nanosecond resolution makes t2us equal us2t", () => {
    assert.equal(ticksPerMicrosecond("000003e8 00000040 3b9aca00 3b9aca00\n"), 1000);
  });
  await t.step("anything else is refused", () => {
    for (const text of ["", "1 2", "zz 40 f4240", "0 40 f4240", "3e8 0 f4240"]) {
      assert.throws(() => ticksPerMicrosecond(text), /unexpected \/proc\/net\/psched/);
    }
  });
});

Deno.test("transmitTicks() rounds to whole microseconds, then to whole ticks", async (t) => {
  const rows: [string, number, number, number][] = [
    // rate (bytes/s), size (bytes), ticks as tc computed them in the captured requests
    ["1mbit, 32 KiB burst", 125_000, 32_768, 0x3e8000],
    ["1mbit, first cell of the rate table", 125_000, 8, 1000],
    ["the largest 32-bit rate, 1 MB burst", 0xffffffff, 1_000_000, 3625],
    ["a size that takes no whole microsecond", 1_000_000_000, 100, 0],
  ];
  for (const [name, rate, size, ticks] of rows) {
    await t.step(name, () => assert.equal(transmitTicks(rate, size, 15.625), ticks));
  }
});

Deno.test("transmitSize() turns the kernel's ticks back into the bytes tc prints", async (t) => {
  const rows: [string, number, number, number][] = [
    ["1mbit, 32 KiB burst", 125_000, 0x3e8000, 32_768],
    ["125000 bytes/s, 10000-byte burst", 125_000, 0x1312d0, 10_000],
    ["a 5 GB/s rate whose ticks lost a nanosecond", 5_000_000_000, 0xc34, 995_000],
    ["250000 bytes/s peak, 2000-byte MTU", 250_000, 0x1e848, 2000],
  ];
  for (const [name, rate, ticks, size] of rows) {
    await t.step(name, () => assert.equal(transmitSize(rate, ticks, 15.625), size));
  }
});
