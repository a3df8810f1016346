// clusterlab etcd: the etcd server entry point from go.etcd.io/etcd/server/v3, built as its own
// module because etcd's go.mod carries replace directives (so `go install …@version` refuses it).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
