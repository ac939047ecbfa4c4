// Command loader prints, as JSON, the network a runtime would use from a configuration
// directory, loaded with Debian's libcni 1.1.2 the way containerd's CRI loads its default
// network: ConfFiles with .conf, .conflist and .json, sorted, the first file read with
// ConfListFromFile (.conflist) or ConfFromFile, which must have a type, and ConfListFromConf.
// It also loads that network by name with libcni's LoadConfList, as cnitool and podman do.
//
// Usage: loader DIR
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

type network struct {
	File       string   `json:"file,omitempty"`
	Name       string   `json:"name"`
	CNIVersion string   `json:"cniVersion"`
	Types      []string `json:"types"`
}

type output struct {
	Files  []string `json:"files"`
	First  *network `json:"first,omitempty"`
	ByName *network `json:"byName,omitempty"`
	Error  string   `json:"error,omitempty"`
}

func types(list *libcni.NetworkConfigList) []string {
	names := []string{}
	for _, plugin := range list.Plugins {
		names = append(names, plugin.Network.Type)
	}
	return names
}

func load(dir string) output {
	out := output{Files: []string{}}
	files, err := libcni.ConfFiles(dir, []string{".conf", ".conflist", ".json"})
	if err != nil {
		out.Error = err.Error()
		return out
	}
	sort.Strings(files)
	for _, file := range files {
		out.Files = append(out.Files, filepath.Base(file))
	}
	if len(files) == 0 {
		out.Error = "no network config found"
		return out
	}
	first := files[0]
	var list *libcni.NetworkConfigList
	if strings.HasSuffix(first, ".conflist") {
		list, err = libcni.ConfListFromFile(first)
	} else {
		var conf *libcni.NetworkConfig
		conf, err = libcni.ConfFromFile(first)
		if err == nil && conf.Network.Type == "" {
			err = fmt.Errorf("network type not found in %s", first)
		}
		if err == nil {
			list, err = libcni.ConfListFromConf(conf)
		}
	}
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.First = &network{filepath.Base(first), list.Name, list.CNIVersion, types(list)}
	byName, err := libcni.LoadConfList(dir, list.Name)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.ByName = &network{"", byName.Name, byName.CNIVersion, types(byName)}
	return out
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: loader DIR")
		os.Exit(2)
	}
	if err := json.NewEncoder(os.Stdout).Encode(load(os.Args[1])); err != nil {
		os.Exit(1)
	}
}
