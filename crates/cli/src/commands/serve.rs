//! `serialhub serve` (the EPCIS 2.0 REST service) and `serialhub keys create` (its API keys),
//! with their configuration: defaults < `serialhub.toml` (or `--config FILE`) <
//! `SERIALHUB_*` environment variables (`__` for nesting: `SERIALHUB_LIMITS__PAGE_LEN_MAX`) <
//! flags.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use serde::Deserialize;
use serialhub_http::auth::{KeyRing, Role, create_key};
use serialhub_http::log::Audit;
use serialhub_http::{AppState, Limits};

/// The configuration file read from the working directory when `--config` is not given.
const CONFIG_FILE: &str = "serialhub.toml";

/// The file's shape: every field optional, unknown ones refused (a typo must not be ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data: Option<PathBuf>,
    postgres: Option<String>,
    keys: Option<PathBuf>,
    audit: Option<PathBuf>,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    jwt: FileJwt,
    /// `[[connector]]` tables: where the outbox sends.
    #[serde(default)]
    connector: Vec<FileConnector>,
    #[serde(default)]
    outbox: FileOutbox,
    #[serde(default)]
    workbench: FileWorkbench,
    #[serde(default)]
    verify: FileVerify,
}

/// `[verify]`: the verification responder, the consumer page and the resolver.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileVerify {
    /// This responder's GLN (`responderGLN` in every answer).
    responder_gln: Option<String>,
    /// Hours after commissioning a pack not yet shipped is `pending` (default 72).
    grace_hours: Option<i64>,
    /// A header a trusted CDN or proxy sets to the caller's country (`cf-ipcountry`).
    market_header: Option<String>,
    /// A header a trusted CDN or proxy sets to the caller's address (`x-forwarded-for`).
    client_address_header: Option<String>,
    /// How long master data is reused before it is read again (default 10,000 ms).
    catalog_ttl_ms: Option<i64>,
    #[serde(default)]
    limits: FileVerifyLimits,
    #[serde(default)]
    detect: FileDetect,
    /// `[[verify.link]]`: resolver links per GTIN prefix.
    #[serde(default)]
    link: Vec<FileLink>,
    /// `[verify.requester]`: asking other companies' verification services.
    requester: Option<FileRequester>,
}

/// `[verify.requester]` and its `[[verify.requester.directory]]` entries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRequester {
    /// Our GLN, sent as `reqGLN`.
    our_gln: String,
    timeout_ms: Option<u64>,
    cache_ttl_ms: Option<u64>,
    cache_capacity: Option<usize>,
    #[serde(default)]
    directory: Vec<FileDirectoryEntry>,
}

/// One `[[verify.requester.directory]]`: GTINs starting with `prefix` are verified at `url`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDirectoryEntry {
    prefix: String,
    url: String,
    responder_gln: Option<String>,
    token: Option<String>,
}

/// `[verify.limits]`: anti-harvesting, per minute and burst (0 per minute: no limit).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileVerifyLimits {
    client_per_minute: Option<u32>,
    client_burst: Option<u32>,
    address_per_minute: Option<u32>,
    address_burst: Option<u32>,
    serial_per_minute: Option<u32>,
    serial_burst: Option<u32>,
    capacity: Option<usize>,
}

/// `[verify.detect]`: clone and diversion thresholds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDetect {
    window_days: Option<i64>,
    places_max: Option<usize>,
    devices_max: Option<usize>,
    markets_max: Option<usize>,
}

/// One `[[verify.link]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLink {
    #[serde(default)]
    gtin_prefix: String,
    link_type: String,
    href: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    default: bool,
}

/// `[workbench]`: the exception workbench.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWorkbench {
    /// Hours to resolve per type (`F5 = 12`) or per type and regime (`"F10/us" = 8`).
    #[serde(default)]
    sla: std::collections::BTreeMap<String, i64>,
    /// The least time between two refreshes from the store a read triggers (default 1,000).
    sync_interval_ms: Option<i64>,
}

/// One `[[connector]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConnector {
    name: String,
    kind: String,
    url: String,
    #[serde(default)]
    parties: Vec<String>,
    secret: Option<String>,
    timeout_ms: Option<u64>,
    sender: Option<String>,
    market: Option<String>,
    #[serde(default)]
    gtins: Vec<String>,
}

/// `[outbox]`: how the dispatcher retries, breaks circuits and paces (defaults in
/// `serialhub_dispatch`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOutbox {
    retry_base_ms: Option<u64>,
    retry_max_ms: Option<u64>,
    max_attempts: Option<u32>,
    max_age_hours: Option<i64>,
    breaker_threshold: Option<u32>,
    breaker_cooldown_ms: Option<u64>,
    rate_per_second: Option<u32>,
    lease_ms: Option<i64>,
    concurrency: Option<usize>,
}

/// `[jwt]`: JWT bearer tokens from an OIDC identity provider.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJwt {
    hs256_secret: Option<String>,
    jwks_file: Option<PathBuf>,
    issuer: Option<String>,
    audience: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    capture_events_max: Option<usize>,
    capture_bytes_max: Option<usize>,
    page_len_max: Option<usize>,
    query_scan_max: Option<usize>,
    requests_per_second: Option<u32>,
    allow_private_destinations: Option<bool>,
}

/// The resolved configuration.
#[derive(Debug, PartialEq)]
struct Config {
    listen: String,
    data: PathBuf,
    postgres: Option<String>,
    keys: PathBuf,
    audit: PathBuf,
    limits: Limits,
    jwt_hs256_secret: Option<String>,
    jwt_jwks_file: Option<PathBuf>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    connectors: Vec<serialhub_connectors::Connector>,
    dispatch: serialhub_dispatch::dispatcher::Settings,
    workbench: serialhub_workbench::Config,
    verify: serialhub_http::verifier::VerifyConfig,
    requester: Option<serialhub_http::requester::RequesterConfig>,
}

/// Options shared by `serve` and `keys create`.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// The configuration file (default: `serialhub.toml` in the working directory, if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The embedded store's data directory; also where the key file and audit trail live by
    /// default.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Use the PostgreSQL store at this URL instead of the embedded one.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

/// `serialhub serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on (port 0 picks a free port; the log says which).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
}

/// `serialhub keys create`.
#[derive(Debug, Args)]
pub(crate) struct KeysCreateArgs {
    /// A name for the key's holder (a partner, a line, a person).
    #[arg(long)]
    name: String,
    /// admin, capture, query or verify.
    #[arg(long)]
    role: String,
    /// The GLN of the trading partner the key acts for: it then sees only that partner's
    /// events.
    #[arg(long, value_name = "GLN")]
    party: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
}

fn env(name: &str) -> Option<String> {
    std::env::var(format!("SERIALHUB_{name}")).ok().filter(|v| !v.is_empty())
}

fn env_number(name: &str) -> anyhow::Result<Option<usize>> {
    env(name)
        .map(|v| {
            v.parse::<usize>().with_context(|| format!("SERIALHUB_{name}={v:?} is not a number"))
        })
        .transpose()
}

impl Config {
    fn load(args: &ConfigArgs, listen: Option<&str>) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None if Path::new(CONFIG_FILE).exists() => read_file(Path::new(CONFIG_FILE))?,
            None => FileConfig::default(),
        };
        let data = args
            .data
            .clone()
            .or_else(|| env("DATA").map(PathBuf::from))
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("./serialhub-data"));
        let defaults = Limits::default();
        let limit =
            |name: &str, from_file: Option<usize>, default: usize| -> anyhow::Result<usize> {
                let value = env_number(&format!("LIMITS__{}", name.to_ascii_uppercase()))?
                    .or(from_file)
                    .unwrap_or(default);
                anyhow::ensure!(value > 0, "limits.{name} must be positive");
                Ok(value)
            };
        let limits = Limits {
            capture_events_max: limit(
                "capture_events_max",
                file.limits.capture_events_max,
                defaults.capture_events_max,
            )?,
            capture_bytes_max: limit(
                "capture_bytes_max",
                file.limits.capture_bytes_max,
                defaults.capture_bytes_max,
            )?,
            page_len_max: limit("page_len_max", file.limits.page_len_max, defaults.page_len_max)?,
            query_scan_max: limit(
                "query_scan_max",
                file.limits.query_scan_max,
                defaults.query_scan_max,
            )?,
            // 0 is allowed here: no limit.
            requests_per_second: match env_number("LIMITS__REQUESTS_PER_SECOND")? {
                Some(n) => u32::try_from(n)
                    .context("SERIALHUB_LIMITS__REQUESTS_PER_SECOND is too large")?,
                None => file.limits.requests_per_second.unwrap_or(defaults.requests_per_second),
            },
            allow_private_destinations: match env("LIMITS__ALLOW_PRIVATE_DESTINATIONS") {
                Some(v) => v.parse::<bool>().with_context(|| {
                    format!(
                        "SERIALHUB_LIMITS__ALLOW_PRIVATE_DESTINATIONS={v:?} is not true or false"
                    )
                })?,
                None => file
                    .limits
                    .allow_private_destinations
                    .unwrap_or(defaults.allow_private_destinations),
            },
        };
        let connectors_checked = connectors(file.connector)?;
        Ok(Config {
            listen: listen
                .map(str::to_owned)
                .or_else(|| env("LISTEN"))
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            postgres: args.postgres.clone().or_else(|| env("POSTGRES")).or(file.postgres),
            keys: env("KEYS")
                .map(PathBuf::from)
                .or(file.keys)
                .unwrap_or_else(|| data.join("api-keys.jsonl")),
            audit: env("AUDIT")
                .map(PathBuf::from)
                .or(file.audit)
                .unwrap_or_else(|| data.join("audit.jsonl")),
            data,
            limits,
            jwt_hs256_secret: env("JWT__HS256_SECRET").or(file.jwt.hs256_secret),
            jwt_jwks_file: env("JWT__JWKS_FILE").map(PathBuf::from).or(file.jwt.jwks_file),
            jwt_issuer: env("JWT__ISSUER").or(file.jwt.issuer),
            jwt_audience: env("JWT__AUDIENCE").or(file.jwt.audience),
            connectors: connectors_checked.clone(),
            dispatch: dispatch_settings(&file.outbox)?,
            workbench: workbench_config(&file.workbench, &connectors_checked)?,
            verify: verify_config(&file.verify)?,
            requester: file.verify.requester.as_ref().map(requester_config),
        })
    }
}

/// The `[verify.requester]` table over the defaults (checked when the requester is made).
fn requester_config(table: &FileRequester) -> serialhub_http::requester::RequesterConfig {
    let defaults = serialhub_http::requester::RequesterConfig::default();
    serialhub_http::requester::RequesterConfig {
        entries: table
            .directory
            .iter()
            .map(|e| serialhub_verify::directory::Entry {
                prefix: e.prefix.clone(),
                url: e.url.clone(),
                responder_gln: e.responder_gln.clone(),
                token: e.token.clone(),
            })
            .collect(),
        our_gln: table.our_gln.clone(),
        timeout_ms: table.timeout_ms.unwrap_or(defaults.timeout_ms),
        cache_ttl_ms: table.cache_ttl_ms.unwrap_or(defaults.cache_ttl_ms),
        cache_capacity: table.cache_capacity.unwrap_or(defaults.cache_capacity),
    }
}

/// The `[verify]` table over the defaults.
fn verify_config(table: &FileVerify) -> anyhow::Result<serialhub_http::verifier::VerifyConfig> {
    use serialhub_verify::Rate;
    let mut config = serialhub_http::verifier::VerifyConfig::default();
    if let Some(gln) = &table.responder_gln {
        serialhub_gs1::Gln::parse(gln)
            .map_err(|e| anyhow::anyhow!("verify: responder_gln {gln:?}: {e}"))?;
        config.responder_gln = gln.clone();
    }
    if let Some(hours) = table.grace_hours {
        anyhow::ensure!((0..=24 * 365).contains(&hours), "verify: grace_hours must be 0 to 8,760");
        config.policy.grace_ms = hours * 3_600_000;
    }
    config.market_header = table.market_header.as_ref().map(|h| h.to_ascii_lowercase());
    config.client_address_header =
        table.client_address_header.as_ref().map(|h| h.to_ascii_lowercase());
    if let Some(ttl) = table.catalog_ttl_ms {
        anyhow::ensure!(
            (1_000..=3_600_000).contains(&ttl),
            "verify: catalog_ttl_ms must be 1,000 to 3,600,000"
        );
        config.catalog_ttl_ms = ttl;
    }
    let l = &table.limits;
    let rate = |per_minute: Option<u32>, burst: Option<u32>, default: Rate| Rate {
        per_minute: per_minute.unwrap_or(default.per_minute),
        burst: burst.unwrap_or(default.burst),
    };
    let d = config.limits;
    config.limits.per_client = rate(l.client_per_minute, l.client_burst, d.per_client);
    config.limits.per_address = rate(l.address_per_minute, l.address_burst, d.per_address);
    config.limits.per_serial = rate(l.serial_per_minute, l.serial_burst, d.per_serial);
    if let Some(capacity) = l.capacity {
        anyhow::ensure!(
            (16..=100_000_000).contains(&capacity),
            "verify: limits.capacity must be 16 to 100,000,000"
        );
        config.limits.capacity = capacity;
    }
    let t = &table.detect;
    if let Some(days) = t.window_days {
        anyhow::ensure!(
            (1..=3650).contains(&days),
            "verify: detect.window_days must be 1 to 3,650"
        );
        config.detect.window_ms = days * 86_400_000;
    }
    config.detect.places_max = t.places_max.unwrap_or(config.detect.places_max);
    config.detect.devices_max = t.devices_max.unwrap_or(config.detect.devices_max);
    config.detect.markets_max = t.markets_max.unwrap_or(config.detect.markets_max);
    for link in &table.link {
        anyhow::ensure!(
            link.gtin_prefix.len() <= 14 && link.gtin_prefix.bytes().all(|b| b.is_ascii_digit()),
            "verify: link gtin_prefix {:?} must be up to 14 digits",
            link.gtin_prefix
        );
        anyhow::ensure!(
            link.href.starts_with("https://")
                || link.href.starts_with("http://")
                || link.href.starts_with('/'),
            "verify: link href {:?} must be an http(s) URL or a path",
            link.href
        );
        config.links.push(serialhub_http::verifier::ResolverLink {
            gtin_prefix: link.gtin_prefix.clone(),
            link_type: link.link_type.clone(),
            href: link.href.clone(),
            title: link.title.clone(),
            default: link.default,
        });
    }
    Ok(config)
}

/// The `[workbench]` table: SLA hours and the refresh interval; each connector's regime
/// (`us` for dscsa, `eu` for eu-hub) for regime-specific SLAs.
fn workbench_config(
    table: &FileWorkbench,
    connectors: &[serialhub_connectors::Connector],
) -> anyhow::Result<serialhub_workbench::Config> {
    let mut sla = serialhub_workbench::Sla::default();
    for (key, hours) in &table.sla {
        sla.set(key, *hours).map_err(anyhow::Error::msg)?;
    }
    let sync_interval_ms = table.sync_interval_ms.unwrap_or(1_000);
    anyhow::ensure!(
        (0..=3_600_000).contains(&sync_interval_ms),
        "workbench: sync_interval_ms must be 0 to 3,600,000"
    );
    let regimes = connectors
        .iter()
        .filter_map(|c| {
            let regime = match c.kind {
                serialhub_connectors::Kind::Dscsa => "us",
                serialhub_connectors::Kind::EuHub => "eu",
                _ => return None,
            };
            Some((c.name.clone(), regime.to_owned()))
        })
        .collect();
    Ok(serialhub_workbench::Config { sla, regimes, sync_interval_ms })
}

/// The `[[connector]]` tables, checked: known and built kinds, unique names.
fn connectors(tables: Vec<FileConnector>) -> anyhow::Result<Vec<serialhub_connectors::Connector>> {
    let mut connectors: Vec<serialhub_connectors::Connector> = Vec::new();
    for table in tables {
        let kind = serialhub_connectors::Kind::parse(&table.kind).with_context(|| {
            format!(
                "connector {}: kind {:?} is none of dscsa, eu-hub, epcis, webhook",
                table.name, table.kind
            )
        })?;
        let connector = serialhub_connectors::Connector {
            name: table.name,
            kind,
            url: table.url,
            parties: table.parties,
            secret: table.secret,
            timeout_ms: table.timeout_ms.unwrap_or(10_000),
            sender: table.sender,
            market: table.market,
            gtins: table.gtins,
        };
        connector.validate().map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            connectors.iter().all(|c| c.name != connector.name),
            "two connectors are named {}",
            connector.name
        );
        connectors.push(connector);
    }
    Ok(connectors)
}

/// The dispatcher's settings: the `[outbox]` table over the defaults.
fn dispatch_settings(
    file: &FileOutbox,
) -> anyhow::Result<serialhub_dispatch::dispatcher::Settings> {
    let d = serialhub_dispatch::dispatcher::Settings::default();
    let settings = serialhub_dispatch::dispatcher::Settings {
        lease_ms: file.lease_ms.unwrap_or(d.lease_ms),
        retry: serialhub_dispatch::policy::RetryPolicy {
            base_ms: file.retry_base_ms.unwrap_or(d.retry.base_ms),
            max_ms: file.retry_max_ms.unwrap_or(d.retry.max_ms),
            max_attempts: file.max_attempts.unwrap_or(d.retry.max_attempts),
            max_age_ms: file
                .max_age_hours
                .map_or(d.retry.max_age_ms, |h| h.saturating_mul(3_600_000)),
        },
        breaker: serialhub_dispatch::breaker::BreakerPolicy {
            threshold: file.breaker_threshold.unwrap_or(d.breaker.threshold),
            cooldown_ms: file.breaker_cooldown_ms.unwrap_or(d.breaker.cooldown_ms),
        },
        rate: serialhub_dispatch::rate::RatePolicy {
            per_second: file.rate_per_second.unwrap_or(d.rate.per_second),
            burst: file.rate_per_second.unwrap_or(d.rate.per_second).max(1),
        },
        concurrency: file.concurrency.unwrap_or(d.concurrency),
        ..d
    };
    let r = &settings.retry;
    anyhow::ensure!(
        r.base_ms >= 1 && r.max_ms >= r.base_ms,
        "outbox: retry_base_ms must be at least 1 and at most retry_max_ms"
    );
    anyhow::ensure!(
        r.max_attempts >= 1 && r.max_age_ms >= 1,
        "outbox: max_attempts and max_age_hours must be positive"
    );
    anyhow::ensure!(settings.breaker.threshold >= 1, "outbox: breaker_threshold must be positive");
    anyhow::ensure!(
        (1_000..=3_600_000).contains(&settings.lease_ms),
        "outbox: lease_ms must be 1,000 to 3,600,000"
    );
    anyhow::ensure!(
        (1..=serialhub_dispatch::dispatcher::CONCURRENCY_MAX).contains(&settings.concurrency),
        "outbox: concurrency must be 1 to {}",
        serialhub_dispatch::dispatcher::CONCURRENCY_MAX
    );
    Ok(settings)
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the configuration {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("configuration {}", path.display()))
}

pub(crate) fn keys_create(args: KeysCreateArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config, None)?;
    let role = Role::parse(&args.role).with_context(|| {
        format!("--role {:?} is not admin, capture, query or verify", args.role)
    })?;
    let created = crate::clock::now()?.to_utc_millis_string();
    let key = create_key(&config.keys, &args.name, role, args.party.as_deref(), &created)?;
    let mut out = std::io::stdout().lock();
    use std::io::Write as _;
    writeln!(out, "created {} key {:?} in {}", role.name(), args.name, config.keys.display())?;
    writeln!(out, "{key}")?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config, args.listen.as_deref())?;
    // A bad SERIALHUB_NOW fails here, before anything starts, rather than per capture.
    crate::clock::now()?;
    let store = store_of(&config)?;
    let keys = KeyRing::load(&config.keys)?;
    let audit = Audit::open(&config.audit)
        .with_context(|| format!("could not open the audit trail {}", config.audit.display()))?;
    let clock: serialhub_http::jobs::Clock =
        Arc::new(|| crate::clock::now().unwrap_or(serialhub_store::EPOCH));
    let registry_path = config.data.join("queries.json");
    let registry = serialhub_http::registry::Registry::open(&registry_path)
        .map_err(|e| anyhow::anyhow!("could not read the query registry: {e}"))?;
    let jwt = jwt_config(&config)?;
    let state = AppState::new(
        store.clone(),
        keys,
        config.limits.clone(),
        clock.clone(),
        audit,
        registry,
        jwt,
    );
    // The outbox: what captures route, and the dispatcher that sends it.
    let routes: Arc<dyn serialhub_store::outbox::Route> =
        Arc::new(serialhub_connectors::route::Routes::new(config.connectors.clone()));
    state.jobs.route_with(routes.clone());
    // The workbench: rebuilt from the store's exceptions, failed messages and audit log.
    let workbench = serialhub_workbench::Service::open(
        store.clone(),
        routes,
        config.workbench.clone(),
        clock().unix_millis,
    )
    .context("could not open the exception workbench")?;
    let _ = state.workbench.set(Arc::new(workbench));
    let _ = state
        .verifier
        .set(Arc::new(serialhub_http::verifier::Verifier::new(config.verify.clone())));
    if let Some(requester) = config.requester.clone() {
        let requester = serialhub_http::requester::Requester::new(requester)
            .map_err(|e| anyhow::anyhow!("verify.requester: {e}"))?;
        let _ = state.requester.set(Arc::new(requester));
    }
    let dispatching =
        Dispatching::start(store, (config.connectors.clone(), config.dispatch), clock);
    let recovered = serialhub_http::recover_spool(&state, &config.data.join("spool"))
        .context("could not open the capture spool")?;
    if recovered > 0 {
        serialhub_http::log::info(
            "recovered captures accepted before a stop",
            &[("documents", recovered.into())],
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("could not listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        serialhub_http::log::info(
            "listening",
            &[
                ("addr", addr.to_string().into()),
                ("store", if config.postgres.is_some() { "postgres" } else { "embedded" }.into()),
                ("data", config.data.display().to_string().into()),
                ("keys", config.keys.display().to_string().into()),
            ],
        );
        serialhub_http::serve(listener, state, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    dispatching.stop();
    serialhub_http::log::info("stopped", &[]);
    Ok(ExitCode::SUCCESS)
}

/// The outbox dispatcher's thread: rounds until stopped, pausing when there is nothing due.
struct Dispatching {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Dispatching {
    /// How long an idle dispatcher waits before claiming again.
    const IDLE: std::time::Duration = std::time::Duration::from_millis(200);

    fn start(
        store: Arc<dyn serialhub_store::Store>,
        (connectors, settings): (
            Vec<serialhub_connectors::Connector>,
            serialhub_dispatch::dispatcher::Settings,
        ),
        clock: serialhub_http::jobs::Clock,
    ) -> Dispatching {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if connectors.is_empty() {
            return Dispatching { stop, thread: None };
        }
        let stopping = stop.clone();
        let thread = std::thread::Builder::new().name("dispatch".to_owned()).spawn(move || {
            // Unique per process, so that nodes sharing a PostgreSQL schema hold their own leases.
            let owner = format!("{}-{}", std::process::id(), clock().unix_millis);
            let dispatcher = serialhub_dispatch::Dispatcher::new(&owner, settings);
            let transport =
                serialhub_connectors::transport::HttpTransport::new(store.clone(), connectors);
            while !stopping.load(std::sync::atomic::Ordering::SeqCst) {
                // A panic (a bug) costs the round, not the dispatcher: its claimed messages
                // come back when their leases run out.
                let round = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    dispatcher.run_once(store.as_ref(), &transport, clock())
                }));
                match round {
                    Ok(Ok(round)) if round.claimed > 0 => continue,
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => serialhub_http::log::warn(
                        "outbox round failed; retrying",
                        &[("error", error.to_string().into())],
                    ),
                    Err(_) => serialhub_http::log::warn(
                        "outbox round failed unexpectedly (a bug); retrying",
                        &[],
                    ),
                }
                std::thread::sleep(Self::IDLE);
            }
        });
        match thread {
            Ok(thread) => Dispatching { stop, thread: Some(thread) },
            Err(error) => {
                serialhub_http::log::warn(
                    "could not start the outbox dispatcher; messages wait in the outbox",
                    &[("error", error.to_string().into())],
                );
                Dispatching { stop, thread: None }
            }
        }
    }

    /// Stops after the round in progress (its messages are settled, or their leases run out).
    fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn jwt_config(config: &Config) -> anyhow::Result<serialhub_http::jwt::JwtConfig> {
    let mut jwt = serialhub_http::jwt::JwtConfig {
        hs256_secret: config.jwt_hs256_secret.as_ref().map(|s| s.as_bytes().to_vec()),
        issuer: config.jwt_issuer.clone(),
        audience: config.jwt_audience.clone(),
        ..Default::default()
    };
    if jwt.hs256_secret.as_ref().is_some_and(|s| s.len() < 32) {
        anyhow::bail!(
            "jwt.hs256_secret must be at least 32 bytes (RFC 7518: a key as long as the hash)"
        );
    }
    if let Some(path) = &config.jwt_jwks_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the JWKS {}", path.display()))?;
        let added = jwt.add_jwks(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        anyhow::ensure!(added > 0, "{}: no RS256 signing key", path.display());
    }
    Ok(jwt)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    serialhub_http::log::info("shutting down: finishing requests and accepted capture jobs", &[]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_gives_way_to_flags() {
        let dir = std::env::temp_dir().join(format!("serialhub-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("serialhub.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\ndata = \"/srv/data\"\n[limits]\npage_len_max = 50\n",
        )
        .expect("write");
        let args = ConfigArgs { config: Some(path.clone()), data: None, postgres: None };
        let config = Config::load(&args, None).expect("loads");
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(config.data, PathBuf::from("/srv/data"));
        assert_eq!(config.keys, PathBuf::from("/srv/data/api-keys.jsonl"));
        assert_eq!(config.limits.page_len_max, 50);
        assert_eq!(config.limits.capture_events_max, Limits::default().capture_events_max);
        let args = ConfigArgs {
            config: Some(path.clone()),
            data: Some(PathBuf::from("/tmp/x")),
            postgres: None,
        };
        let config = Config::load(&args, Some("127.0.0.1:0")).expect("loads");
        assert_eq!((config.listen.as_str(), config.data), ("127.0.0.1:0", PathBuf::from("/tmp/x")));
        std::fs::write(&path, "listne = \"x\"\n").expect("write");
        let error =
            Config::load(&ConfigArgs { config: Some(path), data: None, postgres: None }, None)
                .expect_err("a typo is refused");
        assert!(format!("{error:#}").contains("listne"), "{error:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `serialhub regulator-sim`.
#[derive(Debug, Args)]
pub(crate) struct RegulatorSimArgs {
    /// The address to listen on (port 0: any free port; the log says which).
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// The share of requests that meet a fault, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// The seed of the fault draws: a run replays with the same seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How long every answer takes, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

pub(crate) fn regulator_sim(args: RegulatorSimArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.fault_rate),
        "--fault-rate must be between 0 and 1, not {}",
        args.fault_rate
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("could not listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        serialhub_http::log::info(
            "listening",
            &[
                ("addr", addr.to_string().into()),
                ("fault_rate", args.fault_rate.into()),
                ("seed", args.seed.into()),
            ],
        );
        let settings = serialhub_regsim::Settings {
            fault_rate: args.fault_rate,
            seed: args.seed,
            latency_ms: args.latency_ms,
        };
        tokio::select! {
            served = serialhub_regsim::serve(listener, settings) => served?,
            () = shutdown_signal() => {}
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The store `config` names: PostgreSQL, or the embedded store in the data directory.
fn store_of(config: &Config) -> anyhow::Result<Arc<dyn serialhub_store::Store>> {
    Ok(match &config.postgres {
        Some(url) => Arc::from(crate::commands::postgres::open(url)?),
        None => Arc::new(serialhub_embedded::EmbeddedStore::open(&config.data)?),
    })
}

/// The store as `serve` opens it from the same configuration (for commands that work on the
/// store directly: the embedded store takes one process at a time).
pub(crate) fn open_store(args: &ConfigArgs) -> anyhow::Result<Arc<dyn serialhub_store::Store>> {
    store_of(&Config::load(args, None)?)
}

/// The exception workbench as `serve` runs it, over the store of the same configuration.
pub(crate) fn open_workbench(args: &ConfigArgs) -> anyhow::Result<serialhub_workbench::Service> {
    let config = Config::load(args, None)?;
    let store = store_of(&config)?;
    let routes = Arc::new(serialhub_connectors::route::Routes::new(config.connectors.clone()));
    let now = crate::clock::now()?.unix_millis;
    serialhub_workbench::Service::open(store, routes, config.workbench, now)
        .context("could not open the exception workbench")
}
