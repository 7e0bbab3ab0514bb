#!/bin/sh
# Merges the N shard folders under OUT into OUT/merged (the files one `capsim run` writes).
set -eu
: "${SHARDS:?set SHARDS to the number of shards}"
: "${OUT:?set OUT to the folder the shards wrote into}"
CAPSIM="${CAPSIM:-capsim}"
dirs=""
k=1
while [ "$k" -le "$SHARDS" ]; do
  dirs="$dirs $OUT/shard-$k"
  k=$((k + 1))
done
# shellcheck disable=SC2086
exec "$CAPSIM" merge $dirs --out "$OUT/merged" --report
