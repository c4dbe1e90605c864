#!/usr/bin/env bash
# The kernel's `ss -tan` shows the states SPEC §3 predicts for who closes first:
#   the kernel closes first (socat half-closes to synack's echo, synack echoes and closes):
#     TIME-WAIT on the kernel side;
#   synack closes first (HTTP "Connection: close") and the kernel app keeps its socket open:
#     CLOSE-WAIT on the kernel side, FIN-WAIT-2 on synack's (its SIGUSR1 ss lines).
#
#   states.sh SYNACK LOSS
SYNACK=$1
loss=$2
source "$(dirname "$0")/lib.sh"
need_root_and socat ss
ns_create states

serve echo "$loss"
echo hello | in_ns timeout 30 socat -t 20 STDIO "TCP:$SADDR:7" >"$work/echoed" || fail "socat failed"
[[ $(cat "$work/echoed") == hello ]] || fail "echo answered '$(cat "$work/echoed")'"
in_ns ss -tan >"$work/ss1"
grep -E "^TIME-WAIT .* $SADDR:7 *\$" "$work/ss1" || { cat "$work/ss1"; fail "no kernel TIME-WAIT to $SADDR:7"; }
stop_serve

serve http "$loss" --port 80
# A kernel client that sends one request, reads the answer, and then keeps its socket open.
start_bg holder python3 -c "
import socket, sys, time
s = socket.create_connection(('$SADDR', 80))
s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
data = b''
while True:
    b = s.recv(65536)
    if not b: break
    data += b
print(data.split(b'\r\n')[0].decode(), flush=True)
time.sleep(30)
"
for _ in $(seq 200); do
  [[ -s $work/holder.out ]] && break
  sleep 0.05
done
grep -q 'HTTP/1.1 200 OK' "$work/holder.out" || { cat "$work/holder.err"; fail "no HTTP answer"; }
in_ns ss -tan >"$work/ss2"
grep -E "^CLOSE-WAIT .* $SADDR:80 *\$" "$work/ss2" || { cat "$work/ss2"; fail "no kernel CLOSE-WAIT to $SADDR:80"; }
# The kernel's ACK of synack's FIN may still be on its way when the kernel already shows
# CLOSE-WAIT: ask for synack's ss lines again until they show FIN-WAIT-2 (or 5 s pass).
for _ in $(seq 50); do
  kill -USR1 "$serve_pid"
  sleep 0.1
  grep -q '^FIN-WAIT-2' "$work/serve.err" && break
done
grep -E "^FIN-WAIT-2 .*$SADDR:80 " "$work/serve.err" || { cat "$work/serve.err"; fail "synack's ss shows no FIN-WAIT-2"; }
stop_serve
echo "PASS"
