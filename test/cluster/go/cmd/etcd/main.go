// Command etcd is the etcd server at the version Kubernetes itself requires (go.etcd.io/etcd/server/v3
// in go.sum), for the test control plane. Debian's etcd 3.4 lacks the watch progress requests
// that current Kubernetes clients' watch-list needs.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
