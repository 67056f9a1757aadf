package main

import (
	"fmt"
	"os"
	_ "time/tzdata" // CronJob time zones, as the upstream binaries do

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format, as upstream
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream
	"k8s.io/component-base/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

// Each component installs its own signal handler, which may be set up only once per process:
// so each runs alone in a process of its own (the launcher re-executes this binary).

func runCobra(cmd *cobra.Command, args []string) int {
	cmd.SetArgs(args)
	return cli.Run(cmd)
}

func runAPIServer(args []string) int {
	return runCobra(apiserver.NewAPIServerCommand(), args)
}

func runControllerManager(args []string) int {
	return runCobra(controllermanager.NewControllerManagerCommand(), args)
}

func runScheduler(args []string) int {
	return runCobra(scheduler.NewSchedulerCommand(), args)
}

func runVersion() int {
	fmt.Fprintln(os.Stdout, version.Get().GitVersion)
	return 0
}
