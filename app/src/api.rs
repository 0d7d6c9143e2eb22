//! The HTTP client for the server's JSON API (login, push, pull).
//!
//! Every request carries `x-client-schema`, so a server that no longer
//! accepts this build's ops answers 426 and the app reloads itself.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::lang::Lang;
use shared::op::SCHEMA_VERSION;
use shared::wire::{
    CLIENT_SCHEMA_HEADER, LoginRequest, LoginResponse, PullResponse, PushRequest, PushResponse,
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
    RateLimited,
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
    /// The error in words a staff member understands.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ApiError::Network(_) => lang
                .pick(
                    "无法连接服务器（可能没有网络）。数据已保存在本机，联网后会自动同步。",
                    "Cannot reach the server (no network?). Your work is saved on this tablet and syncs when online.",
                )
                .into(),
            ApiError::Unauthorized { code } if code == "auth.invalid_credentials" => lang
                .pick("账号或密码错误", "Wrong login or password")
                .into(),
            ApiError::Unauthorized { .. } => lang
                .pick(
                    "登录已过期，请退出后重新登录（本机数据不会丢失）",
                    "Your login expired; log out and in again (nothing on this tablet is lost)",
                )
                .into(),
            ApiError::RateLimited => lang
                .pick(
                    "尝试次数过多，请稍后再试",
                    "Too many attempts; try again later",
                )
                .into(),
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
    let body = resp.json::<ErrorBody>().await.ok();
    let (code, message) =
        body.map_or_else(|| (String::new(), String::new()), |b| (b.code, b.message));
    Err(match status {
        401 => ApiError::Unauthorized { code },
        429 => ApiError::RateLimited,
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
