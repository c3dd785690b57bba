//! `crosspass`: run XYZ's server and manage its registry (partners, downstream APIs,
//! services, enterprise IdPs), keys and forms.

use clap::{Args, Parser, Subcommand};
use crosspass_protocol::{ClientId, DownstreamId, TenantId};
use crosspass_server::audit::{self, AuditEvent};
use crosspass_server::db::{is_unique_violation, Db, DownstreamKey};
use crosspass_server::registry::{
    DownstreamInput, IdpInput, Partner, PartnerInput, PartnerUpdate, ServiceInput,
};
use crosspass_server::util::now;
use crosspass_server::{keys, Config, Server};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "crosspass",
    version,
    about = "XYZ's Crosspass server and admin tool"
)]
struct Cli {
    /// TOML config file; CROSSPASS_* environment variables override it.
    #[arg(long, global = true, env = "CROSSPASS_CONFIG")]
    config: Option<PathBuf>,
    /// The demo's defaults where nothing is configured (issuer http://sso.localhost:8080).
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server until SIGINT or SIGTERM.
    Serve,
    /// Bring the database's schema up to this binary's (admin commands never do).
    Migrate,
    /// Manage partner clients.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Manage downstream APIs that accept XYZ-issued tokens (token exchange).
    #[command(subcommand)]
    Downstream(DownstreamCommand),
    /// Manage services that exchange users' tokens for downstream APIs.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Manage enterprise IdPs trusted to issue ID-JAGs for a tenant.
    #[command(subcommand)]
    Idp(IdpCommand),
    /// Manage XYZ's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage per-tenant form schemas.
    #[command(subcommand)]
    Form(FormCommand),
    /// Manage XYZ users.
    #[command(subcommand)]
    User(UserCommand),
    /// Read the audit trail: registry changes, token issuances, refusals, revocations.
    Audit(AuditQuery),
}

#[derive(Subcommand)]
enum PartnerCommand {
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
enum SecretCommand {
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
struct UpdatePartner {
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
struct AddPartner {
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

#[derive(Subcommand)]
enum DownstreamCommand {
    /// Register a downstream API.
    Add(AddDownstream),
    /// List downstream APIs.
    List,
    /// Print one downstream as JSON.
    Show {
        /// Downstream id.
        id: String,
    },
    /// Remove a downstream API and every account link to it.
    Remove {
        /// Downstream id.
        id: String,
    },
}

#[derive(Args)]
struct AddDownstream {
    /// Downstream id, e.g. `myhealth`.
    #[arg(long)]
    id: String,
    /// `aud` of the tokens XYZ issues for it (what a token exchange names as
    /// `audience` or `resource`).
    #[arg(long)]
    audience: String,
    /// `iss` of the account-link statements it signs.
    #[arg(long)]
    issuer: String,
    /// JWKS file (or `-` for stdin) with the public keys of those statements.
    #[arg(long)]
    jwks: PathBuf,
    /// Scopes it accepts; exchanged tokens never carry others.
    #[arg(long)]
    scopes: String,
    /// Longest lifetime in seconds of the tokens issued for it.
    #[arg(long, default_value_t = 300)]
    token_lifetime: i64,
    /// An http:// URL where XYZ sends a linked user's record when it is saved.
    #[arg(long)]
    sync_url: Option<String>,
}

#[derive(Subcommand)]
enum ServiceCommand {
    /// Register a service.
    Add(AddService),
    /// List services.
    List,
    /// Print one service as JSON.
    Show {
        /// Client id.
        client_id: String,
    },
    /// Remove a service.
    Remove {
        /// Client id.
        client_id: String,
    },
}

#[derive(Args)]
struct AddService {
    /// Client id, e.g. `records-sync`.
    #[arg(long)]
    client_id: String,
    /// JWKS file (or `-` for stdin) with its public keys for `private_key_jwt`. Leave
    /// it out for XYZ's own record sync, which never authenticates.
    #[arg(long)]
    jwks: Option<PathBuf>,
    /// An audience of the tokens it may exchange (the tokens addressed to it): XYZ's
    /// API audience or a downstream's; repeat for several.
    #[arg(long = "accepts", required = true)]
    accepts: Vec<String>,
    /// A downstream id it may obtain tokens for; repeat for several.
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
}

#[derive(Subcommand)]
enum IdpCommand {
    /// Register an enterprise IdP for a tenant.
    Add {
        /// `iss` of its ID-JAGs.
        #[arg(long)]
        issuer: String,
        /// The tenant whose clients it may speak for.
        #[arg(long)]
        tenant: String,
        /// JWKS file (or `-` for stdin) with its public keys.
        #[arg(long)]
        jwks: PathBuf,
    },
    /// List enterprise IdPs.
    List,
    /// Print one IdP as JSON.
    Show {
        /// Issuer.
        issuer: String,
    },
    /// Remove an enterprise IdP.
    Remove {
        /// Issuer.
        issuer: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key; older ones stay published until their tokens expire.
    Rotate,
    /// Emergency: unpublish a key at once, so every token it signed is refused (a
    /// current key is replaced by a new one first). Users sign in again.
    Revoke {
        /// The key's `kid`, as `keys list` shows it.
        kid: String,
    },
    /// Print the published JWKS.
    List,
}

#[derive(Subcommand)]
enum FormCommand {
    /// Validate and store the form schema of a tenant.
    Set {
        /// Tenant id.
        #[arg(long)]
        tenant: String,
        /// Schema JSON file (or `-` for stdin).
        file: PathBuf,
    },
    /// Print the form schema of a tenant.
    Show {
        /// Tenant id.
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create (or find) the XYZ user for a partner user; prints its id.
    Provision {
        /// Tenant id.
        #[arg(long)]
        tenant: String,
        /// The partner's own user id.
        external_id: String,
    },
    /// Delete the XYZ user of a partner user, with their record, account links and
    /// sessions; their tokens stop working at once.
    Delete {
        /// Tenant id.
        #[arg(long)]
        tenant: String,
        /// The partner's own user id.
        external_id: String,
    },
}

#[derive(Args)]
struct AuditQuery {
    /// Only events of this client.
    #[arg(long)]
    client: Option<String>,
    /// How far back: `90s`, `15m`, `1h`, `7d`.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    since: std::time::Duration,
    /// Most events printed.
    #[arg(long, default_value_t = 1000)]
    limit: i64,
    /// One JSON object per line instead of columns.
    #[arg(long)]
    json: bool,
}

fn read_input(path: &Path) -> Result<String, String> {
    if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"))
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|e| e.to_string())
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::load(cli.config.as_deref(), cli.demo).map_err(|e| e.to_string())?;
    match cli.command {
        Command::Serve => return serve(config).await,
        Command::Migrate => {
            let db = Db::connect(&config.database_url, config.database_max_connections)
                .await
                .map_err(|e| e.to_string())?;
            let (version, _) = db.schema_version().await.map_err(|e| e.to_string())?;
            db.close().await;
            println!("schema at version {version}");
            return Ok(());
        }
        _ => {}
    }
    let kek = crosspass_server::kek::Kek::configured(&config).map_err(|e| e.to_string())?;
    let db = Db::connect_current(&config.database_url, config.database_max_connections)
        .await
        .map_err(|e| e.to_string())?
        .with_key_encryption(kek);
    let result = admin(&config, &db, cli.command).await;
    db.close().await;
    result
}

async fn admin(config: &Config, db: &Db, command: Command) -> Result<(), String> {
    let err = |e: crosspass_server::db::DbError| e.to_string();
    match command {
        Command::Serve | Command::Migrate => Ok(()),
        Command::Partner(PartnerCommand::Add(a)) => {
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
            db.insert_partner(&partner, now()).await.map_err(|e| {
                if is_unique_violation(&e) {
                    "a partner with this client id or issuer already exists".to_owned()
                } else {
                    e.to_string()
                }
            })?;
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
        Command::Partner(PartnerCommand::Secret(SecretCommand::Rotate {
            client_id,
            overlap_secs,
        })) => {
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
        Command::Partner(PartnerCommand::List) => {
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
        Command::Partner(PartnerCommand::Show { client_id }) => {
            let p = db
                .partner(&client_id)
                .await
                .map_err(err)?
                .ok_or("no such partner")?;
            println!("{}", to_json(&p.view())?);
            Ok(())
        }
        Command::Partner(PartnerCommand::Remove { client_id }) => {
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
        Command::Partner(PartnerCommand::Update(u)) => {
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
        Command::Partner(PartnerCommand::RotateKey { client_id, jwks }) => {
            let change = PartnerUpdate {
                jwks: Some(read_input(&jwks)?),
                ..PartnerUpdate::default()
            };
            let partner = update_partner(db, &client_id, change).await?;
            println!("{}", to_json(&partner.jwks.to_json())?);
            Ok(())
        }
        Command::Downstream(DownstreamCommand::Add(a)) => {
            let api = config.api_audience();
            let downstream = DownstreamInput {
                id: a.id,
                audience: a.audience,
                issuer: a.issuer,
                jwks: read_input(&a.jwks)?,
                scopes: a.scopes,
                token_lifetime_secs: a.token_lifetime,
                sync_url: a.sync_url,
            }
            .validate(&[config.issuer.as_str(), api.as_str()])
            .map_err(|e| e.to_string())?;
            db.insert_downstream(&downstream, now())
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        "a downstream with this id, audience or issuer already exists".to_owned()
                    } else {
                        e.to_string()
                    }
                })?;
            AuditEvent::cli("downstream.added")
                .detail(format!("{} ({})", downstream.id, downstream.audience))
                .record(db)
                .await;
            println!("{}", to_json(&downstream.view())?);
            Ok(())
        }
        Command::Downstream(DownstreamCommand::List) => {
            for d in db.downstreams().await.map_err(err)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    d.id,
                    d.audience,
                    d.scopes,
                    d.sync_url.as_deref().unwrap_or("-")
                );
            }
            Ok(())
        }
        Command::Downstream(DownstreamCommand::Show { id }) => {
            let d = db
                .downstream_by(DownstreamKey::Id, &id)
                .await
                .map_err(err)?
                .ok_or("no such downstream")?;
            println!("{}", to_json(&d.view())?);
            Ok(())
        }
        Command::Downstream(DownstreamCommand::Remove { id }) => {
            let id = DownstreamId::new(id).map_err(|e| e.to_string())?;
            if !db.remove_downstream(&id).await.map_err(err)? {
                return Err("no such downstream".into());
            }
            AuditEvent::cli("downstream.removed")
                .detail(id.as_str())
                .record(db)
                .await;
            println!("removed {id}");
            Ok(())
        }
        Command::Service(ServiceCommand::Add(a)) => {
            let jwks = a.jwks.as_deref().map(read_input).transpose()?;
            let service = ServiceInput {
                client_id: a.client_id,
                jwks,
                accepts: a.accepts,
                targets: a.targets,
            }
            .validate(
                &config.api_audience(),
                &db.downstreams().await.map_err(err)?,
            )
            .map_err(|e| e.to_string())?;
            if db
                .partner(service.client_id.as_str())
                .await
                .map_err(err)?
                .is_some()
            {
                return Err("a partner with this client id already exists".into());
            }
            db.insert_service(&service, now()).await.map_err(|e| {
                if is_unique_violation(&e) {
                    "a service with this client id already exists".to_owned()
                } else {
                    e.to_string()
                }
            })?;
            AuditEvent::cli("service.added")
                .client(service.client_id.as_str())
                .record(db)
                .await;
            println!("{}", to_json(&service.view())?);
            Ok(())
        }
        Command::Service(ServiceCommand::List) => {
            for s in db.services().await.map_err(err)? {
                let targets: Vec<&str> = s.targets.iter().map(DownstreamId::as_str).collect();
                println!(
                    "{}\t{}\t{}",
                    s.client_id,
                    s.accepts.join(","),
                    targets.join(",")
                );
            }
            Ok(())
        }
        Command::Service(ServiceCommand::Show { client_id }) => {
            let s = db
                .service(&client_id)
                .await
                .map_err(err)?
                .ok_or("no such service")?;
            println!("{}", to_json(&s.view())?);
            Ok(())
        }
        Command::Service(ServiceCommand::Remove { client_id }) => {
            let id = ClientId::new(client_id).map_err(|e| e.to_string())?;
            if !db.remove_service(&id).await.map_err(err)? {
                return Err("no such service".into());
            }
            AuditEvent::cli("service.removed")
                .client(id.as_str())
                .record(db)
                .await;
            println!("removed {id}");
            Ok(())
        }
        Command::Idp(IdpCommand::Add {
            issuer,
            tenant,
            jwks,
        }) => {
            let idp = IdpInput {
                issuer,
                tenant,
                jwks: read_input(&jwks)?,
            }
            .validate()
            .map_err(|e| e.to_string())?;
            if db
                .partner_by_issuer(&idp.issuer)
                .await
                .map_err(err)?
                .is_some()
            {
                return Err("a partner with this issuer already exists".into());
            }
            db.insert_idp(&idp, now()).await.map_err(|e| {
                if is_unique_violation(&e) {
                    "an enterprise IdP with this issuer already exists".to_owned()
                } else {
                    e.to_string()
                }
            })?;
            AuditEvent::cli("idp.added")
                .tenant(idp.tenant.as_str())
                .detail(&idp.issuer)
                .record(db)
                .await;
            println!("{}", to_json(&idp)?);
            Ok(())
        }
        Command::Idp(IdpCommand::List) => {
            for idp in db.idps().await.map_err(err)? {
                println!("{}\t{}", idp.issuer, idp.tenant);
            }
            Ok(())
        }
        Command::Idp(IdpCommand::Show { issuer }) => {
            let idp = db.idp(&issuer).await.map_err(err)?.ok_or("no such IdP")?;
            println!("{}", to_json(&idp)?);
            Ok(())
        }
        Command::Idp(IdpCommand::Remove { issuer }) => {
            if !db.remove_idp(&issuer).await.map_err(err)? {
                return Err("no such IdP".into());
            }
            AuditEvent::cli("idp.removed")
                .detail(&issuer)
                .record(db)
                .await;
            println!("removed {issuer}");
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate) => {
            let key = keys::rotate(db, config.clock_skew_secs)
                .await
                .map_err(err)?;
            AuditEvent::cli("keys.rotated")
                .detail(key.kid())
                .record(db)
                .await;
            println!("new signing key {}", key.kid());
            Ok(())
        }
        Command::Keys(KeysCommand::Revoke { kid }) => {
            let current = keys::revoke(db, &kid, config.clock_skew_secs)
                .await
                .map_err(|e| e.to_string())?;
            AuditEvent::cli("keys.revoked")
                .detail(format!("{kid} removed; {current} signs"))
                .record(db)
                .await;
            println!("revoked {kid}; signing key {current}");
            Ok(())
        }
        Command::Keys(KeysCommand::List) => {
            let set = keys::KeyStore::load(db).await.map_err(err)?;
            println!("{}", to_json(&set.get().public.to_json())?);
            Ok(())
        }
        Command::Form(FormCommand::Set { tenant, file }) => {
            let tenant = TenantId::new(tenant).map_err(|e| e.to_string())?;
            let text = read_input(&file)?;
            crosspass_server::api::set_form(db, &tenant, &text)
                .await
                .map_err(|e| e.to_string())?;
            AuditEvent::cli("form.set")
                .tenant(tenant.as_str())
                .record(db)
                .await;
            println!("form of tenant {tenant} stored");
            Ok(())
        }
        Command::Form(FormCommand::Show { tenant }) => {
            let tenant = TenantId::new(tenant).map_err(|e| e.to_string())?;
            let form = crosspass_server::api::get_form(db, &tenant)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", to_json(&form)?);
            Ok(())
        }
        Command::User(UserCommand::Provision {
            tenant,
            external_id,
        }) => {
            let tenant = TenantId::new(tenant).map_err(|e| e.to_string())?;
            let user = db
                .upsert_user(
                    &tenant,
                    &external_id,
                    None,
                    &crosspass_server::oauth::new_user_id(),
                    now(),
                )
                .await
                .map_err(err)?;
            AuditEvent::cli("user.provisioned")
                .tenant(tenant.as_str())
                .user(&user.id)
                .detail(if user.created { "created" } else { "updated" })
                .record(db)
                .await;
            println!("{}", user.id);
            Ok(())
        }
        Command::User(UserCommand::Delete {
            tenant,
            external_id,
        }) => {
            let tenant = TenantId::new(tenant).map_err(|e| e.to_string())?;
            let user = db
                .delete_user(&tenant, &external_id)
                .await
                .map_err(err)?
                .ok_or("no such user")?;
            AuditEvent::cli("user.deleted")
                .tenant(tenant.as_str())
                .user(&user)
                .record(db)
                .await;
            println!("deleted {user}");
            Ok(())
        }
        Command::Audit(q) => {
            let since = i64::try_from(q.since.as_millis()).unwrap_or(i64::MAX);
            let from = audit::now_ms().saturating_sub(since);
            for e in audit::events(db, q.client.as_deref(), from, q.limit.clamp(1, 100_000))
                .await
                .map_err(err)?
            {
                if q.json {
                    println!("{}", serde_json::to_string(&e).map_err(|e| e.to_string())?);
                } else {
                    println!("{}", audit_line(&e));
                }
            }
            Ok(())
        }
    }
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
    let err = |e: crosspass_server::db::DbError| e.to_string();
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

/// One audit event as a line of tab-separated columns.
fn audit_line(e: &AuditEvent) -> String {
    let at = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(e.at_ms).unwrap_or_default());
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    [
        humantime::format_rfc3339_millis(at).to_string(),
        e.event.clone(),
        e.outcome.clone(),
        e.actor.clone(),
        dash(&e.client_id),
        dash(&e.tenant),
        dash(&e.user_id),
        dash(&e.grant_type),
        dash(&e.request_id),
        dash(&e.detail),
    ]
    .join("\t")
}

async fn serve(config: Config) -> Result<(), String> {
    // Installed before the server says it listens: a signal that arrives right after is
    // a graceful shutdown, not the default instant kill.
    let stop = shutdown_signal().map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let server = Server::start(config).await.map_err(|e| e.to_string())?;
    stop.await;
    tracing::info!("shutting down");
    server.shutdown().await.map_err(|e| e.to_string())
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere); the handlers are in place on return.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Logs go to stderr: one JSON object per line with `CROSSPASS_LOG_FORMAT=json`,
/// readable text otherwise; `RUST_LOG` filters (default `info,sqlx=warn`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("CROSSPASS_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crosspass: {e}");
            ExitCode::FAILURE
        }
    }
}
