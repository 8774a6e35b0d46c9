#!/usr/bin/env bash
# `make bench-before`, and the bench's baseline section when the binaries are missing: the
# "before" function binaries of issue 15 §2's comparison, built once and kept.
#
# Output: $T/before/bin/<function> (stripped), $T/before/bin/COMMIT and the commit's Cargo.toml, where $T is
# $CARGO_TARGET_DIR or <repo>/target. Nothing is built when COMMIT matches and every binary
# is there. Exit status: 0 built or cached, 3 the commit is not in this clone (shallow clone),
# 1 the build failed (log: $T/before/build.log; cargo's cache is kept for the next attempt).
set -euo pipefail

# 0649b8e = ba5f9b6~2, the last commit before the size work of issue 15 §2: its parent series
# starts with 0088f4f (AWS clients built on first use so that LTO drops unused ones, a size
# change) and ba5f9b6 (release profile opt z, fat LTO, 1 codegen unit, panic=abort). Its own
# release profile is kept: opt 3, thin LTO, 4 codegen units, strip = true.
COMMIT=0649b8efb231318a38313e7f8657b925c0f2e4f9

# One function, parsed whole before it runs: editing this file during a build is harmless.
main() {
  ROOT=$(cd "$(dirname "$0")/.." && pwd)
  cd "$ROOT"
  T=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
  SRC="$T/before-src"
  OUT="$T/before"
  BIN="$OUT/bin"
  CARGO=${CARGO:-cargo}

  if ! git cat-file -e "$COMMIT^{commit}" 2>/dev/null; then
    echo "bench-before: commit $COMMIT is not in this clone (shallow?)" >&2
    exit 3
  fi
  functions=$(git ls-tree --name-only "$COMMIT" functions/ | sed 's|^functions/||')

  cached=1
  [ "$(cat "$BIN/COMMIT" 2>/dev/null)" = "$COMMIT" ] || cached=0
  for f in $functions; do [ -x "$BIN/$f" ] || cached=0; done
  if [ $cached = 1 ]; then
    echo "bench-before: cached in $BIN" >&2
    exit 0
  fi

  echo "==> bench-before: building the functions of ${COMMIT:0:7} (its release profile) in $OUT; log $OUT/build.log" >&2
  mkdir -p "$OUT"
  # A plain copy of the tree (git archive): no worktree to register or prune.
  rm -rf "$SRC"
  mkdir -p "$SRC"
  git archive "$COMMIT" | tar -x -C "$SRC"
  args=()
  for f in $functions; do args+=(-p "$f"); done
  start=$(date +%s)
  if ! (cd "$SRC" && CARGO_TARGET_DIR="$OUT" "$CARGO" build --release --locked "${args[@]}") >"$OUT/build.log" 2>&1; then
    echo "bench-before: build failed, see $OUT/build.log" >&2
    tail -n 20 "$OUT/build.log" >&2
    exit 1
  fi
  echo "built in $(($(date +%s) - start)) s" >>"$OUT/build.log"

  rm -rf "$BIN"
  mkdir -p "$BIN"
  for f in $functions; do
    cp "$OUT/release/$f" "$BIN/$f"
    # The old profile strips (strip = true); strip a copy only if a binary still has symbols,
    # so both sides of the comparison are stripped sizes.
    if readelf -S "$BIN/$f" | grep -q '\.symtab'; then
      echo "bench-before: $f was not stripped by its profile; stripped with strip" | tee -a "$OUT/build.log" >&2
      strip "$BIN/$f"
    fi
  done
  # Its Cargo.toml: the bench quotes the release profile the binaries were built with.
  git show "$COMMIT:Cargo.toml" >"$BIN/Cargo.toml"
  echo "$COMMIT" >"$BIN/COMMIT"
  # The binaries are what is kept: drop the sources and cargo's intermediate files.
  rm -rf "$SRC" "$OUT/release"
  echo "bench-before: $(echo $functions | wc -w) binaries in $BIN ($(du -sh "$BIN" | cut -f1))" >&2
}
main "$@"
