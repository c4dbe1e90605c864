#!/bin/sh
# expect.sh STATUS REGEX [!REGEX] -- COMMAND [ARG...]
#
# Runs COMMAND, prints what it wrote (stdout and stderr together), and passes only if it exited
# with STATUS and its output matches the extended regular expression REGEX (grep -E, any line)
# and, when a third argument !REGEX is given, no line matches that REGEX. CTest's own
# PASS_REGULAR_EXPRESSION ignores the exit status, which is half of what the CLI tests check.
want_status=$1
want_regex=$2
shift 2
reject_regex=
if [ "$1" != "--" ]; then
  reject_regex=${1#!}
  shift
fi
[ "$1" = "--" ] || { echo "expect.sh: usage: STATUS REGEX [!REGEX] -- COMMAND..." >&2; exit 2; }
shift
out=$("$@" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$status" -ne "$want_status" ]; then
  echo "expect.sh: exit status $status, expected $want_status" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$want_regex"; then
  echo "expect.sh: no line matches: $want_regex" >&2
  exit 1
fi
if [ -n "$reject_regex" ] && printf '%s\n' "$out" | grep -Eq -- "$reject_regex"; then
  echo "expect.sh: a line matches what must not appear: $reject_regex" >&2
  exit 1
fi
exit 0
