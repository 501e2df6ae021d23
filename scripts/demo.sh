#!/bin/sh
# The main job: logcatcherd on 127.0.0.1:9020 collecting into a JSON Lines
# file, fed by logcatcher-client's bogosort workers (enough to load every
# core), then stopped with SIGTERM. Shows where the file is, how many lines
# it holds, and that the trailer matches what the client sent.
#   usage: scripts/demo.sh BUILD_DIR
set -eu

build=${1:-build}
workers=${DEMO_WORKERS:-$(( $(nproc) * 4 ))}
workload=${DEMO_WORKLOAD:-10}
# Collections of 10-11 floats: a permutation bogosort of those keeps every
# core busy for a few seconds.
items="--min-items ${DEMO_MIN_ITEMS:-10} --max-items ${DEMO_MAX_ITEMS:-11}"
out_dir=$(mktemp -d /tmp/logcatcher-demo.XXXXXX)
out="$out_dir/logcatcher.jsonl"

"$build/daemon/logcatcherd" -l 127.0.0.1:9020 -o "$out" 2>"$out_dir/logcatcherd.log" &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT INT TERM

# Wait (bounded) until the daemon says it is collecting.
tries=0
until grep -q "collecting into" "$out_dir/logcatcherd.log"; do
	if ! kill -0 "$daemon" 2>/dev/null || [ $tries -ge 100 ]; then
		cat "$out_dir/logcatcherd.log" >&2
		exit 1
	fi
	tries=$((tries + 1))
	sleep 0.1
done

echo "logcatcherd is collecting on 127.0.0.1:9020 into $out"
echo "running logcatcher-client --workers $workers --workload $workload $items ..."
# shellcheck disable=SC2086
"$build/client/logcatcher-client" --workers "$workers" --workload "$workload" $items --json \
	>"$out_dir/client.json"
echo "daemon CPU: $(awk '{printf "%.2f s", ($14 + $15) / 100}' "/proc/$daemon/stat")"
kill -TERM "$daemon"
wait "$daemon"
trap - EXIT INT TERM

sent=$(sed -n 's/.*"records_sent": *\([0-9]*\).*/\1/p' "$out_dir/client.json")
lines=$(($(wc -l <"$out") - 1))
echo
echo "client summary:   $(cat "$out_dir/client.json")"
echo "daemon log:       $out_dir/logcatcherd.log ($(tail -1 "$out_dir/logcatcherd.log" | sed 's/.*stopped: //'))"
echo "output file:      $out"
echo "first record:     $(head -c 300 "$out")..."
echo "trailer:          $(tail -1 "$out")"
echo "record lines:     $lines; records sent by the client: $sent"
[ "$lines" = "$sent" ] && echo "every record sent was collected." || { echo "MISMATCH" >&2; exit 1; }
