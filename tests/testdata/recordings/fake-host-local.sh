#!/bin/sh
# A fake host-local for the recordings of make.sh: ADD hands out 10.9.0.5/24 without a gateway
# (so deno-ptp fails and releases it), every other verb succeeds silently.
cat >/dev/null
if [ "${CNI_COMMAND-}" = ADD ]; then
  printf '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.5/24"}]}'
fi
exit 0
