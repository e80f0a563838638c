#!/usr/bin/env bash
# Regenerate the committed fixtures (needs root; about 6 minutes: both run at once):
#   test/fixtures/demo/demo.pcap + demo.labels.csv        (what `netids demo` replays)
#   test/fixtures/scenarios/full.pcap + full.labels.csv   (every attack kind)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

bash "$HERE/generate.sh" --out "$ROOT/test/fixtures/demo" --name demo \
  --warmup 120 --gap 20 --tail 20 --scale 1 --seed 1 \
  --attacks synscan,hostsweep,synflood 2> >(sed 's/^/[demo] /' >&2) &
demo=$!
bash "$HERE/generate.sh" --out "$ROOT/test/fixtures/scenarios" --name full \
  --warmup 120 --gap 20 --tail 20 --scale 1 --seed 2 \
  --attacks all 2> >(sed 's/^/[full] /' >&2) &
full=$!
rc=0
wait "$demo" || rc=1
wait "$full" || rc=1
ls -l "$ROOT"/test/fixtures/demo "$ROOT"/test/fixtures/scenarios
exit "$rc"
