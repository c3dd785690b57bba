//! What the hub answers: `ready`, storage, tokens, sessions, the diagnosis.

use super::*;

/// Where the hub keeps tokens (SSO across a tenant's sites, docs/design.md), best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageRung {
    /// XYZ's first-party storage, through storage access (granted or requested).
    Unpartitioned,
    /// First-party storage reached through a popup on XYZ's own origin.
    FirstPartyPopup,
    /// Storage access unlocked cookies only (Firefox, Safari): the hub keeps tokens in
    /// partitioned storage and shares the sign-in through XYZ's first-party,
    /// `HttpOnly` browser-session cookie.
    FirstPartyCookie,
    /// Storage partitioned by the top-level site: shared by one partner site's pages.
    Partitioned,
    /// Nothing persists beyond this hub instance.
    Memory,
}

impl StorageRung {
    /// Every rung, best first.
    pub const ALL: &'static [StorageRung] = &[
        StorageRung::Unpartitioned,
        StorageRung::FirstPartyPopup,
        StorageRung::FirstPartyCookie,
        StorageRung::Partitioned,
        StorageRung::Memory,
    ];

    /// The wire name, e.g. `"first_party_popup"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StorageRung::Unpartitioned => "unpartitioned",
            StorageRung::FirstPartyPopup => "first_party_popup",
            StorageRung::FirstPartyCookie => "first_party_cookie",
            StorageRung::Partitioned => "partitioned",
            StorageRung::Memory => "memory",
        }
    }

    /// Looks a wire name up.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == name)
    }
}

/// The answer to `storage.status` and `storage.request`, and part of `ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageStatus {
    /// The rung in use.
    pub rung: StorageRung,
    /// True when `storage.request` could move to a better rung.
    pub can_request: bool,
}

crate::json_object!(StorageStatus, "storage", deny_unknown { rung, can_request });
crate::json_text_member!(
    StorageRung,
    |s| StorageRung::from_name(s).ok_or("unknown rung"),
    as_str,
    "StorageRung"
);

/// The `hello` result: the hub is ready on this port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ready {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The hub build's version.
    pub hub_version: String,
    /// Methods the hub answers.
    pub methods: Vec<Method>,
    /// Current storage.
    pub storage: StorageStatus,
    /// Whether `token.get` hands tokens to this page (the partner is registered to
    /// receive them).
    pub expose_tokens: bool,
}

crate::json_object!(
    Ready,
    "ready",
    deny_unknown {
        protocol,
        hub_version,
        methods,
        storage,
        expose_tokens,
    }
);
crate::json_text_member!(
    Method,
    |s| Method::from_name(s).ok_or("unknown method"),
    as_str,
    "Method"
);

/// The result of `token.get` and `session.begin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGrant {
    /// The bearer token.
    pub access_token: AccessToken,
    /// Always `Bearer`.
    pub token_type: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// Scopes it carries.
    pub scope: ScopeSet,
}

crate::json_object!(
    TokenGrant,
    "grant",
    deny_unknown {
        access_token,
        token_type,
        expires_at,
        scope,
    }
);

/// The result of `session.end`, `form.mount` and `form.update`.
pub type Ended = NoParams;

/// The result of `session.get` and `session.begin`: a session exists, and until when.
/// No token: the page learns that it is signed in, not the credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// Unix seconds.
    pub expires_at: i64,
    /// Scopes the session's token carries.
    pub scope: ScopeSet,
}

crate::json_object!(SessionInfo, "session", deny_unknown { expires_at, scope });

/// The result of `diagnose`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// Current storage.
    pub storage: StorageStatus,
    /// Server clock minus browser clock, in seconds (`None` when the server could not
    /// be asked).
    pub clock_skew_seconds: Option<i64>,
}

crate::json_object!(
    Diagnosis,
    "diagnosis",
    deny_unknown {
        storage,
        clock_skew_seconds
    }
);
