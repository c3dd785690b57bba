#!/usr/bin/env bash
# Builds XYZ's frame pages (hub, popup, form) to wasm, binds them with wasm-bindgen,
# shrinks them with wasm-opt, builds the partner-page SDK (TypeScript) and prints a size
# table. Output: dist/hub/, dist/sdk/ and the npm package in dist/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

step "build wasm (release)"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
# With rust-src at hand, core and std are rebuilt for these bundles: optimized for
# size, panics abort at once (no panic formatting or location strings), and no
# reference types or multivalue, which spares wasm-bindgen's externref shims. Measured
# on the hub's module after wasm-opt: 48.3 KB gzip against 54.9 KB with the prebuilt
# std (form: 51.5 against 57.6), and the glue shrinks too. These are unstable flags;
# the machines this builds on have one stable toolchain and can fetch no other, so no
# toolchain file pins a nightly: RUSTC_BOOTSTRAP lets the stable rustc take them, here
# and nowhere else. Its own target dir: the flags differ from those of the wasm tests
# and clippy.
build=(cargo build --release --target wasm32-unknown-unknown)
# The proposals rustc's wasm32 target emits by default; wasm-opt is told exactly the
# ones the module may use, so it neither rejects wasm-bindgen's output nor adds others.
wasm_features=(bulk-memory nontrapping-float-to-int sign-ext mutable-globals reference-types multivalue)
if has_rust_src; then
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Ctarget-feature=-reference-types,-multivalue"
  wasm_features=(bulk-memory nontrapping-float-to-int sign-ext mutable-globals)
  build+=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size --target-dir "$target_dir/bundles")
  wasm_dir="$target_dir/bundles/wasm32-unknown-unknown/release"
else
  note "rust-src is not installed: the bundles link the prebuilt std (larger)"
  wasm_dir="$target_dir/wasm32-unknown-unknown/release"
fi
wasm_opt_features=("${wasm_features[@]/#/--enable-}")
# Each page's module is copied to a folder of its own as soon as it is built: the three
# builds write the same cargo artifact, and nothing may depend on their order.
pages_dir="$target_dir/bundles/pages"

bind() { # module out-dir out-name
  local module="$1" out="$2" as="$3"
  mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name "$as" "$module"
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
# One crate, three builds, one per XYZ frame page: the hub, the first-party popup
# (`popup-page`) and the form (`form-page`); each page downloads only its own code.
page() { # name cargo-args...
  local name="$1"
  shift
  "${build[@]}" -p crosspass-hub "$@"
  mkdir -p "$pages_dir/$name"
  cp "$wasm_dir/crosspass_hub.wasm" "$pages_dir/$name/crosspass_$name.wasm"
}
page hub
page popup --features popup-page
page form --features form-page
for name in hub popup form; do
  bind "$pages_dir/$name/crosspass_$name.wasm" dist/hub "crosspass_$name"
done
# The frame pages' bootstrap and stylesheets are served beside the modules they load.
cp www/hub/hub.js www/hub/*.css dist/hub/
node scripts/minify.mjs dist/hub/*.js

step "partner-page SDK (TypeScript)"
node packages/crosspass/build.mjs
mkdir -p dist/sdk/v1
cp packages/crosspass/dist/crosspass.js packages/crosspass/dist/crosspass.js.map dist/sdk/v1/

step "content-hashed names, precompressed variants (br, gzip), manifest"
node scripts/assets.mjs
manifest() { node -e 'console.log(require("./dist/manifest.json")[process.argv[1]][process.argv[2]])' "$@"; }

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
done < <(find dist/hub dist/sdk -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) | sort)
echo
printf '%-44s %10s %10s\n' bundle raw gzip-9
hub() { echo "dist/hub/$(manifest hub "$1")"; }
row "hub frame (wasm + glue + hub.js + html + css)" $(size "$(hub crosspass_hub_bg.wasm)" "$(hub crosspass_hub.js)" "$(hub hub.js)" www/hub/index.html "$(hub hub.css)")
row "form frame (wasm + glue + hub.js + html + css)" $(size "$(hub crosspass_form_bg.wasm)" "$(hub crosspass_form.js)" "$(hub hub.js)" www/hub/form.html "$(hub form.css)")
row "partner-page SDK (script tag)" $(size dist/sdk/v1/crosspass.js)

step "npm package"
(cd packages/crosspass && npm pack --pack-destination ../../dist --silent >/dev/null)
note "dist/$(cd dist && ls crosspass-*.tgz)"
