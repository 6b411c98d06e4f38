//! The HTTP server of conferral (`conferral serve`): what the email's link opens.
//!
//! | path (under the base URL's path, `/c` by default) | what |
//! | --- | --- |
//! | `/c/{id}` | the credential's page ([`conferral::page`]) |
//! | `/c/{id}.json` | its signed Open Badges 3.0 credential (with a key) |
//! | `/c/{id}.pdf`, `/c/{id}.png`, `/c/{id}.svg` | its certificate, drawn from the group's design |
//! | `/c/{id}/linkedin` | a redirect to LinkedIn's "add a certification" form |
//! | `/c/status/{n}` | the issuer's signed revocation status list `n` (with a key) |
//! | `/verify` | a form that checks a credential file (`POST` it, or `POST` JSON for JSON) |
//! | `/analytics` | the issuer's figures, behind the token given at start-up |
//! | `/.well-known/did.json` | the `did:web` document of the base URL's host, naming the key (with a key) |
//! | `/health` | `ok` when the store answers |
//! | `/assets/credential.css`, `/assets/credential.js` | the page's style and script |
//!
//! Everything else is 404. Ids are never listed; an unknown id and a malformed one get the
//! same page after the same store lookup. (Ids hold 128 random bits, so guessing one is
//! hopeless whatever the timing; the same path keeps even that hint small.)
//!
//! What visitors do is recorded in the store's event log ([`conferral::events`]): a page
//! view (once per visitor a day), a download of a signed document, a share to LinkedIn, a
//! check of one of this issuer's credentials on `/verify`. A visitor is a SHA-256 hash of
//! the day's secret, the day, the client's address and its User-Agent: nothing that names a
//! person is kept, and the hash changes every day. The store keeps one random secret per day
//! ([`Storage::visitor_secret`](conferral::storage::Storage::visitor_secret)), so a restart
//! or a second server on the same store counts a visitor once, and forgets it the next day,
//! so no one can recompute an earlier day's hashes from addresses.
//!
//! Every response carries a strict Content-Security-Policy (nothing inline, nothing from
//! elsewhere), `nosniff`, no framing and no referrer across origins. Bodies are limited
//! ([`Options::max_body`]), each client address gets a token bucket of requests
//! ([`Options::rate`], [`Options::burst`]), and slow requests time out.
//!
//! The store is synchronous: requests run on tokio's blocking threads, each with one of
//! [`Options::connections`] store connections. Signing and verifying a page's credential
//! takes milliseconds, so a verification is kept for a few minutes per credential version,
//! and a status list until a revocation changes the count of revoked credentials.

mod limit;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, State as Shared};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use conferral::credential::{IssuerKey, Verification, VerifyOptions, verify, verify_bytes};
use conferral::error::{Error, ErrorKind};
use conferral::events::{Event, EventKind};
use conferral::issuer::{Issuer, IssuerConfig, STATUS_LIST_CAPACITY};
use conferral::lifecycle::{Credential, CredentialState};
use conferral::page;
use conferral::storage::{CredentialQuery, Storage};
use conferral_certificate::Format;
use serde_json::Value;
use tokio::sync::Semaphore;
use tower_http::set_header::SetResponseHeaderLayer;

pub use limit::RateLimiter;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The issuer's key: without one the pages give the issuer's record unverified, and
    /// there are no signed documents or status lists.
    pub key: Option<IssuerKey>,
    /// The token that opens `/analytics`; without one the page is not served.
    pub analytics_token: Option<String>,
    /// Store connections (requests served at once).
    pub connections: usize,
    /// Requests a second each client address may make, on average.
    pub rate: f64,
    /// Requests a client address may make at once before the rate applies.
    pub burst: f64,
    /// The largest request body (a credential file checked on `/verify`).
    pub max_body: usize,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            key: None,
            analytics_token: None,
            connections: 4,
            rate: 20.0,
            burst: 100.0,
            max_body: 1024 * 1024,
            timeout: Duration::from_secs(30),
        }
    }
}

type Store = Box<dyn Storage + Send>;

/// How long a credential's verification is reused (its dates can lapse meanwhile).
const VERIFIED_FOR: Duration = Duration::from_secs(300);

/// The most verifications kept.
const VERIFIED_KEPT: usize = 10_000;

/// The most drawn certificates kept (each some hundred kilobytes).
const DRAWN_KEPT: usize = 256;

/// A drawn certificate and the credential version it was drawn for.
type Drawn = (usize, Arc<Vec<u8>>);

/// What every request shares.
struct State {
    issuers: Vec<Mutex<Issuer<Store>>>,
    permits: Semaphore,
    options: Options,
    /// The base URL's path (`/c`), without a trailing `/`.
    base_path: String,
    /// Verifications by credential id: the version (history length) they were made for.
    verified: Mutex<HashMap<String, (usize, Instant, Verification)>>,
    /// Signed documents by credential id, with the version they were signed for (a document
    /// is signed as of its publish time, so it changes only with the credential).
    signed: Mutex<HashMap<String, (usize, Arc<Value>)>>,
    /// Drawn certificates by credential id and format, with the version they were drawn for.
    drawn: Mutex<HashMap<(String, Format), Drawn>>,
    /// Signed status lists by number: the count of revoked credentials they were made for.
    lists: Mutex<HashMap<u64, (u64, Arc<Value>)>>,
    limiter: RateLimiter,
    /// The day's secret mixed into visitors' hashes, as the store keeps it for that day.
    day_secret: Mutex<Option<(chrono::NaiveDate, [u8; 32])>>,
    /// The secret used when the store cannot give the day's: drawn when the server starts,
    /// never stored.
    own_secret: [u8; 32],
}

/// The server: a store (several connections to it) and its settings.
pub struct Server {
    state: Arc<State>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Server {
    /// Opens [`Options::connections`] connections to the store `db` names (a SQLite file or a
    /// `postgres://` URL) for an issuer with `config`.
    ///
    /// # Errors
    /// A store that cannot be opened, or settings that are not valid.
    pub fn open(db: &Path, config: &IssuerConfig, options: Options) -> conferral::Result<Server> {
        let connections = options.connections.max(1);
        let mut issuers = Vec::with_capacity(connections);
        for _ in 0..connections {
            let store = conferral_stores::open_store(db)?;
            issuers.push(Mutex::new(Issuer::new(store, config.clone())?));
        }
        Server::with_issuers(issuers, config, options)
    }

    /// A server over stores the caller opened (an in-memory store in a test, say): one
    /// issuer per connection.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for a base URL that is not an http(s) address, or no
    /// issuer at all.
    pub fn with_issuers(
        issuers: Vec<Mutex<Issuer<Store>>>,
        config: &IssuerConfig,
        options: Options,
    ) -> conferral::Result<Server> {
        if issuers.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                "a server needs at least one store connection",
            ));
        }
        let probe = conferral::render::credential_url(&config.base_url, "x")?;
        let base = probe.strip_suffix("/x").unwrap_or(&probe);
        let base_path = match base.split_once("://").map(|(_, rest)| rest) {
            Some(rest) => rest
                .find('/')
                .and_then(|i| rest.get(i..))
                .unwrap_or("")
                .trim_end_matches('/')
                .to_owned(),
            None => String::new(),
        };
        let own_secret = conferral_os::random_seed().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidConfig,
                "the operating system gave no random bytes for the visitors' hashes",
            )
        })?;
        let permits = Semaphore::new(issuers.len());
        let limiter = RateLimiter::new(options.rate, options.burst);
        Ok(Server {
            state: Arc::new(State {
                issuers,
                permits,
                options,
                base_path,
                verified: Mutex::new(HashMap::new()),
                signed: Mutex::new(HashMap::new()),
                drawn: Mutex::new(HashMap::new()),
                lists: Mutex::new(HashMap::new()),
                limiter,
                day_secret: Mutex::new(None),
                own_secret,
            }),
        })
    }

    /// The routes, with their limits and headers.
    pub fn router(&self) -> Router {
        let state = Arc::clone(&self.state);
        let base = state.base_path.clone();
        let credential_routes = Router::new()
            .route(&format!("{base}/status/{{list}}"), get(status_list))
            .route(&format!("{base}/{{id}}/linkedin"), get(linkedin))
            .route(&format!("{base}/{{file}}"), get(credential));
        let mut router = Router::new()
            .route("/health", get(health))
            .route("/.well-known/did.json", get(did_document))
            .route("/assets/credential.css", get(style))
            .route("/assets/credential.js", get(script))
            .route("/verify", get(verify_form).post(verify_upload))
            .route("/analytics", get(analytics))
            .merge(credential_routes)
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(state.options.max_body))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&state),
                limit_rate,
            ));
        let headers: [(HeaderName, &'static str); 6] = [
            (
                header::CONTENT_SECURITY_POLICY,
                page::CONTENT_SECURITY_POLICY,
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
            (
                HeaderName::from_static("permissions-policy"),
                "camera=(), microphone=(), geolocation=(), interest-cohort=()",
            ),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            ),
        ];
        for (name, value) in headers {
            router = router.layer(SetResponseHeaderLayer::if_not_present(
                name,
                HeaderValue::from_static(value),
            ));
        }
        router
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                state.options.timeout,
            ))
            .with_state(state)
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the requests under
    /// way.
    ///
    /// # Errors
    /// An I/O error of the listener.
    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

impl Server {
    /// Listens on `listen`, tells `ready` the address it got (port 0 picks a free one), and
    /// serves on its own runtime until the process is interrupted (Ctrl-C or SIGTERM).
    ///
    /// # Errors
    /// The address cannot be bound, or the runtime cannot start.
    pub fn serve_until_stopped(
        self,
        listen: SocketAddr,
        ready: impl FnOnce(SocketAddr),
    ) -> std::io::Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(listen).await?;
            ready(listener.local_addr()?);
            self.run(listener, stopped()).await
        })
    }
}

/// Completes on Ctrl-C, or on SIGTERM where there is one.
async fn stopped() {
    let interrupted = async {
        // Without a handler there is no signal to wait for: serve until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        let terminated = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupted => {}
            () = terminated => {}
        }
    }
    #[cfg(not(unix))]
    interrupted.await;
}

impl State {
    /// Runs `work` with a store connection on a blocking thread.
    async fn blocking<T: Send + 'static>(
        self: &Arc<State>,
        work: impl FnOnce(&State, &mut Issuer<Store>) -> T + Send + 'static,
    ) -> Result<T, Response> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))?;
        let state = Arc::clone(self);
        let done = tokio::task::spawn_blocking(move || {
            // A permit is held, so one connection is free; `try_lock` finds it.
            let slot = state.issuers.iter().find_map(|m| match m.try_lock() {
                Ok(guard) => Some(guard),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            });
            slot.map(|mut issuer| work(&state, &mut issuer))
        })
        .await;
        drop(permit);
        match done {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "no store connection is free; try again",
            )),
            Err(_) => Err(plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request failed inside the server",
            )),
        }
    }

    /// The signed status list `list`, made again only when the count of revoked
    /// credentials changed since it was last made.
    fn status_list(
        &self,
        issuer: &Issuer<Store>,
        key: &IssuerKey,
        list: u64,
    ) -> conferral::Result<Arc<Value>> {
        let revoked = issuer.store().count_credentials(&CredentialQuery {
            state: Some(CredentialState::Revoked),
            ..CredentialQuery::default()
        })?;
        if let Some((count, signed)) = lock(&self.lists).get(&list)
            && *count == revoked
        {
            return Ok(Arc::clone(signed));
        }
        let signed = Arc::new(issuer.signed_status_list(list, key, Utc::now())?);
        lock(&self.lists).insert(list, (revoked, Arc::clone(&signed)));
        Ok(signed)
    }

    /// A credential's signed document, signed again only when the credential changed.
    fn signed(
        &self,
        issuer: &Issuer<Store>,
        key: &IssuerKey,
        credential: &Credential,
    ) -> conferral::Result<Arc<Value>> {
        let version = credential.history.len();
        if let Some((v, signed)) = lock(&self.signed).get(&credential.id)
            && *v == version
        {
            return Ok(Arc::clone(signed));
        }
        let signed = Arc::new(issuer.signed_credential(&credential.id, key)?);
        let mut kept = lock(&self.signed);
        if kept.len() >= VERIFIED_KEPT {
            kept.clear();
        }
        kept.insert(credential.id.clone(), (version, Arc::clone(&signed)));
        Ok(signed)
    }

    /// A credential's certificate in `format`, drawn again only when the credential changed.
    fn drawn(
        &self,
        issuer: &Issuer<Store>,
        credential: &Credential,
        format: Format,
    ) -> conferral::Result<Arc<Vec<u8>>> {
        let version = credential.history.len();
        let key = (credential.id.clone(), format);
        if let Some((v, bytes)) = lock(&self.drawn).get(&key)
            && *v == version
        {
            return Ok(Arc::clone(bytes));
        }
        let bytes = Arc::new(conferral_certificate::certificate(
            issuer,
            &credential.id,
            format,
        )?);
        let mut kept = lock(&self.drawn);
        if kept.len() >= DRAWN_KEPT {
            kept.clear();
        }
        kept.insert(key, (version, Arc::clone(&bytes)));
        Ok(bytes)
    }

    /// The verification of a credential's signed document against its status list, reused
    /// for [`VERIFIED_FOR`] while the credential is unchanged.
    fn verification(
        &self,
        issuer: &Issuer<Store>,
        key: &IssuerKey,
        credential: &Credential,
    ) -> conferral::Result<Verification> {
        let version = credential.history.len();
        if let Some((v, at, verification)) = lock(&self.verified).get(&credential.id)
            && *v == version
            && at.elapsed() < VERIFIED_FOR
        {
            return Ok(verification.clone());
        }
        let signed = self.signed(issuer, key, credential)?;
        let list = match credential.status_index {
            Some(index) => Some(self.status_list(issuer, key, index / STATUS_LIST_CAPACITY)?),
            None => None,
        };
        let verification = verify(
            &signed,
            &VerifyOptions {
                now: Utc::now(),
                status_list: list.as_deref(),
            },
        );
        let mut kept = lock(&self.verified);
        if kept.len() >= VERIFIED_KEPT {
            kept.clear();
        }
        kept.insert(
            credential.id.clone(),
            (version, Instant::now(), verification.clone()),
        );
        Ok(verification)
    }
}

/// Who is asking, as the event log keeps it: a hash of the server's secret, the day, the
/// client's address and its User-Agent.
#[derive(Debug, Clone, Default)]
struct Visitor {
    address: Option<std::net::IpAddr>,
    agent: String,
}

impl Visitor {
    fn of(
        headers: &HeaderMap,
        connected: Option<&axum::extract::ConnectInfo<SocketAddr>>,
    ) -> Visitor {
        Visitor {
            address: connected.map(|c| c.0.ip()),
            agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        }
    }

    fn hash(&self, secret: &[u8; 32], day: chrono::NaiveDate) -> String {
        use sha2::{Digest, Sha256};
        let address = self.address.map(|a| a.to_string()).unwrap_or_default();
        let digest = Sha256::new()
            .chain_update(secret)
            .chain_update(day.to_string().as_bytes())
            .chain_update([0])
            .chain_update(address.as_bytes())
            .chain_update([0])
            .chain_update(self.agent.as_bytes())
            .finalize();
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

impl State {
    /// The secret of visitors' hashes on `day`: the store keeps one per day, so a server
    /// restarted that day, or another server on the same store, hashes a visitor the same
    /// way and counts them once; the store forgets it the next day. When the store cannot
    /// give it, the server's own secret is used (a visitor may then be counted again).
    fn secret_for(&self, issuer: &mut Issuer<Store>, day: chrono::NaiveDate) -> [u8; 32] {
        if let Some((kept_day, secret)) = *lock(&self.day_secret)
            && kept_day == day
        {
            return secret;
        }
        let fresh = conferral_os::random_seed().unwrap_or(self.own_secret);
        match issuer.store_mut().visitor_secret(day, &fresh) {
            Ok(secret) => {
                *lock(&self.day_secret) = Some((day, secret));
                secret
            }
            Err(_) => self.own_secret,
        }
    }

    /// Records what a visitor did with a credential. Like the issuer's own events, a store
    /// failure loses the event and never the answer.
    fn record(
        &self,
        issuer: &mut Issuer<Store>,
        credential: &Credential,
        kind: EventKind,
        visitor: Option<&Visitor>,
        detail: Option<&str>,
    ) {
        let now = Utc::now();
        let day = now.date_naive();
        let event = Event {
            visitor: visitor.map(|v| v.hash(&self.secret_for(issuer, day), day)),
            detail: detail.map(str::to_owned),
            ..Event::of(credential, kind, now)
        };
        let _ = issuer.store_mut().record_events(&[event]);
    }
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn json(value: &Value, content_type: &'static str, cache: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, cache),
        ],
        conferral::credential::document_text(value),
    )
        .into_response()
}

/// A store or signing failure, told to the client without its details.
fn failed(e: &Error) -> Response {
    match e.kind() {
        ErrorKind::NotFound => not_found_response(),
        _ => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the credential cannot be shown just now; try again later",
        ),
    }
}

fn not_found_response() -> Response {
    html(StatusCode::NOT_FOUND, page::not_found_page())
}

async fn not_found() -> Response {
    not_found_response()
}

async fn limit_rate(
    Shared(state): Shared<Arc<State>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = client
        && !state.limiter.allow(ip, Instant::now())
    {
        let mut response = plain(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests from your address; wait a moment",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    next.run(request).await
}

async fn health(Shared(state): Shared<Arc<State>>) -> Response {
    match state
        .blocking(|_, issuer| issuer.store().status().map(|_| ()))
        .await
    {
        Ok(Ok(())) => plain(StatusCode::OK, "ok"),
        Ok(Err(_)) => plain(StatusCode::SERVICE_UNAVAILABLE, "the store does not answer"),
        Err(response) => response,
    }
}

async fn did_document(Shared(state): Shared<Arc<State>>) -> Response {
    let Some(key) = &state.options.key else {
        return not_found_response();
    };
    let done = state
        .blocking(|_, issuer| issuer.config().base_url.clone())
        .await;
    match done.map(|base| key.did_web_document(&base)) {
        Ok(Ok(document)) => json(&document, "application/did+json", "max-age=300"),
        Ok(Err(e)) => failed(&e),
        Err(response) => response,
    }
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        page::STYLE,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        page::SCRIPT,
    )
        .into_response()
}

/// What `/c/{file}` asks for.
enum Wanted {
    Page,
    Document,
    Certificate(Format),
}

async fn credential(
    Shared(state): Shared<Arc<State>>,
    UrlPath(file): UrlPath<String>,
    parts: axum::http::request::Parts,
) -> Response {
    let visitor = Visitor::of(
        &parts.headers,
        parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>(),
    );
    let (id, wanted) = match file.rsplit_once('.') {
        Some((id, "json")) => (id.to_owned(), Wanted::Document),
        Some((id, ext)) => match Format::from_name(ext) {
            Some(format) => (id.to_owned(), Wanted::Certificate(format)),
            None => (String::new(), Wanted::Page),
        },
        None => (file, Wanted::Page),
    };
    // The page's own image is not a download; a link that asks for one is.
    let download = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "download"));
    let done = state
        .blocking(
            move |state: &State, issuer: &mut Issuer<Store>| -> Response {
                // A malformed id is looked up like any other, and found by none.
                let found = match issuer.store().credential(&id) {
                    Ok(Some(c)) if c.state != CredentialState::Draft => c,
                    Ok(_) => return not_found_response(),
                    Err(e) => return failed(&e),
                };
                match wanted {
                    Wanted::Document => match &state.options.key {
                        Some(key) => match state.signed(issuer, key, &found) {
                            Ok(signed) => {
                                state.record(
                                    issuer,
                                    &found,
                                    EventKind::Downloaded,
                                    None,
                                    Some("json"),
                                );
                                json(&signed, "application/ld+json", "no-cache")
                            }
                            Err(e) => failed(&e),
                        },
                        None => not_found_response(),
                    },
                    Wanted::Certificate(format) => match state.drawn(issuer, &found, format) {
                        Ok(bytes) => {
                            if download || format == Format::Pdf {
                                state.record(
                                    issuer,
                                    &found,
                                    EventKind::Downloaded,
                                    None,
                                    Some(format.as_str()),
                                );
                            }
                            certificate_response(&found.id, format, &bytes, download)
                        }
                        Err(e) => failed(&e),
                    },
                    Wanted::Page => {
                        let page = credential_page(state, issuer, &found);
                        if page.status() == StatusCode::OK {
                            state.record(issuer, &found, EventKind::Viewed, Some(&visitor), None);
                        }
                        page
                    }
                }
            },
        )
        .await;
    done.unwrap_or_else(|response| response)
}

/// A drawn certificate, as a file to save when it was asked for as a download (a PDF always).
fn certificate_response(id: &str, format: Format, bytes: &[u8], download: bool) -> Response {
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, format.media_type()),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes.to_vec(),
    )
        .into_response();
    if download || format == Format::Pdf {
        // Ids are letters, digits, `-` and `_`: safe in the header as they are.
        let disposition = format!(
            "attachment; filename=\"certificate-{id}.{}\"",
            format.as_str()
        );
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    if format == Format::Svg {
        // A drawing, never a document: no script runs in it even when opened on its own.
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        );
    }
    response
}

fn credential_page(state: &State, issuer: &Issuer<Store>, credential: &Credential) -> Response {
    let group = match issuer.issued_group(credential) {
        Ok(Some(group)) => group,
        Ok(None) => return not_found_response(),
        Err(e) => return failed(&e),
    };
    let verification = match &state.options.key {
        Some(key) => match state.verification(issuer, key, credential) {
            Ok(v) => Some(v),
            Err(e) => return failed(&e),
        },
        None => None,
    };
    let url = match conferral::render::credential_url(&issuer.config().base_url, &credential.id) {
        Ok(url) => url,
        Err(e) => return failed(&e),
    };
    let sender = issuer.config().sender.name.trim();
    let issuer_name = group
        .issuer
        .as_ref()
        .and_then(|i| i.name.as_deref())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(if sender.is_empty() {
            "the issuer"
        } else {
            sender
        })
        .to_owned();
    let document = format!("{url}.json");
    let pdf = format!("{url}.pdf");
    let png = format!("{url}.png?download");
    let image = format!("{url}.png");
    let mut downloads: Vec<(&str, &str, &str)> = vec![
        ("Certificate", pdf.as_str(), "PDF"),
        ("Certificate", png.as_str(), "PNG image"),
    ];
    if state.options.key.is_some() {
        downloads.push(("Signed credential", document.as_str(), "Open Badges JSON"));
    }
    let share = format!("{url}/linkedin");
    let body = page::credential_page(&page::CredentialPage {
        credential,
        group: &group,
        issuer_name: &issuer_name,
        verification: verification.as_ref(),
        url: &url,
        image_url: Some(&image),
        downloads: &downloads,
        linkedin_url: Some(&share),
    });
    html(StatusCode::OK, body)
}

async fn linkedin(Shared(state): Shared<Arc<State>>, UrlPath(id): UrlPath<String>) -> Response {
    let done = state
        .blocking(move |state, issuer| -> Response {
            let credential = match issuer.store().credential(&id) {
                Ok(Some(c)) if c.state != CredentialState::Draft => c,
                Ok(_) => return not_found_response(),
                Err(e) => return failed(&e),
            };
            let group = match issuer.issued_group(&credential) {
                Ok(Some(group)) => group,
                Ok(None) => return not_found_response(),
                Err(e) => return failed(&e),
            };
            let url = match conferral::render::credential_url(
                &issuer.config().base_url,
                &credential.id,
            ) {
                Ok(url) => url,
                Err(e) => return failed(&e),
            };
            let organisation = group
                .issuer
                .as_ref()
                .and_then(|i| i.name.clone())
                .unwrap_or_else(|| issuer.config().sender.name.clone());
            let target = page::linkedin_url(
                &group.achievement().name,
                &organisation,
                credential.issued_on,
                credential.expires_on,
                &credential.id,
                &url,
            );
            state.record(
                issuer,
                &credential,
                EventKind::Shared,
                None,
                Some("linkedin"),
            );
            match HeaderValue::from_str(&target) {
                Ok(location) => {
                    let mut response = StatusCode::SEE_OTHER.into_response();
                    response.headers_mut().insert(header::LOCATION, location);
                    response
                        .headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    response
                }
                Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "no LinkedIn link"),
            }
        })
        .await;
    done.unwrap_or_else(|response| response)
}

async fn status_list(
    Shared(state): Shared<Arc<State>>,
    UrlPath(list): UrlPath<String>,
) -> Response {
    let Ok(list) = list.parse::<u64>() else {
        return not_found_response();
    };
    let done = state
        .blocking(move |state, issuer| -> Response {
            let Some(key) = &state.options.key else {
                return not_found_response();
            };
            match state.status_list(issuer, key, list) {
                Ok(signed) => json(&signed, "application/vc+ld+json", "max-age=60"),
                Err(e) => failed(&e),
            }
        })
        .await;
    done.unwrap_or_else(|response| response)
}

async fn verify_form() -> Response {
    html(StatusCode::OK, page::verify_page("/verify", None))
}

/// Checks a credential file: a form's `credential` file gives the page; a JSON body gives
/// the verification as JSON. A list this server publishes is used for the status.
async fn verify_upload(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    body: axum::extract::Request,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("application/ld+json"));
    let bytes = if is_json {
        match axum::body::to_bytes(body.into_body(), state.options.max_body).await {
            Ok(bytes) => bytes,
            Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "the credential is too large"),
        }
    } else {
        use axum::extract::FromRequest;
        let mut form = match Multipart::from_request(body, &state).await {
            Ok(form) => form,
            Err(_) => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "send the file as a form's `credential` field",
                );
            }
        };
        match upload(&mut form).await {
            Some(bytes) => bytes,
            None => {
                return html(
                    StatusCode::BAD_REQUEST,
                    page::verify_page("/verify", Some(Err("no credential file was sent"))),
                );
            }
        }
    };
    let done = state
        .blocking(move |state, issuer| {
            let list = listed_status(state, issuer, &bytes);
            let result = verify_bytes(
                &bytes,
                &VerifyOptions {
                    now: Utc::now(),
                    status_list: list.as_deref(),
                },
            );
            if result.is_ok()
                && let Some(credential) = ours(issuer, &bytes)
            {
                state.record(issuer, &credential, EventKind::Verified, None, None);
            }
            result
        })
        .await;
    let result = match done {
        Ok(result) => result,
        Err(response) => return response,
    };
    match (is_json, result) {
        (true, Ok(verification)) => match serde_json::to_value(&verification) {
            Ok(value) => json(&value, "application/json", "no-store"),
            Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "no report"),
        },
        (true, Err(e)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({"error": {"kind": e.kind().as_str(), "message": e.to_string()}})
                .to_string(),
        )
            .into_response(),
        (false, Ok(verification)) => html(
            StatusCode::OK,
            page::verify_page("/verify", Some(Ok(&verification))),
        ),
        (false, Err(e)) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            page::verify_page("/verify", Some(Err(&e.to_string()))),
        ),
    }
}

/// The `credential` field of a form, if sent.
async fn upload(form: &mut Multipart) -> Option<Bytes> {
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("credential") {
            return field.bytes().await.ok();
        }
    }
    None
}

/// The credential of this issuer a document names by its `id` (its link), if any.
fn ours(issuer: &Issuer<Store>, bytes: &[u8]) -> Option<Credential> {
    let document: Value = serde_json::from_slice(bytes).ok()?;
    let link = document.get("id")?.as_str()?;
    let prefix = conferral::render::credential_url(&issuer.config().base_url, "x").ok()?;
    let base = prefix.strip_suffix('x')?;
    let id = link.strip_prefix(base)?;
    issuer.store().credential(id).ok().flatten()
}

/// This server's status list for a credential that names one of this server's lists.
fn listed_status(state: &State, issuer: &Issuer<Store>, bytes: &[u8]) -> Option<Arc<Value>> {
    let key = state.options.key.as_ref()?;
    let document: Value = serde_json::from_slice(bytes).ok()?;
    let named = document
        .pointer("/credentialStatus/statusListCredential")?
        .as_str()?;
    let lists = issuer.status_lists().ok()?;
    (0..lists).find_map(|n| {
        let url = conferral::issuer::status_list_url(&issuer.config().base_url, n).ok()?;
        if url == named {
            state.status_list(issuer, key, n).ok()
        } else {
            None
        }
    })
}

async fn analytics(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Response {
    let Some(token) = state.options.analytics_token.clone() else {
        return not_found_response();
    };
    if !limit::authorized(&headers, &token) {
        let mut response = plain(
            StatusCode::UNAUTHORIZED,
            "the analytics need the token the server was started with",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"conferral analytics\", charset=\"UTF-8\""),
        );
        return response;
    }
    let done = state
        .blocking(|_, issuer| {
            let counts = issuer.status()?;
            let stats = issuer.stats(&conferral::events::EventQuery::default())?;
            Ok::<_, Error>((counts, stats))
        })
        .await;
    match done {
        Ok(Ok((counts, stats))) => html(StatusCode::OK, page::analytics_page(&counts, &stats)),
        Ok(Err(e)) => failed(&e),
        Err(response) => response,
    }
}
