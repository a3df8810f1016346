#!/usr/bin/env bash
# labs/clusterlab/pki.sh — the lab's certificates, made once per state folder with openssl (sourced by lab.sh).
#   ca            clusterlab-ca: signs the apiserver serving cert and the admin / controller-manager
#                 client certs; the apiserver trusts it for client certificates.
#   csr-signer    the CA kube-controller-manager signs approved CSRs with (--cluster-signing-*); the
#                 apiserver trusts it for client certificates too (client-ca.crt = both), so a kubelet
#                 certificate issued through the CSR API works against this apiserver, as on OpenShift.
#                 Replaced files are picked up by both processes without a restart.
#   front-proxy   requestheader CA + proxy client cert for the aggregator (APIServices).
#   sa            service-account token signing key pair.
# Nothing here leaves the state folder; keys are mode 600.

pki_sign() { # name subject ext-lines ca-name days
  local name=$1 subject=$2 ext=$3 ca=${4:-ca} days=${5:-3650}
  openssl req -new -newkey rsa:2048 -nodes -subj "$subject" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf '%b' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

pki_ca() { # name CN days
  openssl req -x509 -newkey rsa:2048 -nodes -days "${3:-3650}" -subj "/CN=$2" -keyout "$1.key" -out "$1.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
}

pki_make() { # dir
  local dir=$1
  [ -f "$dir/done" ] && return 0
  mkdir -p "$dir" && chmod 700 "$dir"
  ( cd "$dir"
    umask 077
    pki_ca ca clusterlab-ca
    pki_ca csr-signer "kube-csr-signer_@$(date +%s)" 365
    pki_ca front-proxy-ca clusterlab-front-proxy-ca
    local server="extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
    local client="extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
    pki_sign apiserver "/CN=kube-apiserver" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n$server"
    pki_sign admin "/O=system:masters/CN=clusterlab-admin" "$client"
    pki_sign kcm "/CN=system:kube-controller-manager" "$client"
    pki_sign front-proxy-client "/CN=front-proxy-client" "$client" front-proxy-ca
    openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    cat ca.crt csr-signer.crt > client-ca.crt
    rm -f ./*.srl
    touch done )
}
