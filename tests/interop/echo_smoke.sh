#!/usr/bin/env bash
# Interop smoke test: the Linux kernel echoes 100 KB through synack's echo server over a TUN.
#
#   echo_smoke.sh SERVER_BINARY [LOSS] [BYTES]
#     LOSS: e.g. 0.05 for 5 % loss and 5 % reordering (5 ms) in both directions of synack's
#           link (default 0)
#     BYTES: how much to echo (default 102400)
#   SYNACK_PCAP=FILE in the environment: synack's side of the link is captured there.
#
# Needs root (network namespaces, TUN). Exits 77 — CTest's SKIP_RETURN_CODE — when not root
# or when a tool is missing. Everything happens inside a namespace this script creates and
# deletes (trap), so the host's interfaces, addresses and routes are never touched:
#   kernel side 10.99.0.1/24 on the TUN, synack at 10.99.0.2 listening on port 7.
set -u
server=$1
loss=${2:-0}
bytes=${3:-102400}
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root (network namespace + TUN)"
  exit 77
fi
for tool in ip socat sha256sum timeout; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
[[ -e /dev/net/tun ]] || { echo "SKIP: /dev/net/tun missing"; exit 77; }

ns="synack-echo-$$"
dev="synt0"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }

ip netns exec "$ns" "$server" --tun "$dev" --addr 10.99.0.2 --port 7 --loss "$loss" --reorder "$loss" \
  --seed 7 --max-seconds 60 ${SYNACK_PCAP:+--pcap "$SYNACK_PCAP"} >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^ready' "$work/server.out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05
done
if ! grep -q '^ready' "$work/server.out"; then
  echo "FAIL: server did not start"; cat "$work/server.err"; exit 1
fi
ip netns exec "$ns" ip addr add 10.99.0.1/24 dev "$dev" || exit 1
ip netns exec "$ns" ip link set "$dev" up || exit 1

head -c "$bytes" /dev/urandom >"$work/in"
start=$(date +%s.%N)
# -t: after sending EOF, wait up to 25 s for synack's echo and FIN.
ip netns exec "$ns" timeout 30 socat -t 25 -T 25 STDIO TCP:10.99.0.2:7 \
  <"$work/in" >"$work/out" 2>"$work/socat.err"
rc=$?
end=$(date +%s.%N)
kill "$server_pid"; wait "$server_pid"; server_pid=""
cat "$work/server.err"
want=$(sha256sum <"$work/in" | cut -d' ' -f1)
got=$(sha256sum <"$work/out" | cut -d' ' -f1)
echo "socat exit $rc, $(stat -c %s "$work/out") bytes back in $(awk "BEGIN{printf \"%.2f\", $end - $start}") s (loss and reorder $loss)"
if [[ $rc -ne 0 || $want != "$got" ]]; then
  echo "FAIL: sha256 sent $want, echoed $got"; cat "$work/socat.err"; exit 1
fi
echo "PASS: sha256 $got"
