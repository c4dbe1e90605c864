#!/usr/bin/env bash
# Many kernel clients at once against `synack serve http`: 100 parallel curl downloads (each
# checked), then `wrk -c 100 -d 5s`, which must report no socket errors and no non-2xx
# answers.
#
#   load.sh SYNACK LOSS
SYNACK=$1
loss=$2
source "$(dirname "$0")/lib.sh"
need_root_and curl wrk xargs
ns_create load
serve http "$loss"

want=$(pattern_sha256 65536)
seq 100 | in_ns xargs -P 100 -I{} sh -c \
  "curl -s -S --max-time 60 -o '$work/c{}' 'http://$SADDR/64K' || echo 'curl {} failed'" \
  >"$work/curl.out" 2>&1
[[ -s $work/curl.out ]] && { cat "$work/curl.out"; fail "parallel curl"; }
for i in $(seq 100); do
  [[ $(sha_of "$work/c$i") == "$want" ]] || fail "parallel curl $i: body differs"
done
echo "100 parallel curl downloads of 64 KiB: all intact"

in_ns wrk -t 2 -c 100 -d 5s --timeout 10s "http://$SADDR/1K" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out"; fail "wrk failed"; }
cat "$work/wrk.out"
grep -q "requests in" "$work/wrk.out" || fail "wrk made no requests"
if grep -Eq "Socket errors|Non-2xx or 3xx responses" "$work/wrk.out"; then
  fail "wrk reported errors"
fi
stop_serve
echo "PASS"
