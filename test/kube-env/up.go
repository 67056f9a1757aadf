package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	serviceCIDR = "10.96.0.0/16"
	serviceIP   = "10.96.0.1" // first address of serviceCIDR: the "kubernetes" Service
	podCIDR     = "10.244.0.1/16"
	// kwok manages the nodes carrying this annotation, and only those.
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	kwokNodeValue      = "fake"
	nodeLabel          = "kube-env.clusterhub.dev/node"
	restrictedUser     = "restricted"
	restrictedNS       = "team-a"
)

// clusterEntry is one element of clusters.json.
type clusterEntry struct {
	Name                 string `json:"name"`
	Server               string `json:"server"`
	Kubeconfig           string `json:"kubeconfig"`
	RestrictedKubeconfig string `json:"restrictedKubeconfig"`
}

type cluster struct {
	name     string
	dir      string
	port     int
	server   string
	pki      *clusterPKI
	tokens   map[string]string // user -> token
	adminKC  string
	restrKC  string
	client   *kubernetes.Clientset
	compKCs  map[string]string // component -> kubeconfig
	ready    bool
	bootDone bool
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s kube-env: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func runUp(args []string) int {
	// Children get Pdeathsig, which the kernel ties to the thread that forked them: keep the
	// main goroutine, which starts every child, on one thread that lives as long as we do.
	runtime.LockOSThread()

	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dir := fs.String("dir", "", "state directory (required): certificates, kubeconfigs, etcd data, logs, clusters.json")
	names := fs.String("clusters", "a", "comma-separated cluster names")
	nodes := fs.Int("nodes", 2, "kwok-managed nodes per cluster")
	kwokPath := fs.String("kwok", os.Getenv("KUBE_ENV_KWOK"), "path to the kwok binary (default $KUBE_ENV_KWOK, else kwok on PATH)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up when the clusters are not ready after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		logf("--dir is required")
		return 2
	}
	stateDir, err := filepath.Abs(*dir)
	if err != nil {
		logf("bad --dir: %v", err)
		return 2
	}
	var clusterNames []string
	seen := map[string]bool{}
	for _, n := range strings.Split(*names, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !validName(n) || seen[n] {
			logf("bad or repeated cluster name %q (lowercase letters, digits, '-')", n)
			return 2
		}
		seen[n] = true
		clusterNames = append(clusterNames, n)
	}
	if len(clusterNames) == 0 {
		logf("--clusters names no cluster")
		return 2
	}
	if *kwokPath == "" {
		if p, err := exec.LookPath("kwok"); err == nil {
			*kwokPath = p
		} else {
			logf("no kwok binary: pass --kwok or set KUBE_ENV_KWOK")
			return 2
		}
	}
	// One launcher per state directory: a second one would wipe the first one's etcd data.
	lock, err := lockStateDir(stateDir)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer lock.Close()

	self, err := os.Executable()
	if err != nil {
		logf("cannot find own executable: %v", err)
		return 1
	}

	sup := newSupervisor()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		select {
		case s := <-sigs:
			cancel(signalError{s})
		case c := <-sup.died:
			cancel(&childDiedError{c})
		}
	}()

	err = bringUp(ctx, sup, self, *kwokPath, stateDir, clusterNames, *nodes, *timeout)
	if err == nil {
		<-ctx.Done()
		err = context.Cause(ctx)
	} else if cause := context.Cause(ctx); cause != nil {
		err = cause
	}
	var sig signalError
	var died *childDiedError
	code := 1
	switch {
	case errors.As(err, &sig):
		logf("%v: stopping all components", sig.sig)
		code = 0
	case errors.As(err, &died):
		logf("%s exited unexpectedly (%v); its log %s ends with:\n%s", died.c.name, died.c.err, died.c.logPath, tail(died.c.logPath, 30))
	default:
		logf("failed: %v", err)
	}
	sup.stopAll(10 * time.Second)
	// clusters.json describes running clusters: do not leave a stale one behind.
	_ = os.Remove(filepath.Join(stateDir, "clusters.json"))
	logf("all components stopped")
	return code
}

type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "received " + e.sig.String() }

type childDiedError struct{ c *child }

func (e *childDiedError) Error() string { return e.c.name + " exited: " + fmt.Sprint(e.c.err) }

// lockStateDir takes an exclusive flock on <dir>/.kube-env.lock for the life of this process
// (the kernel drops it when the process ends, however it ends).
func lockStateDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, ".kube-env.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("another kube-env up (pid %s) is using %s: stop it first", strings.TrimSpace(string(holder)), dir)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

func validName(n string) bool {
	if len(n) > 40 || n[0] == '-' || n[len(n)-1] == '-' {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func bringUp(ctx context.Context, sup *supervisor, self, kwok, stateDir string, names []string, nodes int, timeout time.Duration) error {
	start := time.Now()
	deadline, cancelDeadline := context.WithTimeout(ctx, timeout)
	defer cancelDeadline()

	logsDir := filepath.Join(stateDir, "logs")
	clustersFile := filepath.Join(stateDir, "clusters.json")
	// A fresh control plane every time: drop what an earlier run left (logs are truncated
	// per file instead, so a log the caller already holds open stays valid).
	for _, p := range []string{clustersFile, filepath.Join(stateDir, "etcd"), filepath.Join(stateDir, "clusters"), filepath.Join(stateDir, "kwok")} {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(logsDir, 0o755); err != nil {
		return err
	}

	ports, err := freePorts(2 + len(names))
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if _, err := sup.start("etcd", filepath.Join(logsDir, "etcd.log"), self, []string{
		"etcd", "--data-dir", filepath.Join(stateDir, "etcd"),
		"--listen-client-url", etcdURL, "--listen-peer-url", "http://127.0.0.1:" + strconv.Itoa(ports[1]),
	}, nil); err != nil {
		return err
	}

	clusters := make([]*cluster, len(names))
	for i, name := range names {
		c, err := prepareCluster(filepath.Join(stateDir, "clusters", name), name, ports[2+i])
		if err != nil {
			return fmt.Errorf("cluster %s: %w", name, err)
		}
		clusters[i] = c
	}

	if err := poll(deadline, "etcd to become healthy", func() (bool, error) {
		resp, err := http.Get(etcdURL + "/health")
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		var h struct{ Health string }
		_ = json.NewDecoder(resp.Body).Decode(&h)
		return resp.StatusCode == 200 && h.Health == "true", nil
	}); err != nil {
		return err
	}
	logf("etcd healthy at %s (%.1fs)", etcdURL, time.Since(start).Seconds())

	for _, c := range clusters {
		if _, err := sup.start(c.name+"/apiserver", filepath.Join(logsDir, c.name+"-apiserver.log"), self, apiserverArgs(c, etcdURL), nil); err != nil {
			return err
		}
	}
	if err := poll(deadline, "the API servers to answer /readyz", func() (bool, error) {
		all := true
		for _, c := range clusters {
			if c.ready {
				continue
			}
			rctx, rcancel := context.WithTimeout(deadline, 5*time.Second)
			_, err := c.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(rctx)
			rcancel()
			if err != nil {
				all = false
				continue
			}
			c.ready = true
			logf("cluster %s: API server ready at %s (%.1fs)", c.name, c.server, time.Since(start).Seconds())
		}
		return all, nil
	}); err != nil {
		return err
	}

	for _, c := range clusters {
		if _, err := sup.start(c.name+"/controller-manager", filepath.Join(logsDir, c.name+"-controller-manager.log"), self, controllerManagerArgs(c), nil); err != nil {
			return err
		}
		if _, err := sup.start(c.name+"/scheduler", filepath.Join(logsDir, c.name+"-scheduler.log"), self, schedulerArgs(c), nil); err != nil {
			return err
		}
	}
	for _, c := range clusters {
		if err := bootstrapCluster(deadline, c, nodes); err != nil {
			return fmt.Errorf("cluster %s: %w", c.name, err)
		}
		if _, err := sup.start(c.name+"/kwok", filepath.Join(logsDir, c.name+"-kwok.log"), kwok, []string{
			"--kubeconfig", c.compKCs["kwok"],
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector", kwokNodeAnnotation + "=" + kwokNodeValue,
			"--cidr", podCIDR,
			"--node-ip", "127.0.0.1",
		}, []string{"KWOK_WORKDIR=" + filepath.Join(stateDir, "kwok", c.name)}); err != nil {
			return err
		}
	}

	if err := poll(deadline, "nodes Ready and the default ServiceAccount", func() (bool, error) {
		for _, c := range clusters {
			if c.bootDone {
				continue
			}
			rctx, rcancel := context.WithTimeout(deadline, 5*time.Second)
			ok := clusterSettled(rctx, c, nodes)
			rcancel()
			if !ok {
				return false, nil
			}
			c.bootDone = true
			logf("cluster %s: %d nodes Ready, default ServiceAccount present (%.1fs)", c.name, nodes, time.Since(start).Seconds())
		}
		return true, nil
	}); err != nil {
		return err
	}

	entries := make([]clusterEntry, len(clusters))
	for i, c := range clusters {
		entries[i] = clusterEntry{Name: c.name, Server: c.server, Kubeconfig: c.adminKC, RestrictedKubeconfig: c.restrKC}
	}
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(clustersFile, append(data, '\n'), 0o644); err != nil {
		return err
	}
	logf("all %d clusters ready in %.1fs; wrote %s", len(clusters), time.Since(start).Seconds(), clustersFile)
	return nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// freePorts asks the kernel for n distinct free loopback ports. They are released before the
// components bind them, so another process could take one in between: unlikely, and a
// component failing to bind ends the run with a clear log.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// poll calls check every 250ms until it reports done, fails, or ctx ends.
func poll(ctx context.Context, what string, check func() (bool, error)) error {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		done, err := check()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
				return cause
			}
			return fmt.Errorf("timed out waiting for %s", what)
		case <-t.C:
		}
	}
}

func prepareCluster(dir, name string, port int) (*cluster, error) {
	c := &cluster{
		name:    name,
		dir:     dir,
		port:    port,
		server:  "https://127.0.0.1:" + strconv.Itoa(port),
		tokens:  map[string]string{},
		compKCs: map[string]string{},
	}
	p, err := generatePKI(filepath.Join(dir, "pki"), name, net.ParseIP(serviceIP))
	if err != nil {
		return nil, err
	}
	c.pki = p

	// user, uid, groups. The components run as members of system:masters: this is a test bed.
	users := []struct{ user, group, file string }{
		{"admin", "system:masters", "admin.kubeconfig"},
		{restrictedUser, "", "restricted.kubeconfig"},
		{"system:kube-controller-manager", "system:masters", "controller-manager.kubeconfig"},
		{"system:kube-scheduler", "system:masters", "scheduler.kubeconfig"},
		{"kwok", "system:masters", "kwok.kubeconfig"},
	}
	var csv strings.Builder
	for _, u := range users {
		tok, err := randomToken()
		if err != nil {
			return nil, err
		}
		c.tokens[u.user] = tok
		fmt.Fprintf(&csv, "%s,%s,%s", tok, u.user, u.user)
		if u.group != "" {
			fmt.Fprintf(&csv, ",\"%s\"", u.group)
		}
		csv.WriteString("\n")
		path := filepath.Join(dir, u.file)
		if err := writeKubeconfig(path, name, c.server, p.CAPEM, u.user, tok); err != nil {
			return nil, err
		}
		switch u.user {
		case "admin":
			c.adminKC = path
		case restrictedUser:
			c.restrKC = path
		case "system:kube-controller-manager":
			c.compKCs["controller-manager"] = path
		case "system:kube-scheduler":
			c.compKCs["scheduler"] = path
		case "kwok":
			c.compKCs["kwok"] = path
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pki", "tokens.csv"), []byte(csv.String()), 0o600); err != nil {
		return nil, err
	}

	cfg := &rest.Config{
		Host:            c.server,
		BearerToken:     c.tokens["admin"],
		TLSClientConfig: rest.TLSClientConfig{CAData: p.CAPEM},
		QPS:             50,
		Burst:           100,
		Timeout:         10 * time.Second,
	}
	c.client, err = kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func writeKubeconfig(path, clusterName, server string, caPEM []byte, user, token string) error {
	ctxName := clusterName
	if user != "admin" {
		ctxName = clusterName + "-" + strings.ReplaceAll(user, ":", "-")
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[ctxName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = ctxName
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func apiserverArgs(c *cluster, etcdURL string) []string {
	p := c.pki
	return []string{
		"apiserver",
		"--etcd-servers=" + etcdURL,
		"--etcd-prefix=/" + c.name,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.port),
		"--cert-dir=" + filepath.Join(c.dir, "pki"),
		"--tls-cert-file=" + p.ServingCert,
		"--tls-private-key-file=" + p.ServingKey,
		"--client-ca-file=" + p.CACert,
		"--token-auth-file=" + filepath.Join(c.dir, "pki", "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.SAPub,
		"--service-account-signing-key-file=" + p.SAKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
		"--enable-garbage-collector=true",
		"--event-ttl=30m",
	}
}

func controllerManagerArgs(c *cluster) []string {
	p := c.pki
	return []string{
		"controller-manager",
		"--kubeconfig=" + c.compKCs["controller-manager"],
		"--leader-elect=false",
		"--secure-port=0", // no HTTPS endpoint: nothing to collide between clusters
		"--root-ca-file=" + p.CACert,
		"--service-account-private-key-file=" + p.SAKey,
		"--cluster-signing-cert-file=" + p.CACert,
		"--cluster-signing-key-file=" + p.CAKey,
		"--cluster-name=" + c.name,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--profiling=false",
	}
}

func schedulerArgs(c *cluster) []string {
	return []string{
		"scheduler",
		"--kubeconfig=" + c.compKCs["scheduler"],
		"--leader-elect=false",
		"--secure-port=0",
		"--profiling=false",
	}
}

// bootstrapCluster creates the kwok-managed nodes, the team-a namespace and the restricted
// user's only grant: ClusterRole view, bound in team-a.
func bootstrapCluster(ctx context.Context, c *cluster, nodes int) error {
	for i := range nodes {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name: name,
				Labels: map[string]string{
					"kubernetes.io/hostname": name,
					"kubernetes.io/os":       "linux",
					"kubernetes.io/arch":     "amd64",
					"type":                   "kwok",
					nodeLabel:                "true",
				},
				Annotations: map[string]string{
					kwokNodeAnnotation:             kwokNodeValue,
					"node.alpha.kubernetes.io/ttl": "0",
				},
			},
			Status: corev1.NodeStatus{
				Capacity:    nodeResources(),
				Allocatable: nodeResources(),
				NodeInfo: corev1.NodeSystemInfo{
					KubeletVersion:  "v1.33.7-kwok",
					OperatingSystem: "linux",
					Architecture:    "amd64",
				},
			},
		}
		if err := retry(ctx, func(ctx context.Context) error {
			_, err := c.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				return nil
			}
			return err
		}); err != nil {
			return fmt.Errorf("create node %s: %w", name, err)
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: restrictedNS}}
	if err := retry(ctx, func(ctx context.Context) error {
		_, err := c.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}); err != nil {
		return fmt.Errorf("create namespace %s: %w", restrictedNS, err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: restrictedUser + "-view", Namespace: restrictedNS},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: restrictedUser}},
	}
	if err := retry(ctx, func(ctx context.Context) error {
		_, err := c.client.RbacV1().RoleBindings(restrictedNS).Create(ctx, rb, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}); err != nil {
		return fmt.Errorf("create rolebinding: %w", err)
	}
	return nil
}

func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
}

func retry(ctx context.Context, f func(context.Context) error) error {
	var last error
	err := poll(ctx, "the API call to succeed", func() (bool, error) {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		last = f(rctx)
		return last == nil, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w (last error: %v)", err, last)
	}
	return err
}

func clusterSettled(ctx context.Context, c *cluster, nodes int) bool {
	list, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: nodeLabel + "=true"})
	if err != nil {
		return false
	}
	ready := 0
	for _, n := range list.Items {
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	if ready < nodes {
		return false
	}
	_, err = c.client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
	return err == nil
}
