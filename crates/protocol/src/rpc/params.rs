//! What the hub's methods take: `hello`, `token.get`, `session.begin`, `form.mount`.

use super::*;

/// `hello` parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloParams {
    /// The client the page belongs to; must match the hub's `client_id`.
    pub client_id: ClientId,
    /// The SDK's version, for diagnostics.
    pub sdk_version: String,
}

crate::json_object!(
    HelloParams,
    "params",
    deny_unknown {
        client_id,
        sdk_version
    }
);

/// `token.get` and `session.get` parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenGetParams {
    /// Scopes the token must carry (none named: any).
    pub scope: ScopeSet,
}

crate::json_object!(
    TokenGetParams,
    "params",
    deny_unknown {
        #[default]
        scope
    }
);

/// `form.mount` and `form.update` parameters. Appearance and texts travel unchecked
/// here: the form frame checks them against its allowlist and catalogue, so that a bad
/// value is `invalid_appearance` rather than a malformed message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormParams {
    /// `appearance` variables by name.
    pub appearance: FormOptions,
    /// A locale tag such as `de`.
    pub locale: Option<String>,
    /// Texts by catalogue key, overriding the locale's.
    pub messages: FormOptions,
}

/// Most `appearance` variables or `messages` one form takes.
pub const MAX_FORM_OPTIONS: usize = 64;

crate::json_object!(
    FormParams,
    "params",
    deny_unknown {
        appearance,
        locale,
        messages
    },
    check = FormParams::check
);

impl FormParams {
    fn check(&self) -> Result<(), JsonError> {
        if self.locale.as_ref().is_some_and(|l| {
            l.is_empty()
                || l.len() > 35
                || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }) {
            return Err(JsonError::Invalid("locale", "a language tag".into()));
        }
        Ok(())
    }
}

/// What `session.begin` signs in with: exactly one of three credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    /// Browser path: a partner assertion the hub redeems at the token endpoint.
    Assertion {
        /// The assertion.
        assertion: Assertion,
        /// Scopes to request (default: all the client may have).
        scope: Option<ScopeSet>,
    },
    /// Server path: an access token the partner backend already redeemed.
    AccessToken {
        /// The token.
        access_token: AccessToken,
    },
    /// An embed session the partner backend made with its client secret; the hub
    /// redeems it at the token endpoint.
    Session {
        /// The session secret.
        session: Assertion,
        /// Scopes to request (default: the session's).
        scope: Option<ScopeSet>,
    },
}

/// `session.begin` parameters as they travel: one member per credential, of which
/// [`SignIn`], the hub's view, lets exactly one through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionBeginParams {
    /// A partner assertion.
    pub assertion: Option<Assertion>,
    /// An embed session.
    pub session: Option<Assertion>,
    /// An access token the partner backend redeemed.
    pub access_token: Option<AccessToken>,
    /// Scopes to request (not with `access_token`).
    pub scope: Option<ScopeSet>,
}

crate::json_object!(
    SessionBeginParams,
    "params",
    deny_unknown {
        assertion,
        session,
        access_token,
        scope
    }
);

impl TryFrom<SessionBeginParams> for SignIn {
    type Error = JsonError;

    fn try_from(w: SessionBeginParams) -> Result<Self, JsonError> {
        match w {
            SessionBeginParams {
                assertion: Some(assertion),
                session: None,
                access_token: None,
                scope,
            } => Ok(Self::Assertion { assertion, scope }),
            SessionBeginParams {
                assertion: None,
                session: Some(session),
                access_token: None,
                scope,
            } => Ok(Self::Session { session, scope }),
            SessionBeginParams {
                assertion: None,
                session: None,
                access_token: Some(access_token),
                scope: None,
            } => Ok(Self::AccessToken { access_token }),
            _ => Err(JsonError::Invalid(
                "params",
                "exactly one of `assertion`, `access_token` or `session` is required (`scope` not with `access_token`)".into(),
            )),
        }
    }
}

impl From<&SignIn> for SessionBeginParams {
    fn from(p: &SignIn) -> Self {
        match p.clone() {
            SignIn::Assertion { assertion, scope } => Self {
                assertion: Some(assertion),
                scope,
                ..Self::default()
            },
            SignIn::Session { session, scope } => Self {
                session: Some(session),
                scope,
                ..Self::default()
            },
            SignIn::AccessToken { access_token } => Self {
                access_token: Some(access_token),
                ..Self::default()
            },
        }
    }
}

crate::json_via!(SignIn, SessionBeginParams);

/// Parameters of the methods that take none: only `{}` or an absent `params`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoParams {}

crate::json_object!(NoParams, "params", deny_unknown {});
