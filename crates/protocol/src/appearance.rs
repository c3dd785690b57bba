//! The form's `appearance`: an allowlist of named variables, each with a strict value
//! grammar. Partner pages theme XYZ's form frame only through these; no raw CSS
//! crosses the boundary, so no value can carry `url()`, `expression()`, a `;` or a
//! `}` that would break out of its declaration.

use crate::text::{write_parts, Describe, Sink};
use std::fmt;

/// Longest `fontFamily` value.
pub const MAX_FONT_FAMILY_LEN: usize = 200;
/// Most families in a `fontFamily` list.
pub const MAX_FONT_FAMILIES: usize = 8;

/// What a variable's value must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grammar {
    Color,
    FontFamily,
    Length,
}

macro_rules! variables {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $css:literal, $grammar:ident;)*) => {
        /// An appearance variable.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Variable {
            $($(#[$doc])* $variant,)*
        }

        impl Variable {
            /// Every variable, in documentation order.
            pub const ALL: &'static [Variable] = &[$(Variable::$variant,)*];

            /// The name partners use, e.g. `colorPrimary`.
            pub const fn name(self) -> &'static str {
                match self { $(Variable::$variant => $name,)* }
            }

            /// The CSS custom property the form's stylesheet reads.
            pub const fn css_property(self) -> &'static str {
                match self { $(Variable::$variant => $css,)* }
            }

            const fn grammar(self) -> Grammar {
                match self { $(Variable::$variant => Grammar::$grammar,)* }
            }
        }
    };
}

variables! {
    /// Body text.
    ColorText => "colorText", "--xp-color-text", Color;
    /// The form's background.
    ColorBackground => "colorBackground", "--xp-color-background", Color;
    /// Buttons, focus rings, links.
    ColorPrimary => "colorPrimary", "--xp-color-primary", Color;
    /// Text on the primary colour.
    ColorPrimaryText => "colorPrimaryText", "--xp-color-primary-text", Color;
    /// Control borders.
    ColorBorder => "colorBorder", "--xp-color-border", Color;
    /// Help and status text.
    ColorMuted => "colorMuted", "--xp-color-muted", Color;
    /// Errors and required marks.
    ColorDanger => "colorDanger", "--xp-color-danger", Color;
    /// A font-family list.
    FontFamily => "fontFamily", "--xp-font-family", FontFamily;
    /// The base font size.
    FontSize => "fontSize", "--xp-font-size", Length;
    /// Corner radius of controls and buttons.
    BorderRadius => "borderRadius", "--xp-border-radius", Length;
    /// Space between fields.
    Spacing => "spacing", "--xp-spacing", Length;
}

/// Why an appearance was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppearanceError {
    /// A name not in [`Variable::ALL`].
    Unknown(String),
    /// A value that breaks its variable's grammar.
    Invalid(Variable),
}

impl Describe for AppearanceError {
    fn describe(&self, f: &mut dyn Sink) -> fmt::Result {
        match self {
            // The name is echoed only when it is short and plain: it came from the page.
            AppearanceError::Unknown(name) if name.len() <= 40 && is_word(name) => {
                write_parts(f, &["unknown appearance variable `", name, "`"])
            }
            AppearanceError::Unknown(_) => f.write_str("unknown appearance variable"),
            AppearanceError::Invalid(v) => {
                let expected = match v.grammar() {
                    Grammar::Color => "#rgb, #rrggbb, #rrggbbaa, rgb(), rgba() or transparent",
                    Grammar::FontFamily => "a list of font names",
                    Grammar::Length => "a number with px, rem or em",
                };
                write_parts(
                    f,
                    &["invalid value for `", v.name(), "`: expected ", expected],
                )
            }
        }
    }
}

crate::display_by_describe!(AppearanceError);

impl std::error::Error for AppearanceError {}

/// A checked appearance: variables and values that are safe to set as CSS custom
/// properties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Appearance(Vec<(Variable, String)>);

impl Appearance {
    /// Checks every pair; one bad pair refuses the whole appearance.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, AppearanceError> {
        let mut out: Vec<(Variable, String)> = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let variable = Variable::ALL
                .iter()
                .copied()
                .find(|v| v.name() == name)
                .ok_or_else(|| AppearanceError::Unknown(name.clone()))?;
            let value = value.trim();
            let ok = match variable.grammar() {
                Grammar::Color => is_color(value),
                Grammar::FontFamily => is_font_family(value),
                Grammar::Length => is_length(value),
            };
            if !ok {
                return Err(AppearanceError::Invalid(variable));
            }
            out.retain(|(v, _)| *v != variable);
            out.push((variable, value.to_owned()));
        }
        Ok(Self(out))
    }

    /// The checked variables and values.
    pub fn variables(&self) -> &[(Variable, String)] {
        &self.0
    }
}

fn is_word(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_color(v: &str) -> bool {
    if v == "transparent" {
        return true;
    }
    if let Some(hex) = v.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let (args, alpha) = if let Some(a) = v.strip_prefix("rgba(") {
        (a, true)
    } else if let Some(a) = v.strip_prefix("rgb(") {
        (a, false)
    } else {
        return false;
    };
    let Some(args) = args.strip_suffix(')') else {
        return false;
    };
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    let channels_ok = |channels: &[&str]| {
        channels.iter().all(|c| {
            c.len() <= 3 && !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) && {
                c.bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0')) <= 255
            }
        })
    };
    match (alpha, parts.as_slice()) {
        (false, [r, g, b]) => channels_ok(&[r, g, b]),
        (true, [r, g, b, a]) => channels_ok(&[r, g, b]) && is_alpha(a),
        _ => false,
    }
}

/// `0`, `1`, `0.5`, `.25`: a number from 0 to 1 with at most three decimals.
fn is_alpha(a: &str) -> bool {
    let (int, frac) = a.split_once('.').unwrap_or((a, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || frac.len() > 3 || (int.is_empty() && frac.is_empty()) {
        return false;
    }
    match int {
        "" | "0" => true,
        "1" => frac.bytes().all(|b| b == b'0'),
        _ => false,
    }
}

fn is_font_family(v: &str) -> bool {
    if v.is_empty() || v.len() > MAX_FONT_FAMILY_LEN {
        return false;
    }
    let names: Vec<&str> = v.split(',').map(str::trim).collect();
    names.len() <= MAX_FONT_FAMILIES
        && names.iter().all(|name| {
            let inner = name
                .strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .unwrap_or(name);
            !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        })
}

fn is_length(v: &str) -> bool {
    let number = ["px", "rem", "em"]
        .iter()
        .find_map(|unit| v.strip_suffix(unit));
    let Some(number) = number else { return false };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (1..=3).contains(&int.len())
        && digits(int)
        && digits(frac)
        && frac.len() <= 2
        && !(number.contains('.') && frac.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn accepts_each_grammar() {
        let a = Appearance::parse(&pairs(&[
            ("colorPrimary", "#1f4fd1"),
            ("colorText", "rgb(10, 20, 255)"),
            ("colorBackground", "rgba(0,0,0,.5)"),
            ("colorBorder", "#abc"),
            ("colorMuted", "transparent"),
            ("fontFamily", "\"Inter Tight\", system-ui, sans-serif"),
            ("fontSize", "15px"),
            ("borderRadius", "0.25rem"),
            ("spacing", "1.5em"),
        ]))
        .unwrap();
        assert_eq!(a.variables().len(), 9);
        assert_eq!(a.variables()[0].0.css_property(), "--xp-color-primary");
    }

    #[test]
    fn refuses_hostile_values() {
        let long = "a".repeat(MAX_FONT_FAMILY_LEN + 1);
        let hostile = [
            ("colorPrimary", "url(https://evil.example/x)"),
            ("colorPrimary", "expression(alert(1))"),
            ("colorPrimary", "red;}body{display:none"),
            ("colorPrimary", "#fff;}"),
            ("colorPrimary", "rgb(1,2,3);background:url(x)"),
            ("colorPrimary", "rgb(256,0,0)"),
            ("colorPrimary", "rgba(0,0,0,2)"),
            ("colorPrimary", "var(--x)"),
            ("colorPrimary", "#12345"),
            ("fontFamily", "a;}x{"),
            ("fontFamily", "\"a\\\"b\""),
            ("fontFamily", "url(x)"),
            ("fontFamily", long.as_str()),
            ("fontFamily", "a,b,c,d,e,f,g,h,i"),
            ("fontSize", "12px;color:red"),
            ("fontSize", "calc(1px + 2px)"),
            ("fontSize", "1e3px"),
            ("fontSize", "1234px"),
            ("fontSize", "-1px"),
            ("fontSize", "1.px"),
            ("spacing", "1.234rem"),
            ("borderRadius", "5"),
        ];
        for (name, value) in hostile {
            let e = Appearance::parse(&pairs(&[(name, value)])).unwrap_err();
            assert!(matches!(e, AppearanceError::Invalid(_)), "{name}: {value}");
        }
    }

    #[test]
    fn refuses_unknown_names_without_echoing_hostile_ones() {
        let e = Appearance::parse(&pairs(&[("background", "#fff")])).unwrap_err();
        assert_eq!(e.to_string(), "unknown appearance variable `background`");
        let e = Appearance::parse(&pairs(&[("x</style>", "#fff")])).unwrap_err();
        assert_eq!(e.to_string(), "unknown appearance variable");
    }

    #[test]
    fn a_later_value_replaces_an_earlier_one() {
        let a = Appearance::parse(&pairs(&[("fontSize", "12px"), ("fontSize", "14px")])).unwrap();
        assert_eq!(a.variables(), &[(Variable::FontSize, "14px".to_owned())]);
    }
}
