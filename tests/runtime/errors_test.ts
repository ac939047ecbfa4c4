import assert from "node:assert/strict";
import { CniError } from "../../lib/errors.ts";
import {
  describePlugin,
  errorText,
  findCniError,
  JoinedError,
  joinErrors,
  PluginError,
  WrappedError,
} from "../../lib/runtime/errors.ts";

Deno.test("describePlugin() names a plugin as libcni does", () => {
  assert.equal(describePlugin({ type: "bridge", name: "" }), 'type="bridge"');
  assert.equal(describePlugin({ type: "bridge", name: "br\n" }), 'type="bridge" name="br\\n"');
});

Deno.test("PluginError names the plugin in ADD and DEL messages, and keeps the cause", () => {
  const cause = new CniError(7, "bad", "why");
  const add = new PluginError({ type: "x", name: "" }, "add", cause);
  assert.equal(add.message, 'plugin type="x" failed (add): bad; why');
  assert.equal(add.cause, cause);
  const del = new PluginError({ type: "x", name: "n" }, "delete", new Error("gone"));
  assert.equal(del.message, 'plugin type="x" name="n" failed (delete): gone');
  const check = new PluginError({ type: "x", name: "" }, "check", cause);
  assert.equal(check.message, "bad; why");
  assert.equal(check.named, 'plugin type="x" failed (check): bad; why');
});

Deno.test("findCniError() finds the error object under wrapping and joining, first first", () => {
  const first = new CniError(11, "later");
  const second = new CniError(50, "down");
  const error = new JoinedError([
    new WrappedError("a", new Error("plain")),
    new WrappedError("b", new PluginError({ type: "x", name: "" }, "add", first)),
    second,
  ]);
  assert.equal(findCniError(error), first);
  assert.equal(error.message, 'a: plain\nb: plugin type="x" failed (add): later\ndown');
  assert.equal(findCniError(new Error("none")), undefined);
  assert.equal(findCniError("text"), undefined);
});

Deno.test("joinErrors() and errorText()", () => {
  assert.equal(joinErrors([]), undefined);
  const one = new Error("one");
  assert.equal(joinErrors([one]), one);
  assert.ok(joinErrors([one, one]) instanceof JoinedError);
  assert.equal(errorText(new CniError(1, "m", "d")), "m; d");
  assert.equal(errorText(5), "5");
});
