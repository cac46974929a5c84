#!/bin/sh
# Re-creates the seed corpus of the `policy-parse-no-panic` fuzz target from every JSON file under
# the shared corpus (default ../../shared/corpus relative to this directory, i.e. /work/shared/corpus;
# override with KEYHOLE_SHARED=/path/to/shared). The corpus directory is git-ignored; libFuzzer adds
# the inputs it finds there. Files are named by content hash, so re-running is idempotent.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${KEYHOLE_SHARED:-$here/../../shared}
src=$shared/corpus
dst=$here/corpus/policy-parse-no-panic
if [ ! -d "$src" ]; then
    echo "seed.sh: no shared corpus at $src (set KEYHOLE_SHARED)" >&2
    exit 1
fi
mkdir -p "$dst"
count=0
find "$src" -type f -name '*.json' | sort > "$dst.list.tmp"
while IFS= read -r f; do
    sum=$(sha1sum "$f" | cut -d' ' -f1)
    cp "$f" "$dst/seed-$sum"
    count=$((count + 1))
done < "$dst.list.tmp"
rm -f "$dst.list.tmp"
echo "seed.sh: copied $count JSON files from $src into $dst ($(ls "$dst" | grep -c '^seed-') distinct seeds)" >&2
