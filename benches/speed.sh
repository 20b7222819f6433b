#!/usr/bin/env bash
# What gate costs per command, measured side by side in one hyperfine run: `gate exec` and
# `gate check` on the built-in policy and on generated policies of 1,000 and 10,000 rules, as
# ratios of the medians to `true` (and to `sudo -n true` where sudo is installed); then the
# fsyncs of allowed `gate exec -- true` runs on a warm log (strace), its peak RSS, and how many
# of the hot functions (build/hot-functions.txt) the binary holds.
# Needs hyperfine (apt-get install hyperfine); strace and /usr/bin/time where present.
#
#     benches/speed.sh                 # builds the release binary first
#     GATE=/path/to/gate benches/speed.sh
#     RUNS=500 benches/speed.sh        # more runs per command (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [[ -z "${GATE:-}" ]]; then
  cargo build --release --quiet
  GATE=$PWD/target/$(rustc --print host-tuple)/release/gate
fi
runs=${RUNS:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Measured as installed: a copy, as `cargo install` makes. The file the linker wrote is slower
# to start (~0.3 ms here): its pages sit in the page cache in small pieces, so starting it takes
# more page faults than starting a file written in one go.
install -m 755 "$GATE" "$work/gate"
GATE=$work/gate
# A home of its own: no user policy, a fresh cache, the log in the work folder.
mkdir -p "$work/home" "$work/repo"
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_CONFIG_HOME=$work/home/.config
export GATE_DB=$work/audit.db
unset GATE_POLICY
git init -q "$work/repo"
cd "$work/repo"

# The generator of benches/classify.rs: rules over a quarter as many programs, in every
# decision, one in five with flags and args conditions, and one rule that allows `git status`.
generate() {
  awk -v n="$1" 'BEGIN {
    print "version = 1\n[settings]\ndefault = \"ask\""
    split("allow ask deny", d, " ")
    for (i = 0; i < n; i++) {
      printf "[[rules]]\nid = \"r%d\"\ndecision = \"%s\"\nmatch = [\"tool%d sub%d\"]\n", i, d[i % 3 + 1], i % int(n / 4), i % 7
      if (i % 5 == 0) print "flags = [\"-f\", \"--force\"]\nargs = [\"/*\", \"~/.ssh/*\"]"
    }
    print "[[rules]]\nid = \"read\"\ndecision = \"allow\"\nmatch = [\"git status\", \"git diff\", \"head\"]"
  }'
}
generate 1000 > "$work/rules-1000.toml"
generate 10000 > "$work/rules-10000.toml"

# Warm everything once: the log, its -wal and -shm, the policy caches.
"$GATE" exec -- true
for n in 1000 10000; do "$GATE" check --policy "$work/rules-$n.toml" -- git status >/dev/null; done

names=(true "gate exec -- true" "gate exec -c true" "gate check -- git status"
  "gate check, 1,000 rules" "gate check, 10,000 rules")
commands=(
  "true"
  "$GATE exec -- true"
  "$GATE exec -c true"
  "$GATE check -- git status"
  "$GATE check --policy $work/rules-1000.toml -- git status"
  "$GATE check --policy $work/rules-10000.toml -- git status"
)
if sudo -n true 2>/dev/null; then
  names+=("sudo -n true")
  commands+=("sudo -n true")
fi
args=()
for i in "${!commands[@]}"; do args+=(-n "${names[$i]}" "${commands[$i]}"); done
hyperfine -N --style none --warmup 20 --min-runs "$runs" --export-json "$work/result.json" \
  "${args[@]}" >/dev/null 2>&1

python3 - "$work/result.json" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
median = {r["command"]: r["median"] for r in results}
base, sudo = median["true"], median.get("sudo -n true")
head = f"{'command':<28}{'median':>10}{'× true':>9}" + (f"{'× sudo':>9}" if sudo else "")
print(head)
for r in results:
    line = f"{r['command']:<28}{r['median'] * 1000:>8.2f}ms{r['median'] / base:>8.2f}×"
    if sudo:
        line += f"{r['median'] / sudo:>8.2f}×"
    print(line)
EOF

if command -v strace >/dev/null; then
  # Twenty runs in a row: most make one fsync; the one that folds the WAL in (every few dozen
  # runs) makes two more after its command, and the one after it one more.
  counts=()
  for _ in $(seq 20); do
    strace -f -c -e trace=fsync,fdatasync,sync_file_range,syncfs,sync -o "$work/strace.txt" \
      "$GATE" exec -- true
    counts+=("$(awk '$NF == "total" { print $4 }' "$work/strace.txt")")
  done
  echo "fsyncs of 20 gate exec -- true in a row (strace -c -f): ${counts[*]}"
fi
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -f %M -o "$work/rss" "$GATE" exec -- true
  echo "peak RSS of gate exec -- true: $(cat "$work/rss") KiB"
  /usr/bin/time -f %M -o "$work/rss" "$GATE" check --policy "$work/rules-10000.toml" -- git status >/dev/null
  echo "peak RSS of gate check, 10,000 rules: $(cat "$work/rss") KiB"
fi
if command -v nm >/dev/null; then
  # The hot functions build.rs has the linker lay out first (release builds with rustc's lld):
  # names this binary no longer holds (a new toolchain, new code) are a list to remake.
  listed=$(wc -l < "$root/build/hot-functions.txt")
  held=$(nm "$GATE" | awk 'NR == FNR { want[$1]; next }
    ($3 in want) && !seen[$3]++ { n++ } END { print n + 0 }' "$root/build/hot-functions.txt" -)
  echo "hot functions laid out first: $held of $listed listed (build/hot-functions.sh remakes the list)"
fi
