#!/usr/bin/python3
"""A CNI plugin for the end of a test chain: it records what the runtime sent it and passes the
previous result on unchanged.

Every verb writes its stdin to <recordDir>/<CNI_COMMAND>-<CNI_CONTAINERID>.json, recordDir being a
key of its configuration. ADD prints the configuration's prevResult: in a chain (spec "Section 3:
Execution of Network Configurations") a plugin that changes nothing passes the previous result
on as its own. The other verbs print nothing; VERSION reports the versions it passes on.
"""

import json
import os
import sys

VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]


def error(code, msg):
    sys.stdout.write(json.dumps({"cniVersion": "1.0.0", "code": code, "msg": msg}))
    sys.exit(1)


def main():
    command = os.environ.get("CNI_COMMAND", "")
    if command == "VERSION":
        sys.stdout.write(json.dumps({"cniVersion": "1.0.0", "supportedVersions": VERSIONS}))
        return
    raw = sys.stdin.read()
    try:
        conf = json.loads(raw)
    except ValueError as e:
        error(6, "cannot decode the configuration: %s" % e)
    record_dir = conf.get("recordDir")
    if not isinstance(record_dir, str) or record_dir == "":
        error(7, "recordDir must be specified")
    container = os.environ.get("CNI_CONTAINERID", "")
    if container == "" or "/" in container:
        error(4, "CNI_CONTAINERID must be a name")
    path = os.path.join(record_dir, "%s-%s.json" % (command, container))
    with open(path + ".tmp", "w") as record:
        record.write(raw)
    os.rename(path + ".tmp", path)
    if command == "ADD":
        prev = conf.get("prevResult")
        if not isinstance(prev, dict):
            error(7, "must be called as chained plugin")
        sys.stdout.write(json.dumps(prev))


if __name__ == "__main__":
    main()
