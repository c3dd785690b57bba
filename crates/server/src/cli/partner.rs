//! `crosspass partner`: partner clients.

use super::{err, read_input, to_json, unless_taken};
use clap::{Args, Subcommand};
use crosspass_protocol::ClientId;
use crosspass_server::audit::AuditEvent;
use crosspass_server::db::Db;
use crosspass_server::registry::{Partner, PartnerInput, PartnerUpdate};
use crosspass_server::util::now;
use crosspass_server::Config;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum PartnerCommand {
    /// Register a partner client.
    Add(AddPartner),
    /// List partner clients.
    List,
    /// Print one partner as JSON.
    Show {
        /// Client id.
        client_id: String,
    },
    /// Remove a partner client.
    Remove {
        /// Client id.
        client_id: String,
    },
    /// Change a registered partner in place; every replica sees the change within
    /// `registry_cache_secs`, without a restart.
    Update(UpdatePartner),
    /// A partner's client secret.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Replace a partner's pinned public keys.
    RotateKey {
        /// Client id.
        client_id: String,
        /// JWKS file (or `-` for stdin) with the new public keys.
        #[arg(long)]
        jwks: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum SecretCommand {
    /// Make a new client secret (printed once); the old ones stay valid for the overlap.
    Rotate {
        /// Client id.
        client_id: String,
        /// Seconds the secrets in use now stay valid, so the partner can deploy the new one.
        #[arg(long, default_value_t = 3600)]
        overlap_secs: i64,
    },
}

#[derive(Args)]
pub struct UpdatePartner {
    /// Client id.
    client_id: String,
    /// An exact origin of a partner site; repeat for several. Replaces the whole list.
    #[arg(long = "origin")]
    origins: Vec<String>,
    /// Scopes the client may be granted (replaces them).
    #[arg(long)]
    scopes: Option<String>,
    /// Access-token lifetime in seconds.
    #[arg(long)]
    token_lifetime: Option<i64>,
    /// Whether unknown users are created at first sign-in.
    #[arg(long, action = clap::ArgAction::Set)]
    jit_users: Option<bool>,
    /// Whether the partner's pages may receive raw access tokens.
    #[arg(long, action = clap::ArgAction::Set)]
    expose_tokens: Option<bool>,
    /// Accept plain `http://` origins that are not loopback names.
    #[arg(long)]
    allow_http_origins: bool,
}

#[derive(Args)]
pub struct AddPartner {
    /// Client id, e.g. `abc`.
    #[arg(long)]
    client_id: String,
    /// Tenant the client belongs to.
    #[arg(long)]
    tenant: String,
    /// `iss` of the partner's assertions (not needed without keys).
    #[arg(long, default_value = "")]
    issuer: String,
    /// JWKS file (or `-` for stdin) with the partner's public keys (Ed25519 or P-256).
    /// Without one, the partner authenticates with a client secret only.
    #[arg(long, required_unless_present = "client_secret")]
    jwks: Option<PathBuf>,
    /// Make a client secret for server-to-server calls (client_secret_basic); printed
    /// once, stored only as a hash.
    #[arg(long)]
    client_secret: bool,
    /// An exact origin of a partner site; repeat for several.
    #[arg(long = "origin", required = true)]
    origins: Vec<String>,
    /// Scopes the client may be granted.
    #[arg(long, default_value = "form.read form.write")]
    scopes: String,
    /// Access-token lifetime in seconds (default: the config's).
    #[arg(long)]
    token_lifetime: Option<i64>,
    /// Create XYZ users just in time at first sign-in.
    #[arg(long)]
    jit_users: bool,
    /// Let the partner's pages receive raw access tokens (`getToken()`). Off by
    /// default: pages call the API through the hub's `fetch`.
    #[arg(long)]
    expose_tokens: bool,
    /// Accept plain `http://` origins that are not loopback names (a site on a private
    /// network, say). Off: such origins are refused, since anyone on the path can
    /// script them.
    #[arg(long)]
    allow_http_origins: bool,
}

pub async fn run(config: &Config, db: &Db, command: PartnerCommand) -> Result<(), String> {
    match command {
        PartnerCommand::Add(a) => add(config, db, a).await,
        PartnerCommand::Secret(SecretCommand::Rotate {
            client_id,
            overlap_secs,
        }) => {
            let id = ClientId::new(client_id).map_err(|e| e.to_string())?;
            if db.partner(id.as_str()).await.map_err(err)?.is_none() {
                return Err("no such partner".into());
            }
            let now = now();
            let secret = crosspass_server::embed::rotate_client_secret(db, &id, overlap_secs, now)
                .await
                .map_err(err)?;
            AuditEvent::cli("partner.secret_rotated")
                .client(id.as_str())
                .detail(format!("overlap {overlap_secs} s"))
                .record(db)
                .await;
            let shown = serde_json::json!({
                "client_id": id.as_str(),
                "client_secret": secret,
                "previous_secrets_valid_until": now + overlap_secs.max(0),
            });
            println!("{}", to_json(&shown)?);
            Ok(())
        }
        PartnerCommand::List => {
            for p in db.partners().await.map_err(err)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    p.client_id,
                    p.tenant,
                    p.issuer,
                    origin_list(&p)
                );
            }
            Ok(())
        }
        PartnerCommand::Show { client_id } => {
            let p = db
                .partner(&client_id)
                .await
                .map_err(err)?
                .ok_or("no such partner")?;
            println!("{}", to_json(&p.view())?);
            Ok(())
        }
        PartnerCommand::Remove { client_id } => {
            let id = ClientId::new(client_id).map_err(|e| e.to_string())?;
            if !db.remove_partner(&id).await.map_err(err)? {
                return Err("no such partner".into());
            }
            AuditEvent::cli("partner.removed")
                .client(id.as_str())
                .record(db)
                .await;
            println!("removed {id}");
            Ok(())
        }
        PartnerCommand::Update(u) => {
            let change = PartnerUpdate {
                origins: Some(u.origins).filter(|o| !o.is_empty()),
                scopes: u.scopes,
                token_lifetime_secs: u.token_lifetime,
                jit_users: u.jit_users,
                expose_tokens: u.expose_tokens,
                jwks: None,
                allow_http_origins: u.allow_http_origins,
            };
            if change.is_empty() {
                return Err(
                    "nothing to change: name a setting, e.g. --origin, --scopes, --token-lifetime, \
                     --jit-users, --expose-tokens"
                        .into(),
                );
            }
            let partner = update_partner(db, &u.client_id, change).await?;
            println!("{}", to_json(&partner.view())?);
            Ok(())
        }
        PartnerCommand::RotateKey { client_id, jwks } => {
            let change = PartnerUpdate {
                jwks: Some(read_input(&jwks)?),
                ..PartnerUpdate::default()
            };
            let partner = update_partner(db, &client_id, change).await?;
            println!("{}", to_json(&partner.jwks.to_json())?);
            Ok(())
        }
    }
}

async fn add(config: &Config, db: &Db, a: AddPartner) -> Result<(), String> {
    let partner = PartnerInput {
        client_id: a.client_id,
        tenant: a.tenant,
        issuer: a.issuer,
        jwks: a
            .jwks
            .as_deref()
            .map(read_input)
            .transpose()?
            .unwrap_or_default(),
        origins: a.origins,
        scopes: a.scopes,
        token_lifetime_secs: a.token_lifetime.unwrap_or(config.token_lifetime_secs),
        jit_users: a.jit_users,
        expose_tokens: a.expose_tokens,
        allow_http_origins: a.allow_http_origins,
    }
    .validate()
    .map_err(|e| e.to_string())?;
    if db
        .service(partner.client_id.as_str())
        .await
        .map_err(err)?
        .is_some()
    {
        return Err("a service with this client id already exists".into());
    }
    if db.idp(&partner.issuer).await.map_err(err)?.is_some() {
        return Err("an enterprise IdP with this issuer already exists".into());
    }
    db.insert_partner(&partner, now())
        .await
        .map_err(unless_taken(
            "a partner with this client id or issuer already exists",
        ))?;
    AuditEvent::cli("partner.added")
        .client(partner.client_id.as_str())
        .tenant(partner.tenant.as_str())
        .detail(format!(
            "origins {}; scopes {}",
            origin_list(&partner),
            partner.scopes
        ))
        .record(db)
        .await;
    let mut shown = serde_json::to_value(partner.view()).map_err(|e| e.to_string())?;
    if a.client_secret {
        let secret =
            crosspass_server::embed::rotate_client_secret(db, &partner.client_id, 0, now())
                .await
                .map_err(err)?;
        shown["client_secret"] = secret.into();
    }
    println!("{}", to_json(&shown)?);
    Ok(())
}

/// A partner's origins, comma-separated.
fn origin_list(p: &Partner) -> String {
    let origins: Vec<String> = p
        .origins
        .entries()
        .iter()
        .map(ToString::to_string)
        .collect();
    origins.join(",")
}

/// Applies `change` to partner `client_id`, stores it and audits what changed.
async fn update_partner(
    db: &Db,
    client_id: &str,
    change: PartnerUpdate,
) -> Result<Partner, String> {
    let before = db
        .partner(client_id)
        .await
        .map_err(err)?
        .ok_or("no such partner")?;
    let after = change.apply(before.clone()).map_err(|e| e.to_string())?;
    if !db.update_partner(&after, now()).await.map_err(err)? {
        return Err("no such partner".into());
    }
    AuditEvent::cli("partner.updated")
        .client(after.client_id.as_str())
        .tenant(after.tenant.as_str())
        .detail(partner_changes(&before, &after))
        .record(db)
        .await;
    Ok(after)
}

/// What differs between two versions of a partner, as `field: old -> new` pairs.
fn partner_changes(before: &Partner, after: &Partner) -> String {
    type Field = (&'static str, fn(&Partner) -> String);
    let fields: [Field; 5] = [
        ("origins", origin_list),
        ("scopes", |p| p.scopes.to_string()),
        ("token_lifetime_secs", |p| p.token_lifetime_secs.to_string()),
        ("jit_users", |p| p.jit_users.to_string()),
        ("expose_tokens", |p| p.expose_tokens.to_string()),
    ];
    let mut changes: Vec<String> = fields
        .iter()
        .filter_map(|(name, get)| {
            let (a, b) = (get(before), get(after));
            (a != b).then(|| format!("{name}: {a} -> {b}"))
        })
        .collect();
    if before.jwks != after.jwks {
        changes.push("jwks replaced".into());
    }
    if changes.is_empty() {
        "no change".into()
    } else {
        changes.join("; ")
    }
}
