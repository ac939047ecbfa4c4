#!/usr/bin/python3
"""Counts the opens of the files of one directory while it runs, through an inotify watch for
IN_OPEN on the directory (executing a file opens it too).

Usage: open_watch.py DIR. Prints "ready" once the watch is in place; when its stdin reaches end
of file it prints one JSON object, file name -> number of opens, and exits. A queue overflow is
counted under the name "<overflow>".
"""

import ctypes
import json
import os
import select
import struct
import sys

IN_OPEN = 0x00000020
IN_Q_OVERFLOW = 0x00004000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
# struct inotify_event: int wd; uint32_t mask, cookie, len; char name[len]
HEADER = struct.Struct("=iIII")


def fail(what):
    err = ctypes.get_errno()
    sys.stderr.write("open_watch: %s: %s\n" % (what, os.strerror(err)))
    sys.exit(1)


def drain(fd, counts):
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        offset = 0
        while offset + HEADER.size <= len(data):
            _wd, mask, _cookie, length = HEADER.unpack_from(data, offset)
            offset += HEADER.size
            name = data[offset:offset + length].rstrip(b"\0").decode("utf-8", "replace")
            offset += length
            if mask & IN_Q_OVERFLOW:
                name = "<overflow>"
            elif not (mask & IN_OPEN) or name == "":
                continue
            counts[name] = counts.get(name, 0) + 1


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: open_watch.py DIR\n")
        sys.exit(2)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.inotify_init1.argtypes = [ctypes.c_int]
    libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        fail("inotify_init1")
    if libc.inotify_add_watch(fd, os.fsencode(sys.argv[1]), IN_OPEN) < 0:
        fail("inotify_add_watch %r" % sys.argv[1])
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    counts = {}
    stdin = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([fd, stdin], [], [])
        if fd in ready:
            drain(fd, counts)
        if stdin in ready and os.read(stdin, 4096) == b"":
            break
    # Every open made before stdin was closed is queued by now.
    drain(fd, counts)
    sys.stdout.write(json.dumps(counts) + "\n")


if __name__ == "__main__":
    main()
