#!/usr/bin/env bash
# Builds the hub and the SDK to wasm, binds them with wasm-bindgen, shrinks them with
# wasm-opt and prints a size table. Output: dist/hub/ and dist/sdk/.
#
#   build-wasm.sh [--out DIR] [--no-widget]
#
# --out DIR writes DIR/hub and DIR/sdk instead. --no-widget builds only the SDK,
# without its default features (the connection and API, no form widget): the size
# benchmark measures the widget as the difference.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

out=dist
crates=(crosspass_hub crosspass_sdk)
cargo_args=(-p crosspass-hub -p crosspass-sdk --features crosspass-sdk/widget)
while (($#)); do
  case "$1" in
    --out)
      out="${2:?--out needs a directory}"
      shift 2
      ;;
    --no-widget)
      crates=(crosspass_sdk)
      cargo_args=(-p crosspass-sdk --no-default-features)
      shift
      ;;
    *)
      echo "usage: build-wasm.sh [--out DIR] [--no-widget]" >&2
      exit 2
      ;;
  esac
done

step "build wasm (release)"
cargo build --release --target wasm32-unknown-unknown "${cargo_args[@]}"

target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
wasm_dir="$target_dir/wasm32-unknown-unknown/release"

# rustc's wasm32 target emits these proposals by default; wasm-opt must accept them
# or it rejects (or, for older versions, silently breaks) wasm-bindgen's output.
wasm_opt_features=(
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue
)

bind() { # crate-name out-dir
  local name="$1" out="$2"
  rm -rf "$out"
  mkdir -p "$out"
  wasm-bindgen --target web --out-dir "$out" "$wasm_dir/$name.wasm"
  wasm-opt -Oz "${wasm_opt_features[@]}" -o "$out/${name}_bg.wasm" "$out/${name}_bg.wasm"
}

step "wasm-bindgen + wasm-opt -Oz"
dirs=()
for name in "${crates[@]}"; do
  dir="$out/${name#crosspass_}"
  bind "$name" "$dir"
  dirs+=("$dir")
done
# The SDK's hand-written JS (script-tag loader, npm entry) ships beside the glue.
if [[ -d crates/sdk/js ]]; then
  cp -R crates/sdk/js/. "$out/sdk/"
fi

step "sizes (bytes)"
printf '%-34s %10s %10s\n' file raw gzip-9
raw_total=0 gz_total=0
while IFS= read -r f; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  raw_total=$((raw_total + raw)) gz_total=$((gz_total + gz))
  printf '%-34s %10d %10d\n' "${f#"$out"/}" "$raw" "$gz"
done < <(find "${dirs[@]}" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.mjs' \) | sort)
printf '%-34s %10d %10d\n' total "$raw_total" "$gz_total"
