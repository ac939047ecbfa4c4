/** lib/_paths.ts: lexical path helpers with the rules of Go's `path/filepath` on Unix. */
import assert from "node:assert/strict";
import { absPath, cleanPath, extension, joinPath } from "../lib/_paths.ts";

Deno.test("cleanPath() follows Go's filepath.Clean", async (t) => {
  const rows: [string, string][] = [
    ["", "."],
    [".", "."],
    ["/", "/"],
    ["//a//b/", "/a/b"],
    ["a/./b/../c", "a/c"],
    ["/../a", "/a"],
    ["../../a", "../../a"],
    ["a/..", "."],
    ["a/../..", ".."],
    ["./bin", "bin"],
    ["/var/run/netns/../netns/x", "/var/run/netns/x"],
  ];
  for (const [input, expected] of rows) {
    await t.step(`cleanPath(${JSON.stringify(input)})`, () => {
      assert.equal(cleanPath(input), expected);
    });
  }
});

Deno.test("joinPath() follows Go's filepath.Join", async (t) => {
  const rows: [string[], string][] = [
    [["./bin", "sample"], "bin/sample"],
    [["", "sample"], "sample"],
    [["", ""], ""],
    [[], ""],
    [["/a/./c/../", "x"], "/a/x"],
    [["/opt/cni/bin/", "/bridge"], "/opt/cni/bin/bridge"],
    [["/", "..", "x"], "/x"],
  ];
  for (const [elements, expected] of rows) {
    await t.step(`joinPath(${elements.map((e) => JSON.stringify(e)).join(", ")})`, () => {
      assert.equal(joinPath(...elements), expected);
    });
  }
});

Deno.test("absPath() follows Go's filepath.Abs", async (t) => {
  const rows: [string, string, string][] = [
    ["testing", "/root/x", "/root/x/testing"],
    ["/var/run/netns//t/", "/root", "/var/run/netns/t"],
    ["../bin", "/root/x", "/root/bin"],
    ["", "/root", "/root"],
  ];
  for (const [path, cwd, expected] of rows) {
    await t.step(`absPath(${JSON.stringify(path)}, ${JSON.stringify(cwd)})`, () => {
      assert.equal(absPath(path, cwd), expected);
    });
  }
});

Deno.test("extension() follows Go's filepath.Ext", async (t) => {
  const rows: [string, string][] = [
    ["/a/b.conflist", ".conflist"],
    ["/a.d/b", ""],
    [".conf", ".conf"],
    ["a.tar.gz", ".gz"],
    ["a.", "."],
    ["", ""],
  ];
  for (const [path, expected] of rows) {
    await t.step(`extension(${JSON.stringify(path)})`, () => {
      assert.equal(extension(path), expected);
    });
  }
});
