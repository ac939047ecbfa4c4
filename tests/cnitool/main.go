// Command cnitool is a small CNI runtime for the deno-cni end-to-end tests. It drives plugins
// through Debian's libcni 1.1.2, the library podman's CNI backend is built on, so a plugin is
// exercised here the way a real container runtime exercises it.
//
// Build (scripts/build_cnitool.sh does this):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o .tools/cnitool ./tests/cnitool
//
// Usage:
//
//	cnitool add|check|del <network-name> <netns-path>
//
// Environment:
//
//	CNI_PATH         plugin directories, ':'-separated (required)
//	NETCONFPATH      directory holding the *.conflist files (default /etc/cni/net.d)
//	CNI_IFNAME       interface name inside the namespace (default eth0)
//	CNI_ARGS         extra arguments as K=V;K=V
//	CNI_CACHE_DIR    libcni cache directory (default /var/lib/cni)
//	CNI_CONTAINERID  container ID (default "cnitool-" + hex of the first 10 bytes of
//	                 sha512(absolute netns path), as upstream cnitool does)
//
// ADD prints the result as JSON on stdout. Any failure prints the error to stderr and exits 1;
// when a plugin's error object is behind it, a second line "code=<n>" gives that error's code.
package main

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

const usage = "usage: cnitool add|check|del <network-name> <netns-path>"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		var pluginErr *types.Error
		if errors.As(err, &pluginErr) {
			fmt.Fprintf(os.Stderr, "code=%d\n", pluginErr.Code)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("%s", usage)
	}
	verb, netName := args[0], args[1]

	netns, err := filepath.Abs(args[2])
	if err != nil {
		return fmt.Errorf("cannot resolve netns path %q: %v", args[2], err)
	}

	pluginDirs := filepath.SplitList(os.Getenv("CNI_PATH"))
	if len(pluginDirs) == 0 {
		return fmt.Errorf("CNI_PATH is not set")
	}

	list, err := libcni.LoadConfList(envOr("NETCONFPATH", "/etc/cni/net.d"), netName)
	if err != nil {
		return err
	}

	cniArgs, err := parseCniArgs(os.Getenv("CNI_ARGS"))
	if err != nil {
		return err
	}

	rt := &libcni.RuntimeConf{
		ContainerID: envOr("CNI_CONTAINERID", containerIDFor(netns)),
		NetNS:       netns,
		IfName:      envOr("CNI_IFNAME", "eth0"),
		Args:        cniArgs,
	}
	cni := libcni.NewCNIConfigWithCacheDir(pluginDirs, envOr("CNI_CACHE_DIR", "/var/lib/cni"), nil)
	ctx := context.Background()

	switch verb {
	case "add":
		result, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return err
		}
		out, err := json.MarshalIndent(result, "", "  ")
		if err != nil {
			return fmt.Errorf("cannot encode result: %v", err)
		}
		fmt.Println(string(out))
		return nil
	case "check":
		return cni.CheckNetworkList(ctx, list, rt)
	case "del":
		return cni.DelNetworkList(ctx, list, rt)
	default:
		return fmt.Errorf("unknown command %q: %s", verb, usage)
	}
}

// envOr returns the environment variable key, or fallback when it is unset or empty.
func envOr(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}

// containerIDFor derives a stable container ID from the netns path, as upstream cnitool does.
func containerIDFor(netns string) string {
	sum := sha512.Sum512([]byte(netns))
	return fmt.Sprintf("cnitool-%x", sum[:10])
}

// parseCniArgs splits "K=V;K=V" into pairs. Empty segments are skipped; a segment without '='
// is an error.
func parseCniArgs(raw string) ([][2]string, error) {
	var pairs [][2]string
	for _, segment := range strings.Split(raw, ";") {
		if segment == "" {
			continue
		}
		key, value, found := strings.Cut(segment, "=")
		if !found || key == "" {
			return nil, fmt.Errorf("invalid CNI_ARGS entry %q: expected K=V", segment)
		}
		pairs = append(pairs, [2]string{key, value})
	}
	return pairs, nil
}
