//! Signing in: setup codes, passwords (Argon2id), the second factor (TOTP or a recovery code),
//! sessions renewed at every step up, signing out here or everywhere.
//!
//! Failures are counted in the database (per account and per client address), so throttling
//! and lockout hold across instances; every sign-in, failed or not, is in the audit log. A
//! wrong email and a wrong password get the same answer after the same work.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit as _, Mac as _};
use postern_store::credentials::{
    self, TotpSecret, check_new_password, generate_recovery_codes, recovery_code_hash, verify_totp,
};
use postern_store::team::{SessionStage, User, csrf_token};
use serde::Deserialize;
use sha2::Sha256;

use super::{Member, check_origin, check_post, private, see_other, session_cookie, session_token};
use crate::error::Error;
use crate::forms::token::{check_token_aged, issue_token};
use crate::intake::ClientIp;
use crate::state::AppState;

/// Purpose of the pre-session form token on the sign-in and setup pages.
const SIGNIN_FORM: &str = "team sign-in";
/// The issuer shown in authenticator apps.
const TOTP_ISSUER: &str = "Postern";

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/signin", signin_page)
        .post("/team/signin", signin)
        .get("/team/signin/code", code_page)
        .post("/team/signin/code", code)
        .get("/team/setup", setup_page)
        .post("/team/setup", setup)
        .get("/team/second-factor", enrol_page)
        .post("/team/second-factor", enrol)
        .get("/team/account", account)
        .post("/team/account/openpgp-key", set_openpgp_key)
        .post("/team/account/openpgp-key/remove", remove_openpgp_key)
        .post("/team/signout", signout)
        .post("/team/signout-everywhere", signout_everywhere)
}

struct Input {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    help: Option<&'static str>,
    value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/signin.html")]
struct FormPage {
    title: &'static str,
    me: Option<String>,
    csrf: String,
    action: &'static str,
    error: Option<String>,
    fields: Vec<Input>,
    button: &'static str,
    footnote: Option<&'static str>,
}

fn input(
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
) -> Input {
    Input {
        name,
        label,
        kind,
        autocomplete,
        help: None,
        value: String::new(),
    }
}

fn page(page: FormPage, status: StatusCode) -> Response {
    private((status, page).into_response())
}

fn signin_form(state: &AppState, email: &str, error: Option<String>) -> FormPage {
    let mut email_input = input("email", "Email", "email", "username");
    email_input.value = email.to_owned();
    FormPage {
        title: "Team sign-in",
        me: None,
        csrf: issue_token(state, SIGNIN_FORM),
        action: "/team/signin",
        error,
        fields: vec![
            email_input,
            input("password", "Password", "password", "current-password"),
        ],
        button: "Sign in",
        footnote: Some("New to the team? Open the setup page your admin gave you: /team/setup"),
    }
}

async fn signin_page(State(state): State<AppState>) -> Response {
    page(signin_form(&state, "", None), StatusCode::OK)
}

#[derive(Deserialize)]
struct SigninForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Runs Argon2id off the async threads.
async fn password_matches(hash: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => credentials::verify_password(&hash, &password),
        None => {
            credentials::dummy_verify(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

const WRONG: &str = "The email or password is wrong.";

/// "Wait" in words, rounded up to seconds or minutes.
fn wait_words(wait: jiff::SignedDuration) -> String {
    let secs = wait.as_secs().max(1);
    if secs < 90 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", (secs + 59) / 60)
    }
}

/// 429 with Retry-After: too many failed sign-ins from this address (for this account, or
/// for any). The account itself stays open to its owner elsewhere.
fn too_many(page_html: Response, wait: jiff::SignedDuration) -> Response {
    let mut response = page_html;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    if let Ok(v) = axum::http::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    response
}

async fn signin(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Result<Response, Error> {
    let store = state.store();
    let now = state.now();
    if let Err(message) = check_token_aged(&state, SIGNIN_FORM, &form.csrf, 0) {
        return Ok(page(
            signin_form(&state, &form.email, Some(message)),
            StatusCode::FORBIDDEN,
        ));
    }
    check_origin(&state, &headers)?;
    let client = client.to_string();
    let email: String = form.email.trim().chars().take(254).collect();
    if let Some(wait) = store.signin_wait(&email, &client, now).await? {
        return Ok(too_many(
            page(
                signin_form(
                    &state,
                    &email,
                    Some(format!(
                        "Too many failed sign-ins from your address. Wait {} and try again.",
                        wait_words(wait)
                    )),
                ),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            wait,
        ));
    }
    let user = store.user_by_email(&email).await?;
    let usable = user.as_ref().filter(|u| !u.disabled);
    let hash = usable.and_then(|u| u.password_hash.clone());
    let password: String = form
        .password
        .chars()
        .take(credentials::PASSWORD_BYTES_MAX)
        .collect();
    if !password_matches(hash, password).await {
        let why = match &user {
            None => "unknown account",
            Some(u) if u.disabled => "disabled account",
            Some(_) => "wrong password",
        };
        store
            .login_failed(user.as_ref(), &email, &client, why, now)
            .await?;
        return Ok(page(
            signin_form(&state, &email, Some(WRONG.into())),
            StatusCode::UNAUTHORIZED,
        ));
    }
    let Some(user) = usable.cloned() else {
        return Err(Error::NotFound);
    };
    let stage = if user.totp_enabled {
        SessionStage::Password
    } else if state.second_factor_required(user.role) {
        SessionStage::Enrol
    } else {
        store
            .login_succeeded(&user, &client, "password", now)
            .await?;
        SessionStage::Full
    };
    start_session(&state, &headers, &user, stage).await
}

/// Ends any session the request had and starts a new one (a new token at every step up,
/// so that a token seen before sign-in is worth nothing after it).
async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    stage: SessionStage,
) -> Result<Response, Error> {
    if let Some(old) = session_token(state, headers) {
        state.store().end_session(&old).await?;
    }
    let token = state
        .store()
        .create_session(user, stage, state.now())
        .await?;
    let to = match stage {
        SessionStage::Password => "/team/signin/code",
        SessionStage::Enrol => "/team/second-factor",
        SessionStage::Full => "/team",
    };
    let mut response = see_other(to);
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, Some(&token)));
    Ok(response)
}

/// The session behind the cookie if it is at `stage`.
async fn pending(
    state: &AppState,
    headers: &HeaderMap,
    stage: SessionStage,
) -> Result<Option<(postern_store::team::Session, String)>, Error> {
    let Some(token) = session_token(state, headers) else {
        return Ok(None);
    };
    let session = state.store().session(&token, state.now()).await?;
    Ok(session.filter(|s| s.stage == stage).map(|s| (s, token)))
}

fn code_form(csrf: String, error: Option<String>) -> FormPage {
    let mut code = input("code", "Code", "text", "one-time-code");
    code.help =
        Some("The six-digit code from your authenticator app, or one of your recovery codes.");
    FormPage {
        title: "Second factor",
        me: None,
        csrf,
        action: "/team/signin/code",
        error,
        fields: vec![code],
        button: "Continue",
        footnote: None,
    }
}

async fn code_page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Error> {
    let Some((_, token)) = pending(&state, &headers, SessionStage::Password).await? else {
        return Ok(see_other("/team/signin"));
    };
    Ok(page(code_form(csrf_token(&token), None), StatusCode::OK))
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

async fn code(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, Error> {
    let store = state.store();
    let now = state.now();
    let Some((session, token)) = pending(&state, &headers, SessionStage::Password).await? else {
        return Ok(see_other("/team/signin"));
    };
    check_post(&state, &headers, &csrf_token(&token), &form.csrf)?;
    let client = client.to_string();
    // A fresh read: the account may have been disabled by another instance meanwhile.
    let user = store
        .user_by_id(&session.user.id)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(wait) = store.signin_wait(&user.email, &client, now).await? {
        return Ok(too_many(
            page(
                code_form(
                    csrf_token(&token),
                    Some(format!(
                        "Too many failed attempts from your address. Wait {} and try again.",
                        wait_words(wait)
                    )),
                ),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            wait,
        ));
    }
    let code: String = form
        .code
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(32)
        .collect();
    let method = if user.disabled {
        None
    } else if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
        match store.totp_secret(&user).await? {
            Some((secret, last)) => {
                let secret = TotpSecret::from_bytes(secret.to_vec())
                    .map_err(|e| Error::Unexpected(e.into()))?;
                let unix = now.as_second().max(0) as u64;
                match verify_totp(&secret, &code, unix, last) {
                    Some(step) if store.use_totp_step(&user, step).await? => Some("totp"),
                    _ => None,
                }
            }
            None => None,
        }
    } else if store
        .use_recovery_code(&user, &recovery_code_hash(&code))
        .await?
    {
        Some("recovery code")
    } else {
        None
    };
    let Some(method) = method else {
        store
            .login_failed(Some(&user), &user.email, &client, "second factor", now)
            .await?;
        return Ok(page(
            code_form(
                csrf_token(&token),
                Some("That code is wrong or was used already.".into()),
            ),
            StatusCode::UNAUTHORIZED,
        ));
    };
    store.login_succeeded(&user, &client, method, now).await?;
    start_session(&state, &headers, &user, SessionStage::Full).await
}

fn setup_form(state: &AppState, error: Option<String>) -> FormPage {
    let mut code = input("code", "Setup code", "password", "off");
    code.help = Some(
        "The code printed by `postern user add` (or `postern user reset`). It works once and expires after 24 hours.",
    );
    let mut password = input("password", "New password", "password", "new-password");
    password.help = Some(
        "At least 12 characters; a passphrase of several unrelated words is best. Common passwords are refused.",
    );
    FormPage {
        title: "Set up your team account",
        me: None,
        csrf: issue_token(state, SIGNIN_FORM),
        action: "/team/setup",
        error,
        fields: vec![
            code,
            password,
            input("confirm", "New password again", "password", "new-password"),
        ],
        button: "Set password",
        footnote: None,
    }
}

async fn setup_page(State(state): State<AppState>) -> Response {
    page(setup_form(&state, None), StatusCode::OK)
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn setup(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Result<Response, Error> {
    let now = state.now();
    let refuse = |message: String| {
        Ok(page(
            setup_form(&state, Some(message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ))
    };
    if let Err(message) = check_token_aged(&state, SIGNIN_FORM, &form.csrf, 0) {
        return refuse(message);
    }
    check_origin(&state, &headers)?;
    let code = form.code.trim();
    let user = match state.store().setup_user(code, now).await {
        Ok(user) => user,
        Err(postern_store::StoreError::NotFound) => {
            return refuse("This setup code is unknown, used already or expired. Ask an admin for a new one (`postern user reset EMAIL`).".into());
        }
        Err(e) => return Err(e.into()),
    };
    if form.password != form.confirm {
        return refuse("The two passwords differ; type the same password twice.".into());
    }
    if let Err(message) = check_new_password(&form.password, &user.email) {
        return refuse(message);
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || credentials::hash_password(&password))
        .await
        .map_err(|e| Error::Unexpected(e.into()))?
        .map_err(|e| Error::Unexpected(e.into()))?;
    let user = state.store().complete_setup(code, &hash, None, now).await?;
    let stage = if state.second_factor_required(user.role) {
        SessionStage::Enrol
    } else {
        state
            .store()
            .login_succeeded(&user, &client.to_string(), "setup", now)
            .await?;
        SessionStage::Full
    };
    start_session(&state, &headers, &user, stage).await
}

#[derive(Template, WebTemplate)]
#[template(path = "team/enrol.html")]
struct EnrolPage {
    title: String,
    me: Option<String>,
    csrf: String,
    error: Option<String>,
    qr: String,
    secret: String,
    secret_text: String,
    sig: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/codes.html")]
struct CodesPage {
    title: String,
    me: Option<String>,
    csrf: String,
    codes: Vec<String>,
}

/// The session of someone allowed to enrol: signed in, or signed in but for the factor.
async fn enroller(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(postern_store::team::Session, String)>, Error> {
    let Some(token) = session_token(state, headers) else {
        return Ok(None);
    };
    let session = state.store().session(&token, state.now()).await?;
    Ok(session
        .filter(|s| matches!(s.stage, SessionStage::Enrol | SessionStage::Full))
        .map(|s| (s, token)))
}

/// Binds a pending secret to the session, so that a form cannot carry someone else's.
fn secret_sig(state: &AppState, token: &str, secret: &str) -> String {
    let mut mac = <Hmac<Sha256>>::new_from_slice(state.form_secret()).expect("any key length");
    mac.update(format!("postern totp enrol v1\0{token}\0{secret}").as_bytes());
    data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
}

fn enrol_view(
    state: &AppState,
    session: &postern_store::team::Session,
    token: &str,
    secret: &TotpSecret,
    error: Option<String>,
) -> Result<EnrolPage, Error> {
    let uri = secret
        .otpauth_uri(TOTP_ISSUER, &session.user.email)
        .map_err(|e| Error::Unexpected(e.into()))?;
    let encoded = data_encoding::HEXLOWER.encode(secret.as_bytes());
    Ok(EnrolPage {
        title: "Second factor".into(),
        me: (session.stage == SessionStage::Full).then(|| session.user.email.clone()),
        csrf: csrf_token(token),
        error,
        qr: credentials::qr_svg(&uri).map_err(|e| Error::Unexpected(e.into()))?,
        sig: secret_sig(state, token, &encoded),
        secret: encoded,
        secret_text: secret.base32(),
    })
}

async fn enrol_page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Error> {
    let Some((session, token)) = enroller(&state, &headers).await? else {
        return Ok(see_other("/team/signin"));
    };
    let secret = TotpSecret::generate().map_err(|e| Error::Unexpected(e.into()))?;
    Ok(private(
        enrol_view(&state, &session, &token, &secret, None)?.into_response(),
    ))
}

#[derive(Deserialize)]
struct EnrolForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    sig: String,
    #[serde(default)]
    code: String,
}

async fn enrol(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<EnrolForm>,
) -> Result<Response, Error> {
    let now = state.now();
    let Some((session, token)) = enroller(&state, &headers).await? else {
        return Ok(see_other("/team/signin"));
    };
    check_post(&state, &headers, &csrf_token(&token), &form.csrf)?;
    let expected = secret_sig(&state, &token, &form.secret);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        expected.as_bytes(),
        form.sig.as_bytes(),
    )) {
        return Err(Error::Forbidden(
            "this form is out of date; reload the page".into(),
        ));
    }
    let bytes = data_encoding::HEXLOWER
        .decode(form.secret.as_bytes())
        .map_err(|_| Error::BadRequest("the form's key is damaged; reload the page".into()))?;
    let secret = TotpSecret::from_bytes(bytes)
        .map_err(|_| Error::BadRequest("the form's key is damaged; reload the page".into()))?;
    let unix = now.as_second().max(0) as u64;
    let Some(step) = verify_totp(&secret, &form.code, unix, None) else {
        let view = enrol_view(
            &state,
            &session,
            &token,
            &secret,
            Some("That code does not match. Check the time on your device and enter the current code.".into()),
        )?;
        return Ok(private(
            (StatusCode::UNPROCESSABLE_ENTITY, view).into_response(),
        ));
    };
    let codes = generate_recovery_codes().map_err(|e| Error::Unexpected(e.into()))?;
    let hashes: Vec<[u8; 32]> = codes.iter().map(|c| recovery_code_hash(c)).collect();
    let store = state.store();
    store
        .set_totp(&session.user, secret.as_bytes(), &hashes, now)
        .await?;
    store.use_totp_step(&session.user, step).await?;
    let page = CodesPage {
        title: "Recovery codes".into(),
        me: Some(session.user.email.clone()),
        csrf: String::new(),
        codes,
    };
    if session.stage == SessionStage::Enrol {
        store
            .login_succeeded(
                &session.user,
                &client.to_string(),
                "password and new second factor",
                now,
            )
            .await?;
        store.end_session(&token).await?;
        let token = store
            .create_session(&session.user, SessionStage::Full, now)
            .await?;
        let mut response = private(
            CodesPage {
                csrf: csrf_token(&token),
                ..page
            }
            .into_response(),
        );
        response
            .headers_mut()
            .insert(header::SET_COOKIE, session_cookie(&state, Some(&token)));
        return Ok(response);
    }
    Ok(private(
        CodesPage {
            csrf: csrf_token(&token),
            ..page
        }
        .into_response(),
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "team/account.html")]
struct AccountPage {
    title: String,
    me: Option<String>,
    csrf: String,
    email: String,
    role: &'static str,
    projects: String,
    totp: bool,
    signed_in: String,
    /// Whether the administration links are shown.
    admin: bool,
    /// The member's OpenPGP key: (fingerprint grouped, expiry in words).
    openpgp_key: Option<(String, String)>,
    /// Why the key given was refused, and what was pasted (kept).
    key_error: Option<String>,
    key_draft: String,
    /// What the last key action did.
    key_done: Option<&'static str>,
}

#[derive(Deserialize)]
struct AccountQuery {
    #[serde(default)]
    done: String,
}

async fn account(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<AccountQuery>,
) -> Result<Response, Error> {
    // Fixed words only: the query names which.
    let done = match query.done.as_str() {
        "key-set" => Some(
            "Your OpenPGP key is set: notices with a report's contents can be encrypted to it.",
        ),
        "key-removed" => Some("Your OpenPGP key is removed."),
        _ => None,
    };
    account_page(&state, &member, None, String::new(), done).await
}

/// The account page, with a refused key's reason and the pasted text kept, or what was done.
async fn account_page(
    state: &AppState,
    member: &Member,
    key_error: Option<String>,
    key_draft: String,
    key_done: Option<&'static str>,
) -> Result<Response, Error> {
    let user = &member.session.user;
    let project = state.default_project();
    let openpgp_key = state.store().member_key(&user.id).await?.map(|k| {
        let expires = match k.expires_at {
            Some(at) => format!("expires {}", crate::intake::human_time(&project.policy, at)),
            None => "does not expire".into(),
        };
        (
            postern_core::render::grouped_fingerprint(&k.fingerprint),
            expires,
        )
    });
    let status = if key_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(private(
        (
            status,
            AccountPage {
                title: "Your account".into(),
                me: Some(user.email.clone()),
                csrf: member.csrf.clone(),
                email: user.email.clone(),
                role: user.role.name(),
                projects: if user.projects.is_empty() {
                    "all".into()
                } else {
                    user.projects.join(", ")
                },
                totp: user.totp_enabled,
                signed_in: crate::intake::human_time(&project.policy, member.session.created_at),
                admin: user.role == postern_store::team::Role::Admin,
                openpgp_key,
                key_error,
                key_draft,
                key_done,
            },
        )
            .into_response(),
    ))
}

#[derive(Deserialize)]
struct KeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    openpgp_key: String,
}

/// A member sets their own OpenPGP public key (audited); a refused one is explained on the
/// page with what was pasted kept.
async fn set_openpgp_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<KeyForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let user_id = member.session.user.id.clone();
    match state
        .app()
        .set_member_key(&member.as_actor(), &user_id, form.openpgp_key.as_bytes())
        .await
    {
        Ok(_) => Ok(see_other("/team/account?done=key-set#openpgp")),
        Err(postern_app::Error::Invalid(errors)) => {
            let why = errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ");
            account_page(&state, &member, Some(why), form.openpgp_key, None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// A member removes their own OpenPGP key (audited).
async fn remove_openpgp_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let user_id = member.session.user.id.clone();
    match state
        .app()
        .remove_member_key(&member.as_actor(), &user_id)
        .await
    {
        Ok(()) | Err(postern_app::Error::NotFound) => {
            Ok(see_other("/team/account?done=key-removed#openpgp"))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn signout(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    state.store().end_session(&member.token).await?;
    let mut response = see_other("/team/signin");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, None));
    Ok(response)
}

async fn signout_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    state
        .store()
        .end_all_sessions(&member.session.user, state.now())
        .await?;
    let mut response = see_other("/team/signin");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, None));
    Ok(response)
}
