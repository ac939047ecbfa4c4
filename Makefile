# deno-cni. The targets wrap deno tasks; Deno itself is installed into .tools/ on first use.
DENO := $(shell scripts/ensure_deno.sh)
CNI_PATH ?= /opt/cni/bin
# The network `make demo` runs: netconf/$(NETWORK).conflist.
NETWORK ?= mysample
# `make new NAME=<name> [KIND=chained|interface|ipam]` scaffolds a plugin (scripts/new.ts).
KIND ?= chained
PLUGINS := $(shell sed -n 's/^  "\([a-z0-9_-]*\)": {$$/\1/p' plugins.json)

.PHONY: all deno build bin test ok install clean demo bench new

all: bin

deno:
	@echo $(DENO)

build:
	$(DENO) task build

bin:
	$(DENO) task bin

# The quick run; TEST_FULL=1 (as .ci/run sets it) adds the end-to-end tests and more fuzz cases.
test:
	$(DENO) task test

ok:
	$(DENO) task ok

demo:
	bash scripts/demo.sh $(NETWORK)

new:
	$(DENO) task new $(NAME) --kind $(KIND)

# As root, installs what the Go and memory columns need when it is missing.
bench: bin
	@if [ "$$(id -u)" = 0 ] && ! { [ -x /usr/lib/cni/bandwidth ] && [ -x /usr/bin/time ]; }; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    containernetworking-plugins time >/dev/null; \
	fi
	$(DENO) task bench

# Installs every plugin of plugins.json into CNI_PATH with the node installer (cli/install_node.ts):
# each file atomically, recorded by digest, and a file deno-cni did not install is left alone.
# INSTALL_FLAGS adds installer options, e.g. INSTALL_FLAGS=--force or INSTALL_FLAGS=--dry-run.
install: bin
	$(DENO) task install-node --bin-dir "$(CNI_PATH)" $(INSTALL_FLAGS) $(PLUGINS)

clean:
	rm -rf bin dist
