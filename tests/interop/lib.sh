# Shared by the interop scripts (sourced, not run): a scratch network namespace with synack on
# a TUN inside it, the kernel as the peer, and checks of what came across.
#
# Every script: `source lib.sh; need_root_and tools...; ns_create NAME` — the namespace is
# deleted by the EXIT trap whatever happens, with every process started by start_bg killed
# first (by pid). Addresses live only inside the namespace: the kernel's side of the TUN is
# 10.99.0.1/24 and synack is 10.99.0.2. Exit status 77 (CTest's SKIP_RETURN_CODE) when not
# root or a tool is missing; 1 with "FAIL: ..." on a failed check.
#
# Fault injection: LOSS (0 or e.g. 0.05) is passed to synack as --loss and --reorder in both
# directions of its link (tc netem is not available).
set -u
KADDR=10.99.0.1
SADDR=10.99.0.2
DEV=synt0
ns=""
work=""
bg_pids=()

need_root_and() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: needs root (network namespace + TUN)"
    exit 77
  fi
  [[ -e /dev/net/tun ]] || { echo "SKIP: /dev/net/tun missing"; exit 77; }
  for tool in ip sha256sum timeout python3 "$@"; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
  done
}

cleanup() {
  local p
  for p in "${bg_pids[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${bg_pids[@]}"; do
    wait "$p" 2>/dev/null
  done
  [[ -n $ns ]] && ip netns del "$ns" 2>/dev/null
  [[ -n $work ]] && rm -rf "$work"
}

ns_create() {
  ns="synack-$1-$$"
  work=$(mktemp -d)
  trap cleanup EXIT
  ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; ns=""; exit 77; }
  ip netns exec "$ns" ip link set lo up
}

in_ns() {
  ip netns exec "$ns" "$@"
}

# start_bg LOGNAME CMD...: runs CMD in the namespace in the background, output in
# $work/LOGNAME.out/.err; its pid in $last_pid.
start_bg() {
  local log=$1
  shift
  ip netns exec "$ns" "$@" >"$work/$log.out" 2>"$work/$log.err" &
  last_pid=$!
  bg_pids+=("$last_pid")
}

# serve SERVICE LOSS [extra synack options]: starts `synack serve` and waits for "ready".
serve() {
  local service=$1 loss=$2
  shift 2
  start_bg serve "$SYNACK" serve "$service" --tun "$DEV" --addr "$SADDR/24" --kernel-addr "$KADDR" \
    --loss "$loss" --reorder "$loss" --seed 7 "$@"
  serve_pid=$last_pid
  for _ in $(seq 200); do
    grep -q '^ready' "$work/serve.out" 2>/dev/null && return 0
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: synack serve did not start"
  cat "$work/serve.err"
  exit 1
}

# stop_serve: SIGTERM, wait, show its counters; fails if it did not exit 0.
stop_serve() {
  kill -TERM "$serve_pid"
  wait "$serve_pid"
  local rc=$?
  tail -n 3 "$work/serve.err"
  [[ $rc -eq 0 ]] || { echo "FAIL: synack serve exited $rc"; cat "$work/serve.err"; exit 1; }
}

# Lowercase hex SHA-256 of the first N bytes of synack's generated body (app/body_pattern.h:
# 16-byte lines, line k = k as 15 hex digits and a newline).
pattern_sha256() {
  python3 - "$1" <<'PY'
import hashlib, sys
n = int(sys.argv[1]); h = hashlib.sha256(); line = 0; left = n
while left > 0:
    chunk = b"".join(b"%015x\n" % k for k in range(line, line + 65536))
    h.update(chunk[:left]); left -= min(left, len(chunk)); line += 65536
print(h.hexdigest())
PY
}

sha_of() {
  sha256sum <"$1" | cut -d' ' -f1
}

fail() {
  echo "FAIL: $*"
  exit 1
}
