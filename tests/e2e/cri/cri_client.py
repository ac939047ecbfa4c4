#!/usr/bin/python3
"""A minimal CRI client: one call over a unix socket, JSON in and out.

Usage: cri_client.py GENERATED_DIR SOCKET METHOD REQUEST_JSON [TIMEOUT_SECONDS]

GENERATED_DIR holds runtime_v1_pb2.py and runtime_v1_pb2_grpc.py, compiled from runtime_v1.proto
beside this file (python3 -m grpc_tools.protoc). REQUEST_JSON is the request message in protobuf's
JSON mapping with the .proto field names. Prints one JSON object on stdout and exits 0:

  {"ok": true, "response": {...}, "elapsedMs": 12.3}
  {"ok": false, "code": "UNKNOWN", "details": "...", "elapsedMs": 12.3}

elapsedMs is the wall time of the call alone, without Python's start-up. Anything else (bad
arguments, an unknown method, a request that does not parse) exits 2 with a message on stderr.
"""

import json
import sys
import time

# method: (service, request message)
METHODS = {
    "Version": ("RuntimeService", "VersionRequest"),
    "RunPodSandbox": ("RuntimeService", "RunPodSandboxRequest"),
    "StopPodSandbox": ("RuntimeService", "StopPodSandboxRequest"),
    "RemovePodSandbox": ("RuntimeService", "RemovePodSandboxRequest"),
    "PodSandboxStatus": ("RuntimeService", "PodSandboxStatusRequest"),
    "ListPodSandbox": ("RuntimeService", "ListPodSandboxRequest"),
    "Status": ("RuntimeService", "StatusRequest"),
    "ImageStatus": ("ImageService", "ImageStatusRequest"),
}


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(2)


def main(argv):
    if len(argv) not in (5, 6):
        fail("usage: cri_client.py GENERATED_DIR SOCKET METHOD REQUEST_JSON [TIMEOUT_SECONDS]")
    generated, socket, method, request_json = argv[1:5]
    timeout = float(argv[5]) if len(argv) == 6 else 30.0
    if method not in METHODS:
        fail('unknown method "%s"' % method)

    sys.path.insert(0, generated)
    import grpc
    from google.protobuf import json_format
    import runtime_v1_pb2
    import runtime_v1_pb2_grpc

    service, request_type = METHODS[method]
    try:
        request = json_format.Parse(request_json, getattr(runtime_v1_pb2, request_type)())
    except json_format.ParseError as error:
        fail("cannot parse the %s: %s" % (request_type, error))

    with grpc.insecure_channel("unix://" + socket) as channel:
        stub = getattr(runtime_v1_pb2_grpc, service + "Stub")(channel)
        call = getattr(stub, method)
        start = time.monotonic()
        try:
            response = call(request, timeout=timeout)
        except grpc.RpcError as error:
            elapsed = (time.monotonic() - start) * 1000
            out = {
                "ok": False,
                "code": error.code().name,
                "details": error.details() or "",
                "elapsedMs": elapsed,
            }
        else:
            elapsed = (time.monotonic() - start) * 1000
            out = {
                "ok": True,
                "response": json_format.MessageToDict(
                    response,
                    preserving_proto_field_name=True,
                    including_default_value_fields=True,
                ),
                "elapsedMs": elapsed,
            }
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv)
