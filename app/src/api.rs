//! The HTTP client for the server's JSON API (login, passwords, push, pull,
//! and the generic calls the online-only screens use).
//!
//! Every request carries `x-client-schema`, so a server that no longer
//! accepts this build's ops answers 426 and the app reloads itself.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::lang::Lang;
use shared::op::SCHEMA_VERSION;
use shared::wire::{
    CLIENT_SCHEMA_HEADER, LoginRequest, LoginResponse, PasswordChange, PasswordReset, PullResponse,
    PushRequest, PushResponse,
};

/// Why a call failed, in the categories a staff member can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No answer at all: offline, or the server is down.
    #[error("network: {0}")]
    Network(String),
    /// 401: wrong password, or the session expired.
    #[error("unauthorized: {code}")]
    Unauthorized {
        /// The server's error code.
        code: String,
    },
    /// 429: too many attempts.
    #[error("rate limited")]
    RateLimited {
        /// How long to wait, from the `Retry-After` header, in seconds.
        retry_after_secs: Option<u64>,
    },
    /// 426: this app is too old for the server.
    #[error("update required")]
    UpdateRequired,
    /// Any other error answer.
    #[error("server {status}: {code}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The stable code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The answer did not parse.
    #[error("bad answer: {0}")]
    Decode(String),
}

impl ApiError {
    /// The server's stable error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Unauthorized { code } | ApiError::Server { code, .. } if !code.is_empty() => {
                Some(code)
            }
            ApiError::RateLimited { .. } => Some("auth.rate_limited"),
            _ => None,
        }
    }

    /// The error in words a staff member understands.
    pub fn message(&self, lang: Lang) -> String {
        if let Some(message) = self.code().and_then(|code| code_message(code, lang)) {
            return message;
        }
        match self {
            ApiError::Network(_) => lang
                .pick(
                    "无法连接服务器（可能没有网络）。数据已保存在本机，联网后会自动同步。",
                    "Cannot reach the server (no network?). Your work is saved on this tablet and syncs when online.",
                )
                .into(),
            ApiError::Unauthorized { .. } => lang
                .pick(
                    "登录已过期，请退出后重新登录（本机数据不会丢失）",
                    "Your login expired; log out and in again (nothing on this tablet is lost)",
                )
                .into(),
            ApiError::RateLimited { retry_after_secs } => rate_limited(*retry_after_secs, lang),
            ApiError::UpdateRequired => lang
                .pick(
                    "应用需要更新，正在重新加载",
                    "The app needs an update; reloading",
                )
                .into(),
            ApiError::Server {
                status, message, ..
            } => match lang {
                Lang::ZhCn => format!("服务器错误（{status}）：{message}"),
                Lang::En => format!("Server error ({status}): {message}"),
            },
            ApiError::Decode(_) => lang
                .pick(
                    "服务器的回复无法识别，请联系管理员",
                    "The server's answer was not understood; contact the administrator",
                )
                .into(),
        }
    }
}

/// The words for the error codes a person can act on, whatever the status
/// they came with; `None` for codes the generic message covers.
fn code_message(code: &str, lang: Lang) -> Option<String> {
    let (zh, en) = match code {
        "auth.invalid_credentials" => ("账号或密码错误", "Wrong login or password"),
        "auth.device_revoked" => (
            "本设备已被管理员吊销，不能再登录或同步。请联系管理员。",
            "This tablet was revoked by the administrator; it can no longer log in or sync. Contact the administrator.",
        ),
        "auth.password_change_required" => (
            "请先修改密码，然后才能继续使用。",
            "Change your password before you continue.",
        ),
        "auth.wrong_password" => ("当前密码不正确", "The current password is wrong"),
        "validation.password_too_short" => {
            return Some(password_too_short(lang));
        }
        "validation.too_long" => ("内容过长", "Too long"),
        "request.too_long" => (
            "提交的内容过长，请删减后再试",
            "What you sent is too long; shorten it and try again",
        ),
        // Among the rest, `auth.rate_limited` arrives as `RateLimited`,
        // whose message has the wait.
        _ => return None,
    };
    Some(lang.pick(zh, en).to_string())
}

/// "At least 8 characters", as the server and the forms say it.
pub fn password_too_short(lang: Lang) -> String {
    let min = shared::validation::MIN_PASSWORD_CHARS;
    match lang {
        Lang::ZhCn => format!("密码至少需要 {min} 个字符"),
        Lang::En => format!("A password needs at least {min} characters"),
    }
}

/// Too many attempts, with how long to wait when the server said.
fn rate_limited(retry_after_secs: Option<u64>, lang: Lang) -> String {
    let Some(secs) = retry_after_secs else {
        return lang
            .pick(
                "尝试次数过多，请稍后再试",
                "Too many attempts; wait a while and try again",
            )
            .into();
    };
    // Whole minutes, rounded up, once it is a minute or more.
    match (lang, secs) {
        (Lang::ZhCn, 0..60) => format!("尝试次数过多，请 {secs} 秒后再试"),
        (Lang::ZhCn, _) => format!("尝试次数过多，请 {} 分钟后再试", secs.div_ceil(60)),
        (Lang::En, 0..60) => format!("Too many attempts; wait {secs} seconds and try again"),
        (Lang::En, _) => format!(
            "Too many attempts; wait {} minutes and try again",
            secs.div_ceil(60)
        ),
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

fn with_headers(req: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    let req = req.header(CLIENT_SCHEMA_HEADER, &SCHEMA_VERSION.to_string());
    match token {
        Some(t) => req.header("Authorization", &format!("Bearer {t}")),
        None => req,
    }
}

async fn read<T: DeserializeOwned>(resp: Response) -> Result<T, ApiError> {
    let status = resp.status();
    if (200..300).contains(&status) {
        return resp
            .json::<T>()
            .await
            .map_err(|e| ApiError::Decode(e.to_string()));
    }
    let retry_after_secs = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = resp.json::<ErrorBody>().await.ok();
    let (code, message) =
        body.map_or_else(|| (String::new(), String::new()), |b| (b.code, b.message));
    Err(match status {
        401 => ApiError::Unauthorized { code },
        429 => ApiError::RateLimited { retry_after_secs },
        426 => ApiError::UpdateRequired,
        _ => ApiError::Server {
            status,
            code,
            message,
        },
    })
}

/// `POST /api/v1/auth/login`.
pub async fn login(req: &LoginRequest) -> Result<LoginResponse, ApiError> {
    let resp = with_headers(Request::post("/api/v1/auth/login"), None)
        .json(req)
        .map_err(|e| ApiError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `POST /api/v1/auth/logout`; failures are ignored by the caller, since
/// the token is forgotten locally anyway.
pub async fn logout(token: &str) -> Result<(), ApiError> {
    let resp = with_headers(Request::post("/api/v1/auth/logout"), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if resp.ok() {
        Ok(())
    } else {
        read::<serde_json::Value>(resp).await.map(drop)
    }
}

/// `POST /api/v1/auth/password`: changes one's own password (204).
pub async fn change_password(token: &str, req: &PasswordChange) -> Result<(), ApiError> {
    send_empty(Method::Post, token, "/api/v1/auth/password", req).await
}

/// `POST /api/v1/admin/users/{id}/password`: an admin sets a temporary
/// password, which the user must change at their next login (204).
pub async fn reset_password(
    token: &str,
    user: shared::id::UserId,
    req: &PasswordReset,
) -> Result<(), ApiError> {
    let url = format!("/api/v1/admin/users/{user}/password");
    send_empty(Method::Post, token, &url, req).await
}

/// `POST /api/v1/sync/push`.
pub async fn push(token: &str, req: &PushRequest) -> Result<PushResponse, ApiError> {
    let resp = with_headers(Request::post("/api/v1/sync/push"), Some(token))
        .json(req)
        .map_err(|e| ApiError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `GET /api/v1/sync/pull?after=N&limit=M`.
pub async fn pull(token: &str, after: i64, limit: u32) -> Result<PullResponse, ApiError> {
    let url = format!("/api/v1/sync/pull?after={after}&limit={limit}");
    let resp = with_headers(Request::get(&url), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `GET url` with the session's token, decoded as `T`.
pub async fn get<T: DeserializeOwned>(token: &str, url: &str) -> Result<T, ApiError> {
    let resp = with_headers(Request::get(url), Some(token))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(resp).await
}

/// `method url` with a JSON body and the session's token, decoded as `T`.
pub async fn send<B: serde::Serialize, T: DeserializeOwned>(
    method: Method,
    token: &str,
    url: &str,
    body: &B,
) -> Result<T, ApiError> {
    read(send_raw(method, token, url, body).await?).await
}

/// Like [`send`], for answers without a body (`204 No Content`).
pub async fn send_empty<B: serde::Serialize>(
    method: Method,
    token: &str,
    url: &str,
    body: &B,
) -> Result<(), ApiError> {
    let resp = send_raw(method, token, url, body).await?;
    if resp.ok() {
        Ok(())
    } else {
        read::<serde_json::Value>(resp).await.map(drop)
    }
}

async fn send_raw<B: serde::Serialize>(
    method: Method,
    token: &str,
    url: &str,
    body: &B,
) -> Result<Response, ApiError> {
    let builder = match method {
        Method::Post => Request::post(url),
        Method::Put => Request::put(url),
        Method::Delete => Request::delete(url),
    };
    with_headers(builder, Some(token))
        .json(body)
        .map_err(|e| ApiError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))
}

/// The HTTP methods [`send`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Create or act.
    Post,
    /// Replace.
    Put,
    /// Delete.
    Delete,
}
