//! The form's texts: one catalogue entry per key, in English and German. A partner
//! picks the locale and may override single texts by key (`messages`); the form sets
//! every text with `textContent`, never as markup.

/// Longest override text accepted.
pub const MAX_TEXT_LEN: usize = 200;

/// A catalogue language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    /// English (the fallback).
    En,
    /// German.
    De,
}

impl Locale {
    /// The locale for a language tag: its primary subtag (`de-AT` is `de`), English for
    /// anything the catalogue lacks.
    pub fn for_tag(tag: &str) -> Self {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("de") {
            Locale::De
        } else {
            Locale::En
        }
    }

    /// The tag written to the frame's `lang`.
    pub const fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
        }
    }
}

macro_rules! texts {
    ($($variant:ident => $key:literal, $en:literal, $de:literal;)*) => {
        /// A catalogue key.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum TextKey {
            $(#[doc = $en] $variant,)*
        }

        impl TextKey {
            /// Every key.
            pub const ALL: &'static [TextKey] = &[$(TextKey::$variant,)*];

            /// The key partners use in `messages`.
            pub const fn key(self) -> &'static str {
                match self { $(TextKey::$variant => $key,)* }
            }

            /// The catalogue's text.
            pub const fn text(self, locale: Locale) -> &'static str {
                match (self, locale) {
                    $((TextKey::$variant, Locale::En) => $en,
                      (TextKey::$variant, Locale::De) => $de,)*
                }
            }

            /// Looks a key up.
            pub fn from_key(key: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.key() == key)
            }
        }
    };
}

texts! {
    FrameTitle => "frame_title", "XYZ form", "XYZ-Formular";
    Save => "save", "Save", "Speichern";
    SignIn => "sign_in", "Sign in", "Anmelden";
    Retry => "retry", "Try again", "Erneut versuchen";
    Loading => "loading", "Loading…", "Wird geladen …";
    SignedOut => "signed_out", "Sign in to see this form.", "Melden Sie sich an, um dieses Formular zu sehen.";
    Saving => "saving", "Saving…", "Wird gespeichert …";
    Saved => "saved", "Saved.", "Gespeichert.";
    NotSaved => "not_saved", "Not saved.", "Nicht gespeichert.";
    Failed => "failed", "Something went wrong.", "Etwas ist schiefgelaufen.";
    LoadFailed => "load_failed", "The form could not be loaded.", "Das Formular konnte nicht geladen werden.";
    NotConfigured => "not_configured", "This form is not set up yet.", "Dieses Formular ist noch nicht eingerichtet.";
    HttpStatus => "http_status", "The XYZ API answered HTTP", "Die XYZ-API antwortete mit HTTP";
    KeptEdits => "kept_edits", "Your unsaved changes are kept.", "Ihre ungespeicherten Änderungen bleiben erhalten.";
    StillInForm => "still_in_form", "Your changes are still in the form.", "Ihre Änderungen stehen noch im Formular.";
    Required => "required", "This field is required.", "Dieses Feld ist erforderlich.";
    InvalidValue => "invalid_value", "Enter a valid value.", "Geben Sie einen gültigen Wert ein.";
    InvalidNumber => "invalid_number", "Enter a number.", "Geben Sie eine Zahl ein.";
    FixFields => "fix_fields", "Please correct the highlighted fields.", "Bitte korrigieren Sie die markierten Felder.";
    Refused => "refused", "The server refused these values.", "Der Server hat diese Werte abgelehnt.";
    ConflictTitle => "conflict_title", "Someone else saved a newer version", "Jemand anderes hat eine neuere Version gespeichert";
    ConflictExplain => "conflict_explain", "Your changes are still in the form. Choose which version to keep:", "Ihre Änderungen stehen noch im Formular. Welche Version soll bleiben?";
    ConflictStatus => "conflict_status", "Not saved: the record changed.", "Nicht gespeichert: Der Datensatz wurde geändert.";
    ConflictUnreadable => "conflict_unreadable", "Someone else changed this record and it could not be read.", "Jemand anderes hat diesen Datensatz geändert, und er konnte nicht gelesen werden.";
    KeepMine => "keep_mine", "Keep my version", "Meine Version behalten";
    TakeTheirs => "take_theirs", "Use the saved version", "Gespeicherte Version verwenden";
    ShowingSaved => "showing_saved", "Showing the saved version.", "Die gespeicherte Version wird angezeigt.";
    Yours => "yours", "yours", "Ihre";
    Theirs => "theirs", "saved", "gespeichert";
    Empty => "empty", "(empty)", "(leer)";
    Yes => "yes", "yes", "ja";
    No => "no", "no", "nein";
}

/// Why a `messages` override was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    /// A key the catalogue does not have.
    UnknownKey,
    /// Empty, longer than [`MAX_TEXT_LEN`], or with control characters.
    BadText,
}

/// The texts one form shows: a locale and its overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Texts {
    locale: Locale,
    overrides: Vec<(TextKey, String)>,
}

impl Default for Texts {
    fn default() -> Self {
        Self {
            locale: Locale::En,
            overrides: Vec::new(),
        }
    }
}

impl Texts {
    /// Checks `messages` against the catalogue.
    pub fn new(locale: Locale, messages: &[(String, String)]) -> Result<Self, TextError> {
        let mut overrides = Vec::with_capacity(messages.len());
        for (key, text) in messages {
            let key = TextKey::from_key(key).ok_or(TextError::UnknownKey)?;
            if text.trim().is_empty()
                || text.chars().count() > MAX_TEXT_LEN
                || text.chars().any(char::is_control)
            {
                return Err(TextError::BadText);
            }
            overrides.push((key, text.clone()));
        }
        Ok(Self { locale, overrides })
    }

    /// The locale.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The text for `key`: the partner's override, else the catalogue's.
    pub fn get(&self, key: TextKey) -> &str {
        self.overrides
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map_or_else(|| key.text(self.locale), |(_, t)| t.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_overrides_and_fallback() {
        let t = Texts::new(
            Locale::for_tag("de-AT"),
            &[("save".into(), "Sichern".into())],
        )
        .unwrap();
        assert_eq!(t.get(TextKey::Save), "Sichern");
        assert_eq!(t.get(TextKey::SignIn), "Anmelden");
        assert_eq!(Locale::for_tag("fr"), Locale::En);
    }

    #[test]
    fn refuses_unknown_keys_and_bad_texts() {
        let bad = |k: &str, v: &str| Texts::new(Locale::En, &[(k.into(), v.into())]).unwrap_err();
        assert_eq!(bad("nope", "x"), TextError::UnknownKey);
        assert_eq!(bad("save", ""), TextError::BadText);
        assert_eq!(bad("save", "a\u{0}b"), TextError::BadText);
        assert_eq!(
            bad("save", &"x".repeat(MAX_TEXT_LEN + 1)),
            TextError::BadText
        );
    }

    #[test]
    fn keys_are_unique() {
        for (i, a) in TextKey::ALL.iter().enumerate() {
            assert!(TextKey::ALL[i + 1..].iter().all(|b| a.key() != b.key()));
        }
    }
}
