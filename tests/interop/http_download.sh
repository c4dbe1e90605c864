#!/usr/bin/env bash
# Kernel curl downloads from `synack serve http` and checks every byte (SHA-256 of the
# generated body), plus the index page, a 404 and a 405.
#
#   http_download.sh SYNACK LOSS SIZE...     e.g. http_download.sh build/apps/synack/synack 0 1K 1M
# CURL_MAX_TIME (seconds, default 120) bounds each download.
SYNACK=$1
loss=$2
shift 2
source "$(dirname "$0")/lib.sh"
need_root_and curl
ns_create http
serve http "$loss"

code=$(in_ns curl -s -o "$work/index" -w '%{http_code}' --max-time 20 "http://$SADDR/")
[[ $code == 200 ]] && grep -q '<html>' "$work/index" || fail "GET / answered $code"
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://$SADDR/nothing")
[[ $code == 404 ]] || fail "GET /nothing answered $code, want 404"
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X POST -d x "http://$SADDR/")
[[ $code == 405 ]] || fail "POST / answered $code, want 405"

for size in "$@"; do
  bytes=$(python3 -c "import sys; s=sys.argv[1]; m={'K':1<<10,'M':1<<20,'G':1<<30}; print(int(s[:-1])*m[s[-1]] if s[-1] in m else int(s))" "$size")
  want=$(pattern_sha256 "$bytes")
  start=$(date +%s.%N)
  in_ns curl -s -S --max-time "${CURL_MAX_TIME:-120}" -o "$work/body" "http://$SADDR/$size" 2>"$work/curl.err" ||
    { cat "$work/curl.err"; fail "curl of /$size failed"; }
  end=$(date +%s.%N)
  got=$(sha_of "$work/body")
  echo "GET /$size: $(stat -c %s "$work/body") bytes in $(awk "BEGIN{printf \"%.2f\", $end - $start}") s (loss/reorder $loss)"
  [[ $got == "$want" ]] || fail "/$size sha256 $got, want $want"
  rm -f "$work/body"
done
stop_serve
echo "PASS"
