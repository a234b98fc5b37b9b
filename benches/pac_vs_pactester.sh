#!/usr/bin/env bash
# PAC throughput, whole process included: `dapreflight pac FILE -f URLS` against pacparser's
# `pactester -p FILE -f URLS` on the same generated PAC files and URL lists (benches/pac/generate.py),
# each run RUNS times under `nice`, the minimum of wall, user and sys time and the peak RSS kept.
# Not a CI gate: run it by hand (`benches/pac_vs_pactester.sh`), after `cargo build --release`.
#
# Neither side looks a name up: the PACs call isInNet only on IP literals and on myIpAddress(),
# both tools get the client address (-c / --client-ip), and dapreflight's `--dns` table makes every
# other name unresolvable instead of asking the system resolver.
#
# Environment: RUNS (default 5), LISTS (default "1000 20000"), DAPREFLIGHT (the binary, default
# target/release/dapreflight), BASELINE (an older dapreflight binary to measure alongside, for a
# before/after line, on the lists in BASELINE_LISTS, default "1000"), PACTESTER_RUNS (default
# RUNS: pactester takes 15-25 s per 1,000 URLs on the list-style files), PACTESTER_MAX_SECONDS (default 20: skip pactester on a list its
# 1,000-URL rate says would take longer, and print the extrapolation instead), CALLGRIND=1 (also
# count dapreflight's instructions on the 1,000-URL list with valgrind's callgrind).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-5}
pactester_runs=${PACTESTER_RUNS:-$runs}
baseline_lists=${BASELINE_LISTS:-1000}
lists=${LISTS:-"1000 20000"}
bin=${DAPREFLIGHT:-target/release/dapreflight}
max_seconds=${PACTESTER_MAX_SECONDS:-20}
client=10.20.30.40
command -v pactester >/dev/null || { echo "pactester missing: apt-get install libpacparser1" >&2; exit 2; }
[ -x "$bin" ] || { echo "$bin missing: cargo build --release" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 benches/pac/generate.py "$work"

# Prints "wall user sys maxrss_kb" for the best of $runs runs (each column's own minimum).
measure() {
  local i n=$runs
  [ "$1" = pactester ] && n=$pactester_runs
  for ((i = 0; i < n; i++)); do
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" nice "$@" >"$work/out" 2>"$work/err" || {
      echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
    cat "$work/time"
  done | sort -n | awk '
    NR == 1 { w = $1; u = $2; s = $3; m = $4 }
    { if ($1 < w) w = $1; if ($2 < u) u = $2; if ($3 < s) s = $3; if ($4 < m) m = $4 }
    END { printf "%s %s %s %s\n", w, u, s, m }'
}

printf '%-17s %6s | %-27s | %-27s | %s\n' "PAC" "URLs" "pactester wall/user/sys s" \
  "dapreflight wall/user/sys s" "ratio (pactester wall / ours), peak RSS ours/theirs"
declare -A rate
for urls in $lists; do
  for pac in corporate domain-list lookup-table if-ladder; do
    file="$work/$pac.pac" list="$work/urls-$urls.txt"
    ours=$(measure "$bin" pac "$file" -f "$list" --client-ip "$client" --dns pac-bench.invalid=127.0.0.1)
    lines=$(grep -c ' : ' "$work/out")
    [ "$lines" -eq "$urls" ] || { echo "dapreflight answered $lines of $urls URLs" >&2; exit 1; }
    estimate=${rate[$pac]:-0}
    if awk -v e="$estimate" -v n="$urls" -v max="$max_seconds" 'BEGIN { exit !(e * n / 1000 > max) }'; then
      theirs="skipped"
    else
      theirs=$(measure pactester -p "$file" -f "$list" -c "$client")
      [ "$urls" -eq 1000 ] && rate[$pac]=$(echo "$theirs" | cut -d' ' -f2)
    fi
    read -r ow ou os om <<<"$ours"
    if [ -n "${BASELINE:-}" ] && [[ " $baseline_lists " == *" $urls "* ]]; then
      read -r bw bu bs bm <<<"$(measure "$BASELINE" pac "$file" -f "$list" --client-ip "$client" \
        --dns pac-bench.invalid=127.0.0.1)"
      printf '%-17s %6s | baseline dapreflight wall/user/sys %s/%s/%s s, peak RSS %s KB\n' \
        "$pac" "$urls" "$bw" "$bu" "$bs" "$bm"
    fi
    if [ "$theirs" = skipped ]; then
      printf '%-17s %6s | %-27s | %-27s | ~%sx (pactester extrapolated from 1,000 URLs: %.0f s user), %s KB\n' \
        "$pac" "$urls" "not run" "$ow/$ou/$os" \
        "$(awk -v e="$estimate" -v n="$urls" -v w="$ow" 'BEGIN { printf "%.0f", e * n / 1000 / w }')" \
        "$(awk -v e="$estimate" -v n="$urls" 'BEGIN { print e * n / 1000 }')" "$om"
    else
      read -r tw tu ts tm <<<"$theirs"
      printf '%-17s %6s | %-27s | %-27s | %.2fx, %s/%s KB\n' "$pac" "$urls" "$tw/$tu/$ts" \
        "$ow/$ou/$os" "$(awk -v a="$tw" -v b="$ow" 'BEGIN { print a / (b > 0 ? b : 0.01) }')" "$om" "$tm"
    fi
  done
done

if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
  echo
  echo "dapreflight instructions (callgrind, 1,000 URLs, whole process):"
  for pac in corporate domain-list lookup-table if-ladder; do
    valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$bin" pac "$work/$pac.pac" \
      -f "$work/urls-1000.txt" --client-ip "$client" --dns pac-bench.invalid=127.0.0.1 \
      >/dev/null 2>"$work/cg.err"
    printf '%-17s %s\n' "$pac" "$(grep -o 'Collected : [0-9]*' "$work/cg.err" | grep -o '[0-9]*$')"
  done
fi
