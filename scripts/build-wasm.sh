#!/usr/bin/env bash
# Builds the hub and the SDK to wasm, binds them with wasm-bindgen, shrinks them with
# wasm-opt and prints a size table. Output: dist/hub/ and dist/sdk/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

step "build wasm (release)"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
# With rust-src at hand, core and std are rebuilt for these bundles (stable rustc, its
# unstable flags let through by RUSTC_BOOTSTRAP): optimized for size, panics abort at once
# (no panic formatting or location strings), and no reference types or multivalue,
# which spares wasm-bindgen's externref shims: about 5 KB gzip off each bundle. Its
# own target dir: the flags differ from those of the wasm tests and clippy.
build=(cargo build --release --target wasm32-unknown-unknown)
if has_rust_src; then
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Ctarget-feature=-reference-types,-multivalue"
  build+=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size --target-dir "$target_dir/bundles")
  wasm_dir="$target_dir/bundles/wasm32-unknown-unknown/release"
else
  note "rust-src is not installed: the bundles link the prebuilt std (larger)"
  wasm_dir="$target_dir/wasm32-unknown-unknown/release"
fi
# The SDK is built twice: with its form widget (`crosspass/form`, the script tag) and
# without it (`crosspass`, for pages that only need tokens).
"${build[@]}" -p crosspass-hub -p crosspass-sdk --features crosspass-sdk/widget

# rustc's wasm32 target emits these proposals by default; wasm-opt must accept them
# or it rejects (or, for older versions, silently breaks) wasm-bindgen's output.
wasm_opt_features=(
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue
)

bind() { # crate-name out-dir out-name
  local name="$1" out="$2" as="$3"
  mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name "$as" "$wasm_dir/$name.wasm"
  # Also one- or two-letter names for what joins module and glue; wasm-opt prints the
  # renames, and short-names.mjs makes the same in the glue.
  wasm-opt -Oz "${wasm_opt_features[@]}" --strip-producers --strip-target-features \
    --minify-imports-and-exports-and-modules \
    -o "$out/${as}_bg.wasm" "$out/${as}_bg.wasm" >"$out/names.json"
  # Then -Oz again until it changes nothing more (about 0.1 KB gz off the hub). Not
  # with --converge above: that would repeat the renaming.
  wasm-opt -Oz --converge "${wasm_opt_features[@]}" -o "$out/${as}_bg.wasm" "$out/${as}_bg.wasm"
  node scripts/short-names.mjs "$out/names.json" "$out/${as}_bg.wasm" "$out/$as.js"
  rm "$out/names.json"
}

step "wasm-bindgen + wasm-opt -Oz"
rm -rf dist/hub dist/sdk
bind crosspass_hub dist/hub crosspass_hub
# The popup page's build: the hub with its `startPopup` entry point.
"${build[@]}" -p crosspass-hub --features popup-page
bind crosspass_hub dist/hub crosspass_popup
bind crosspass_sdk dist/sdk crosspass_sdk
"${build[@]}" -p crosspass-sdk --no-default-features
bind crosspass_sdk dist/sdk crosspass_core
# The SDK's hand-written JS (script-tag loader, npm entry points, types) ships beside
# the glue; dist/sdk is the npm package.
cp -R crates/sdk/js/. dist/sdk/
# The hub page's bootstrap is served minified beside the modules it loads.
cp www/hub/hub.js dist/hub/
node scripts/minify.mjs dist/hub/*.js dist/sdk/*.js

step "sizes (bytes)"
# size FILE... -> "raw gzip" of the files together (each gzipped on its own, as served)
size() {
  local raw=0 gz=0 f
  for f in "$@"; do
    raw=$((raw + $(stat -c %s "$f")))
    gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
  done
  echo "$raw $gz"
}
row() { printf '%-44s %10d %10d\n' "$1" $2 $3; }
printf '%-44s %10s %10s\n' file raw gzip-9
while IFS= read -r f; do
  row "${f#dist/}" $(size "$f")
done < <(find dist/hub dist/sdk -type f \( -name '*.wasm' -o -name '*.js' \) | sort)
echo
printf '%-44s %10s %10s\n' bundle raw gzip-9
row "hub (wasm + glue)" $(size dist/hub/crosspass_hub_bg.wasm dist/hub/crosspass_hub.js)
row "hub page (wasm + glue + hub.js)" $(size dist/hub/crosspass_hub_bg.wasm dist/hub/crosspass_hub.js dist/hub/hub.js)
core=(dist/sdk/crosspass_core_bg.wasm dist/sdk/crosspass_core.js dist/sdk/index.js dist/sdk/entry.js dist/sdk/frame.js)
form=(dist/sdk/crosspass_sdk_bg.wasm dist/sdk/crosspass_sdk.js dist/sdk/form.js dist/sdk/entry.js dist/sdk/frame.js)
row "sdk core: crosspass (wasm + js)" $(size "${core[@]}")
row "sdk with form: crosspass/form (wasm + js)" $(size "${form[@]}")
read -r core_raw core_gz < <(size "${core[@]}")
read -r form_raw form_gz < <(size "${form[@]}")
row "  widget alone (difference)" $((form_raw - core_raw)) $((form_gz - core_gz))
row "script tag: crosspass.js + crosspass/form" $(size dist/sdk/crosspass.js "${form[@]}")

step "npm package"
npm pack ./dist/sdk --pack-destination dist --silent >/dev/null
note "dist/$(cd dist && ls crosspass-*.tgz)"
