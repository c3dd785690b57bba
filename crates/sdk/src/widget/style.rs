//! The widget's stylesheet, themeable through CSS custom properties on the host:
//! `--crosspass-font`, `--crosspass-fg`, `--crosspass-bg`, `--crosspass-muted`,
//! `--crosspass-border`, `--crosspass-accent`, `--crosspass-accent-fg`,
//! `--crosspass-error`, `--crosspass-radius`, `--crosspass-gap`.

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, ShadowRoot};

const CSS: &str = r#"
:host { display: block; font: var(--crosspass-font, 15px/1.4 system-ui, sans-serif); color: var(--crosspass-fg, #1b1f24); }
form, .fields { display: grid; gap: var(--crosspass-gap, 12px); }
form { background: var(--crosspass-bg, transparent); }
[hidden] { display: none !important; }
.field { display: grid; gap: 4px; }
.field.checkbox { grid-template-columns: auto 1fr; align-items: center; column-gap: 8px; }
.field.checkbox .help, .field.checkbox .error { grid-column: 1 / -1; }
label { font-weight: 600; }
.required { color: var(--crosspass-error, #b42318); }
input:not([type=checkbox]), select { font: inherit; padding: 6px 8px; border: 1px solid var(--crosspass-border, #c4c9d0); border-radius: var(--crosspass-radius, 6px); background: var(--crosspass-bg, #fff); color: inherit; }
input:focus-visible, select:focus-visible, button:focus-visible { outline: 2px solid var(--crosspass-accent, #1f4fd1); outline-offset: 1px; }
[aria-invalid=true] { border-color: var(--crosspass-error, #b42318); }
.help, .status { color: var(--crosspass-muted, #57606a); font-size: .9em; }
.error, .alert { color: var(--crosspass-error, #b42318); font-size: .9em; }
.conflict { border: 1px solid var(--crosspass-error, #b42318); border-radius: var(--crosspass-radius, 6px); padding: 8px 12px; }
.conflict h3 { margin: 0 0 4px; font-size: 1em; }
.actions, .conflict { display: flex; flex-wrap: wrap; gap: 8px; }
.conflict h3, .conflict p, .conflict ul { flex-basis: 100%; margin: 0; }
button { font: inherit; padding: 6px 14px; border-radius: var(--crosspass-radius, 6px); border: 1px solid var(--crosspass-accent, #1f4fd1); background: var(--crosspass-bg, #fff); color: var(--crosspass-accent, #1f4fd1); cursor: pointer; }
button[type=submit], button[data-action=sign-in] { background: var(--crosspass-accent, #1f4fd1); color: var(--crosspass-accent-fg, #fff); }
button:disabled { opacity: .6; cursor: progress; }
"#;

/// Adopts the stylesheet (constructable, so a partner CSP without `'unsafe-inline'`
/// still applies it), or falls back to a `<style>` element.
pub fn apply(doc: &Document, root: &ShadowRoot) {
    if adopt(root).is_some() {
        return;
    }
    if let Ok(style) = doc.create_element("style") {
        style.set_text_content(Some(CSS));
        let _ = root.append_child(&style);
    }
}

fn adopt(root: &ShadowRoot) -> Option<()> {
    let ctor: js_sys::Function = Reflect::get(&js_sys::global(), &"CSSStyleSheet".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let sheet = Reflect::construct(&ctor, &Array::new()).ok()?;
    let replace: js_sys::Function = Reflect::get(&sheet, &"replaceSync".into())
        .ok()?
        .dyn_into()
        .ok()?;
    replace.call1(&sheet, &JsValue::from_str(CSS)).ok()?;
    Reflect::set(root, &"adoptedStyleSheets".into(), &Array::of1(&sheet)).ok()?;
    Some(())
}
