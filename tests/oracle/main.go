// Command oracle is the Go side of tests/oracle_test.ts: the Go sample plugin's ADD and DEL (with
// the walkthrough's container-IP filter for 0.3.0 configurations) written on Debian's libcni
// 1.1.2, so that skel, the result types, their conversion and their printing are the Go
// library's own and not a re-implementation.
//
// Build (scripts/build_cnitool.sh oracle does this):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o .tools/oracle ./tests/oracle
//
// Usage:
//
//	oracle          behaves as a CNI plugin: CNI_* variables, config on stdin, result or error
//	                on stdout, exit status 0 or 1
//	oracle -batch   reads one case per line on stdin, {"env":{"CNI_...":"..."},"stdin":"..."},
//	                runs each through skel in this process and writes one line per case,
//	                {"status":0|1,"stdout":"..."}, in the same order
//
// The batch mode swaps the process's CNI_* variables, os.Stdin and os.Stdout for each case,
// which is all skel and the result printer read, so a case runs exactly as in its own process
// without the cost of starting one.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
)

// PluginConf is the sample's configuration: the standard keys and the sample's own.
type PluginConf struct {
	types.NetConf

	RuntimeConfig *struct {
		SampleConfig map[string]interface{} `json:"sample"`
	} `json:"runtimeConfig"`

	MyAwesomeFlag     bool   `json:"myAwesomeFlag"`
	AnotherAwesomeArg string `json:"anotherAwesomeArg"`
}

// parseConfig decodes stdin, parses the previous result in the configuration's version and
// requires anotherAwesomeArg, stopping at the first failure.
func parseConfig(stdin []byte) (*PluginConf, error) {
	conf := &PluginConf{}
	if err := json.Unmarshal(stdin, conf); err != nil {
		return nil, fmt.Errorf("failed to parse network configuration: %v", err)
	}
	if err := version.ParsePrevResult(&conf.NetConf); err != nil {
		return nil, fmt.Errorf("could not parse prevResult: %v", err)
	}
	if conf.AnotherAwesomeArg == "" {
		return nil, fmt.Errorf("anotherAwesomeArg must be specified")
	}
	return conf, nil
}

// containerIPs counts the IPs that belong to the container. Under a 0.3.0 configuration only an
// IP with an interface index qualifies, and only if that index is outside the interface list or
// names the interface called ifName; under any other version every IP does.
func containerIPs(result *current.Result, confVersion, ifName string) int {
	if confVersion != "0.3.0" {
		return len(result.IPs)
	}
	count := 0
	for _, ip := range result.IPs {
		if ip.Interface == nil {
			continue
		}
		index := *ip.Interface
		if index < 0 || index >= len(result.Interfaces) || result.Interfaces[index].Name == ifName {
			count++
		}
	}
	return count
}

func cmdAdd(args *skel.CmdArgs) error {
	conf, err := parseConfig(args.StdinData)
	if err != nil {
		return err
	}
	if conf.PrevResult == nil {
		return fmt.Errorf("must be called as chained plugin")
	}
	result, err := current.GetResult(conf.PrevResult)
	if err != nil {
		return fmt.Errorf("failed to convert prevResult: %v", err)
	}
	if containerIPs(result, conf.CNIVersion, args.IfName) == 0 {
		return fmt.Errorf("got no container IPs")
	}
	return types.PrintResult(result, conf.CNIVersion)
}

func cmdDel(args *skel.CmdArgs) error {
	_, err := parseConfig(args.StdinData)
	return err
}

func cmdCheck(args *skel.CmdArgs) error {
	return fmt.Errorf("not implemented")
}

const about = "CNI sample plugin (libcni 1.1.2 oracle)"

func runPlugin() int {
	if err := skel.PluginMainWithError(cmdAdd, cmdCheck, cmdDel, version.All, about); err != nil {
		if printErr := err.Print(); printErr != nil {
			fmt.Fprintln(os.Stderr, "oracle: cannot print the error:", printErr)
		}
		return 1
	}
	return 0
}

var cniVariables = []string{
	"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH",
}

type batchCase struct {
	Env   map[string]string `json:"env"`
	Stdin string            `json:"stdin"`
}

type batchOutcome struct {
	Status int    `json:"status"`
	Stdout string `json:"stdout"`
}

// runCase runs one case through runPlugin with the case's variables, stdin and a captured stdout.
func runCase(c batchCase) (batchOutcome, error) {
	for _, name := range cniVariables {
		if err := os.Unsetenv(name); err != nil {
			return batchOutcome{}, err
		}
		if value, ok := c.Env[name]; ok {
			if err := os.Setenv(name, value); err != nil {
				return batchOutcome{}, err
			}
		}
	}
	inRead, inWrite, err := os.Pipe()
	if err != nil {
		return batchOutcome{}, err
	}
	defer inRead.Close()
	outRead, outWrite, err := os.Pipe()
	if err != nil {
		inWrite.Close()
		return batchOutcome{}, err
	}
	defer outRead.Close()

	go func() {
		_, _ = io.WriteString(inWrite, c.Stdin)
		inWrite.Close()
	}()
	captured := make(chan []byte)
	go func() {
		data, _ := io.ReadAll(outRead)
		captured <- data
	}()

	savedIn, savedOut := os.Stdin, os.Stdout
	os.Stdin, os.Stdout = inRead, outWrite
	status := runPlugin()
	os.Stdin, os.Stdout = savedIn, savedOut
	outWrite.Close()
	return batchOutcome{Status: status, Stdout: string(<-captured)}, nil
}

func runBatch() int {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	encoder := json.NewEncoder(out)
	encoder.SetEscapeHTML(false)
	decoder := json.NewDecoder(bufio.NewReader(os.Stdin))
	for {
		var c batchCase
		if err := decoder.Decode(&c); err == io.EOF {
			return 0
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "oracle: bad batch case:", err)
			return 2
		}
		outcome, err := runCase(c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			return 2
		}
		if err := encoder.Encode(outcome); err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			return 2
		}
	}
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-batch" {
		os.Exit(runBatch())
	}
	os.Exit(runPlugin())
}
