"""Runs a program with what Deno.Command cannot give it, for the process tests.

Usage: python3 tests/_launch.py SPEC_FILE

SPEC_FILE holds JSON: {"argv": [...], "env": {"NAME": "<hex bytes>"},
"stdout": "inherit" | "full" | "closed", "stderr": "inherit" | "full" | "closed"}.
Environment values are bytes (they need not be UTF-8); "full" points the stream at /dev/full and
"closed" at a pipe whose reading end is already closed. stdin is passed through. The program
replaces this process (execve), so its exit status is this process's.
"""
import json
import os
import sys


def redirect(fd, mode):
    if mode == "full":
        target = os.open("/dev/full", os.O_WRONLY)
    elif mode == "closed":
        read_end, target = os.pipe()
        os.close(read_end)
    else:
        return
    os.dup2(target, fd)
    os.close(target)


def main():
    with open(sys.argv[1], "rb") as spec_file:
        spec = json.load(spec_file)
    env = {name.encode(): bytes.fromhex(value) for name, value in spec["env"].items()}
    redirect(1, spec.get("stdout", "inherit"))
    redirect(2, spec.get("stderr", "inherit"))
    argv = [arg.encode() for arg in spec["argv"]]
    os.execve(argv[0], argv, env)


main()
