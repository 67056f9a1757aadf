// Command kube-env runs small, real Kubernetes control planes for clusterhub's test suite.
//
// It is one multicall binary: each control-plane component runs in its own process by
// re-executing this binary with the component's name as the first argument.
//
//	kube-env up --dir <state dir> --clusters a,b [--nodes 2] [--kwok <path>]
//	kube-env etcd --data-dir <dir> --listen-client-url <url> --listen-peer-url <url>
//	kube-env apiserver <kube-apiserver flags>
//	kube-env controller-manager <kube-controller-manager flags>
//	kube-env scheduler <kube-scheduler flags>
//	kube-env version
//
// Build it with the Kubernetes version stamped in, or /version reports v0.0.0-master:
//
//	GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$(cat ldflags.txt)" -o kube-env .
//
// (test/testbed/kube.ts does this and caches the binary.)
package main

import (
	"fmt"
	"os"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kube-env up|etcd|apiserver|controller-manager|scheduler|version [flags]")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name, args := os.Args[1], os.Args[2:]
	switch name {
	case "up":
		os.Exit(runUp(args))
	case "etcd":
		os.Exit(runEtcd(args))
	case "apiserver", "kube-apiserver":
		os.Exit(runAPIServer(args))
	case "controller-manager", "kube-controller-manager":
		os.Exit(runControllerManager(args))
	case "scheduler", "kube-scheduler":
		os.Exit(runScheduler(args))
	case "version", "--version":
		os.Exit(runVersion())
	default:
		usage()
		os.Exit(2)
	}
}
