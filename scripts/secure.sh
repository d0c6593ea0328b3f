# Sourced by scripts/cluster.sh and scripts/chaos.sh. With SECURE=1 the cluster runs with https,
# Basic auth, Raft mutual TLS and an encrypted gossip key, from throwaway credentials made once
# under $SHARED_DIR/secure (mounted at /shared/secure in containers). Without it every SEC_*
# variable is empty and the cluster runs as before.
export SECURE=${SECURE:-0}
SECURE_DIR=$SHARED_DIR/secure

# secure_init makes the CA, the node certificate (valid for every address the targets use), the
# admin password and the gossip key, once. They are throwaway test credentials, readable by the
# nodes' unprivileged users (containers run as uid 10001, local nodes as their own uids).
secure_init() {
  [ "$SECURE" = 1 ] || return 0
  [ -f "$SECURE_DIR/ca.pem" ] && { secure_env; return 0; }
  mkdir -p "$SECURE_DIR/curl"
  build/connectd tls ca --dir "$SECURE_DIR" >/dev/null
  build/connectd tls cert --dir "$SECURE_DIR" --name node \
    --hosts localhost,127.0.0.1,127.0.0.11,127.0.0.12,127.0.0.13,node1,node2,node3,172.28.56.11,172.28.56.12,172.28.56.13,192.168.56.11,192.168.56.12,192.168.56.13 >/dev/null
  printf 'admin=%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$SECURE_DIR/users.properties"
  head -c 32 /dev/urandom | base64 >"$SECURE_DIR/gossip.key"
  chmod 0755 "$SECURE_DIR" "$SECURE_DIR/curl"
  chmod 0644 "$SECURE_DIR"/*.pem "$SECURE_DIR/users.properties" "$SECURE_DIR/gossip.key"
  secure_env
}

# secure_env exports what clients and nodes need: curl reads $CURL_HOME/.curlrc (CA and
# credentials), chaos.py reads CONNECTD_CA and CONNECTD_AUTH, compose and properties the SEC_*.
secure_env() {
  export REST_SCHEME=http SEC_EXT= SEC_USERS= SEC_PEM_TYPE= SEC_CA= SEC_CERT= SEC_GOSSIP= SEC_IN=
  [ "$SECURE" = 1 ] && [ -f "$SECURE_DIR/ca.pem" ] || return 0
  local password
  password=$(cut -d= -f2 "$SECURE_DIR/users.properties")
  printf 'cacert = "%s"\nuser = "admin:%s"\n' "$SECURE_DIR/ca.pem" "$password" >"$SECURE_DIR/curl/.curlrc"
  export CURL_HOME=$SECURE_DIR/curl CONNECTD_CA=$SECURE_DIR/ca.pem CONNECTD_AUTH=admin:$password
  # Paths as the nodes see them: /shared in containers and VMs, $SHARED_DIR locally.
  case "${TARGET:-docker}" in local) SEC_IN=$SECURE_DIR ;; *) SEC_IN=/shared/secure ;; esac
  export REST_SCHEME=https SEC_PEM_TYPE=PEM SEC_IN
  export SEC_EXT=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension
  export SEC_USERS=$SEC_IN/users.properties SEC_CA=$SEC_IN/ca.pem SEC_CERT=$SEC_IN/node.pem
  export SEC_GOSSIP
  SEC_GOSSIP=$(cat "$SECURE_DIR/gossip.key")
}
secure_env
