#!/usr/bin/env bash
# resume_test.sh — interrupted runs continued with --resume (docs/RESUME.md):
# for every model kind with and without the mixer, and for the context mixer
# alone, a compression killed with SIGKILL at three points and resumed each
# time gives the file of an uninterrupted compression, and a decompression so
# interrupted gives the original; the state file is gone at the end.
# States that do not belong to the run are refused before any work, naming
# why, with the state file, the input and the output untouched.
#
# Usage: resume_test.sh NNCOMP SAMPLE     (SAMPLE: a text of >= 40 KB, e.g. data/enwik5)
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 NNCOMP SAMPLE" >&2
  exit 2
fi
NN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SAMPLE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
T=$(mktemp -d "${TMPDIR:-/tmp}/nncomp-resume-test.XXXXXX")
BG_PID=
cleanup() {
  [ -n "$BG_PID" ] && kill -9 "$BG_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 2
PASSED=0
fail() {
  echo "FAIL [$CHECK]: $*" >&2
  [ -s err ] && head -c 2000 err >&2
  echo "$PASSED passed, 1 failed" >&2
  exit 1
}

# inode FILE: its inode number, or "" if it does not exist (a new state is a
# new file renamed into place, so each save changes it).
inode() { stat -c %i "$1" 2>/dev/null; }

# killed_run CMD OUT ARGS...: starts `nncomp CMD ARGS OUT` in the background
# (with --resume from the second time on), waits until it has saved a state
# newer than the one it started from, lets it work a little more and kills it
# with SIGKILL.
killed_run() {
  local cmd=$1 out=$2 before waited=0
  shift 2
  before=$(inode "$out.nncomp-state")
  "$NN" "$cmd" "$@" "$out" 2>err &
  BG_PID=$!
  while [ "$(inode "$out.nncomp-state")" = "$before" ]; do
    kill -0 "$BG_PID" 2>/dev/null || fail "finished or failed before saving a state: $(tail -n 1 err)"
    ((waited++ < 1200)) || fail "no new state after 60 s"
    sleep 0.05
  done
  sleep 0.$((RANDOM % 4 + 1))
  kill -9 "$BG_PID" 2>/dev/null || fail "finished before the kill (the input is too short)"
  wait "$BG_PID" 2>/dev/null
  BG_PID=
  [ ! -e "$out" ] || fail "a killed run left its output"
}

# interrupted CMD IN OUT REF OPTS...: CMD killed three times, then completed
# with --resume; OUT must equal REF and the state file must be gone.
interrupted() {
  local cmd=$1 in=$2 out=$3 ref=$4
  shift 4
  local every=(--checkpoint-every 0.25s)
  killed_run "$cmd" "$out" "$@" "${every[@]}" "$in"
  killed_run "$cmd" "$out" --resume "$@" "${every[@]}" "$in"
  killed_run "$cmd" "$out" --resume "$@" "${every[@]}" "$in"
  "$NN" "$cmd" --resume "$@" "${every[@]}" "$in" "$out" 2>err || fail "the last --resume failed"
  cmp -s "$out" "$ref" || fail "the resumed $cmd differs from the uninterrupted one"
  [ ! -e "$out.nncomp-state" ] || fail "the state file was left after success"
  rm -f "$out" "$out".nncomp-state.nncomp-tmp-*
}

head -c 40000 "$SAMPLE" >in
for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$SAMPLE"; done >long  # for the fast context mixer alone
for setup in "gpt cm" "gpt none" "rwkv cm" "rwkv none" "ngpt cm" "ngpt none" "none cm"; do
  read -r kind mixer <<<"$setup"
  opts=(-q -m "$kind" -p tiny -t 1 --mixer "$mixer")
  input=in
  [ "$kind" = none ] && input=long
  CHECK="$kind/$mixer: compression killed three times"
  "$NN" c -f "${opts[@]}" --checkpoint-every 0 "$input" ref.nnc 2>err || fail "reference compression"
  interrupted c "$input" out.nnc ref.nnc "${opts[@]}"
  PASSED=$((PASSED + 1))
  echo "ok $PASSED: $CHECK"
  CHECK="$kind/$mixer: decompression killed three times"
  interrupted d ref.nnc out.dat "$input" -q -t 1
  PASSED=$((PASSED + 1))
  echo "ok $PASSED: $CHECK"
done
# ---- states that do not belong to the run: refused before any work ----------------
# expect STATUS MESSAGE ARGS...: nncomp ARGS exits with STATUS, prints MESSAGE,
# writes no output (OUT is st.nnc or st.out) and leaves the state file as it was.
expect() {
  local want=$1 msg=$2 before
  shift 2
  before=$(cksum st.nnc.nncomp-state 2>/dev/null)
  "$NN" "$@" 2>err >/dev/null
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "exit status $rc, expected $want"
  grep -q "$msg" err || fail "no '$msg' in: $(head -n 1 err)"
  [ ! -e st.nnc ] || fail "an output was written"
  [ "$(cksum st.nnc.nncomp-state 2>/dev/null)" = "$before" ] || fail "the state file changed"
  PASSED=$((PASSED + 1))
  echo "ok $PASSED: $CHECK  ($(head -n 1 err))"
}
opts=(-q -m gpt -p tiny -t 1)
CHECK="--resume without a state"
expect 2 "no saved state" c --resume "${opts[@]}" in st.nnc
CHECK="--resume onto standard output"
expect 2 "needs OUT to be a file" c --resume "${opts[@]}" in -
CHECK="a bad duration"
expect 2 "must be a duration" c --checkpoint-every 5x "${opts[@]}" in st.nnc
killed_run c st.nnc "${opts[@]}" --checkpoint-every 0.25s in
CHECK="a state left behind, no --resume"
expect 2 "holds the saved state of an interrupted run" c "${opts[@]}" in st.nnc
head -c 30000 "$SAMPLE" >other
CHECK="a state of another input"
expect 2 "another input" c --resume "${opts[@]}" other st.nnc
CHECK="a state of another configuration"
expect 2 "another configuration" c --resume "${opts[@]}" --lr 0.03 in st.nnc
CHECK="a state of another thread count"
expect 1 "another device/build" c --resume -q -m gpt -p tiny -t 2 in st.nnc
CHECK="a state of a compression given to d"
"$NN" c -q -f -m gpt -p tiny -t 1 --checkpoint-every 0 in st.ref 2>err || fail "compression"
expect 2 "resume it with nncomp c" d --resume -q st.ref st.nnc
cp st.nnc.nncomp-state good.state
CHECK="a truncated state"
head -c 5000 good.state >st.nnc.nncomp-state
expect 1 "damaged or truncated" c --resume "${opts[@]}" in st.nnc
CHECK="a state with a flipped bit"
cp good.state st.nnc.nncomp-state
printf '\x5a' | dd of=st.nnc.nncomp-state bs=1 seek=3000 conv=notrunc status=none
expect 1 "damaged or truncated" c --resume "${opts[@]}" in st.nnc
CHECK="not a state file"
cp st.ref st.nnc.nncomp-state
expect 1 "not an nncomp state file" c --resume "${opts[@]}" in st.nnc
CHECK="-f starts over and removes the state"
cp good.state st.nnc.nncomp-state
"$NN" c -f "${opts[@]}" in st.nnc 2>err || fail "exit status $?"
[ ! -e st.nnc.nncomp-state ] || fail "the state file was left"
cmp -s st.nnc st.ref || fail "the new run differs"
PASSED=$((PASSED + 1))
echo "ok $PASSED: $CHECK"

echo "$PASSED passed, 0 failed"
