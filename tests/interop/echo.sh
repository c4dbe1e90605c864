#!/usr/bin/env bash
# Kernel socat and nc echo random data through `synack serve echo` and get it back intact.
#
#   echo.sh SYNACK LOSS [BYTES]
SYNACK=$1
loss=$2
bytes=${3:-1048576}
source "$(dirname "$0")/lib.sh"
need_root_and socat nc
ns_create echo
serve echo "$loss"

head -c "$bytes" /dev/urandom >"$work/in"
want=$(sha_of "$work/in")
# socat: after stdin's EOF it half-closes and waits (-t) for synack's echo and FIN.
in_ns timeout 60 socat -t 30 -T 30 STDIO "TCP:$SADDR:7" <"$work/in" >"$work/out" 2>"$work/socat.err" ||
  { cat "$work/socat.err"; fail "socat failed"; }
[[ $(sha_of "$work/out") == "$want" ]] || fail "socat echo: $(stat -c %s "$work/out") bytes, sha256 differs"
echo "socat: $bytes bytes echoed"
# nc (OpenBSD): -N shuts the socket down for writing after stdin's EOF; it exits on the FIN.
in_ns timeout 60 nc -N -w 30 "$SADDR" 7 <"$work/in" >"$work/out2" 2>"$work/nc.err" ||
  { cat "$work/nc.err"; fail "nc failed"; }
[[ $(sha_of "$work/out2") == "$want" ]] || fail "nc echo: $(stat -c %s "$work/out2") bytes, sha256 differs"
echo "nc: $bytes bytes echoed"
stop_serve
echo "PASS"
