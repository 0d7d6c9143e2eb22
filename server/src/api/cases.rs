//! Case queries for the app and head office, the case filters the case
//! exports share, and one case's bundle for head office (the record sheet
//! and its evidence as a ZIP, built by `crate::export::bundle`).

use super::ClientAddr;
use super::responses::{AnyRole, Authenticated};
use super::stats::{parse_kind, parse_lang, scoped_property};
use crate::auth::Session;
use crate::error::{ApiError, ApiPath, ApiQuery, ErrorBody, blocking};
use crate::export::bundle;
use crate::state::AppState;
use crate::store::{CaseFilter, Mine};
use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Uri, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::case::{Case, CaseState};
use shared::category::Category;
use shared::id::{CaseId, PropertyId, UserId};
use shared::lang::Lang;
use shared::personal_data::Visibility;
use shared::personal_data::{Shown, shown};
use shared::phone::mask_in_text;
use shared::property::{Location, Property};
use shared::report::{PersonalData, RecordNames, RecordSheet};
use shared::role::{Role, User, mask_name};
use shared::settings::Settings;
use shared::wire::{CaseSummary, Page};

/// The case filters of the case list and the case exports, parsed once
/// into a [`CaseFilter`] ([`CaseQuery::filter`]) so that both select the
/// same cases. Handlers take it with [`CaseFilterQuery`].
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// Property id.
    pub property: Option<String>,
    /// Kind code (complaint, repair, suggestion, inquiry).
    pub kind: Option<String>,
    /// State code.
    pub state: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Only overdue cases.
    #[serde(default)]
    pub overdue: bool,
    /// Only cases the caller is first responder of (whoever registered it,
    /// unless management changed it) or is assigned; for a department
    /// head, also those assigned to their department.
    #[serde(default)]
    pub mine: bool,
    /// Received at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Received before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Text search.
    pub q: Option<String>,
}

impl CaseQuery {
    /// The keys of [`CaseQuery`]; the rest of a query string is the
    /// operation's own.
    const KEYS: [&str; 9] = [
        "property", "kind", "state", "category", "overdue", "mine", "from", "to", "q",
    ];

    /// The filter for the session's user: the property must be an id in
    /// their scope (`request.bad_id`, `auth.forbidden`) and the kind a kind
    /// code (`request.bad_kind`), the state a state code
    /// (`request.bad_state`); names and phones are searched only for a
    /// role that may see them. `page` and `per_page` are the list's paging
    /// (an export walks every page itself).
    pub fn filter(
        self,
        session: &Session,
        settings: &Settings,
        page: u32,
        per_page: u32,
    ) -> Result<CaseFilter, ApiError> {
        let property = scoped_property(session, self.property.as_deref())?;
        let kind = parse_kind(self.kind.as_deref())?;
        // A state misspelt (`in-progress`) is refused, not answered as a
        // list of none.
        if let Some(state) = &self.state
            && !CaseState::ALL.iter().any(|s| s.code() == state)
        {
            return Err(ApiError::bad_request(
                "request.bad_state",
                format!("unknown state {state}"),
            ));
        }
        // A department head's cases are those of their department too
        // (`shared::inbox::mine`).
        let user = &session.user;
        let mine = self.mine.then(|| Mine {
            user: user.id,
            department: (user.role == Role::DepartmentHead)
                .then(|| user.department.clone())
                .flatten()
                .filter(|d| !d.is_empty()),
        });
        Ok(CaseFilter {
            property,
            kind: kind.map(|k| k.code().to_string()),
            state: self.state,
            category: self.category,
            overdue: self.overdue,
            mine,
            from: self.from,
            to: self.to,
            search: shared::search::Query::parse(self.q.as_deref().unwrap_or_default())
                .map_err(|e| ApiError::bad_request("request.bad_query", e.to_string()))?,
            shown: shown(settings, &session.user, None),
            handles: (settings.personal_data.get(session.user.role)
                == Visibility::PhoneWhenHandling)
                .then(|| {
                    let user = &session.user;
                    (user.id, user.department.clone().filter(|d| !d.is_empty()))
                }),
            page,
            per_page,
            after: None,
        })
    }
}

/// One query string read as the [`CaseQuery`] and the operation's own
/// parameters `P` (the list's [`Paging`], an export's language). A key in
/// neither is refused, like any malformed query, with `request.bad_query`.
#[derive(Debug)]
pub struct CaseFilterQuery<P> {
    /// The case filters.
    pub cases: CaseQuery,
    /// The operation's own parameters.
    pub own: P,
}

impl<S, P> FromRequestParts<S> for CaseFilterQuery<P>
where
    S: Send + Sync,
    P: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // The query string is split by key, as sent, and each part read
        // with `Query`: no second decoder, and both parts refuse the keys
        // they do not know.
        let (cases, own): (Vec<&str>, Vec<&str>) = parts
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .partition(|pair| {
                let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
                CaseQuery::KEYS.contains(&key)
            });
        Ok(CaseFilterQuery {
            cases: query_of(&cases)?,
            own: query_of(&own)?,
        })
    }
}

/// Reads `pairs` (as sent, still percent-encoded) like `Query` reads a
/// query string.
fn query_of<T: DeserializeOwned>(pairs: &[&str]) -> Result<T, ApiError> {
    let uri: Uri = format!("/?{}", pairs.join("&"))
        .parse()
        .map_err(|e| ApiError::bad_request("request.bad_query", format!("{e}")))?;
    let Query(value) = Query::try_from_uri(&uri)?;
    Ok(value)
}

/// The case list's paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// Page from 1.
    #[serde(default = "one")]
    pub page: u32,
    /// Page size (at most 500).
    #[serde(default = "fifty")]
    pub per_page: u32,
    /// The `next` of the page before, for the page after it (then `page`
    /// is ignored): no case repeats or is skipped while tablets sync,
    /// as numbered pages shift when a case arrives.
    pub after: Option<String>,
}

impl Paging {
    /// The case `after` names: its received time and id
    /// (`request.bad_query` for anything else).
    fn after(&self) -> Result<Option<(DateTime<Utc>, CaseId)>, ApiError> {
        let Some(after) = &self.after else {
            return Ok(None);
        };
        let bad = || ApiError::bad_request("request.bad_query", format!("after {after:?}"));
        let (at, id) = after.split_once(',').ok_or_else(bad)?;
        let at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| bad())?
            .to_utc();
        let id = id.parse::<CaseId>().map_err(|_| bad())?;
        Ok(Some((at, id)))
    }
}

fn one() -> u32 {
    1
}

fn fifty() -> u32 {
    50
}

/// Lists cases in the caller's scope.
#[utoipa::path(get, path = "/api/v1/cases", params(CaseQuery, Paging),
    responses(Authenticated,
        (status = 200, description = "One page of matching cases.", body = Page<CaseSummary>),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_kind`, `request.bad_state`.", body = ErrorBody),
        (status = 403, description = "`auth.password_change_required`; `auth.forbidden`: the `property` filter is outside the caller's scope.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    query: CaseFilterQuery<Paging>,
) -> Result<Json<Page<CaseSummary>>, ApiError> {
    let settings = super::settings(&state).await?;
    let mut filter = query
        .cases
        .filter(&session, &settings, query.own.page, query.own.per_page)?;
    filter.after = query.own.after()?;
    let scope = session.user.scope();
    let store = state.store.clone();
    let mut page = blocking(move || store.cases(&scope, &filter, Utc::now())).await?;
    // A list row carries the name alone, and the start of the content.
    let seen = shown(&settings, &session.user, None);
    if !seen.all() {
        page.items = page
            .items
            .into_iter()
            .map(|s| mask_summary(s, seen))
            .collect();
    }
    Ok(Json(page))
}

/// A summary with what `seen` does not show masked: the name, and the
/// numbers in the content's start. Rows are stored with those masked
/// (`CaseRow::summary`); a row stored before that, until the server folds
/// it again at start, is masked here.
fn mask_summary(mut s: CaseSummary, seen: Shown) -> CaseSummary {
    if !seen.name {
        s.complainant_name = mask_name(&s.complainant_name);
    }
    if !seen.phone {
        s.summary = mask_in_text(&s.summary).into_owned();
    }
    s
}

/// One case, as the server's fold materialized it.
#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = String, Path, description = "case id")),
    responses(AnyRole,
        (status = 200, description = "The case, masked for roles that may not see personal data.", body = Case),
        (status = 400, description = "`request.bad_id`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such case in the caller's scope.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Case>, ApiError> {
    let id: CaseId = super::path_id(&id, "case")?;
    let store = state.store.clone();
    let found = blocking(move || store.case(id)).await?;
    // Out of scope answers like a missing case: existence is not revealed.
    let case = found
        .filter(|(p, _)| session.user.scope().allows(*p))
        .map(|(_, case)| case)
        .ok_or_else(|| ApiError::not_found("case"))?;
    let settings = super::settings(&state).await?;
    Ok(Json(
        shown(&settings, &session.user, Some(&case)).case(&case),
    ))
}

/// The bundle's own parameter.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BundleParams {
    /// Language of the record: `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

/// One case for head office: a ZIP of `record.html` (the complaint record
/// form, 客户投诉记录表, printable on A4, with the signatures on their
/// lines and a page of the evidence) and `attachments/NN-<kind>-<hash12>.<ext>`,
/// every attachment whose bytes the server holds. Attachments still on a
/// tablet are listed in `record.html` as pending upload (等待上传). For a
/// role that may not see personal data the complainant is masked and their
/// signature left out, as `GET /api/v1/blobs/{hash}` does.
#[utoipa::path(get, path = "/api/v1/cases/{id}/bundle.zip",
    params(("id" = String, Path, description = "case id"), BundleParams),
    responses(AnyRole,
        (status = 200, description = "The ZIP, with `Content-Disposition` naming it after the registration number, and `Content-Length`.", body = [u8], content_type = "application/zip"),
        (status = 400, description = "`request.bad_id`, `request.bad_query`, `request.bad_lang`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such case in the caller's scope.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn bundle(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(id): ApiPath<String>,
    query: Result<ApiQuery<BundleParams>, ApiError>,
) -> Result<Response, ApiError> {
    let id: CaseId = super::path_id(&id, "case")?;
    let ApiQuery(params) = query?;
    let lang = parse_lang(params.lang.as_deref())?;
    let scope = session.user.scope();
    let store = state.store.clone();
    let found = blocking(move || {
        // Out of scope answers like a missing case, before anything else
        // is read: existence is not revealed.
        let Some((_, case)) = store.case(id)?.filter(|(p, _)| scope.allows(*p)) else {
            return Ok(None);
        };
        let config = store.config()?;
        let names = StoreNames {
            users: store.users()?,
            properties: store.properties()?,
            categories: config.categories,
            tz: config.settings.tz(),
        };
        Ok(Some((case, names, config.settings)))
    })
    .await?;
    let (case, names, settings) = found.ok_or_else(|| ApiError::not_found("case"))?;
    // The record form shows the complainant whole or masked whole: a role
    // that sees only the phone gets it masked here too.
    let whole = shown(&settings, &session.user, Some(&case)).all();
    let personal = PersonalData::shown_if(whole);
    let sheet = RecordSheet::of(&case, &names, lang, personal, Utc::now());
    let name = bundle::file_name(sheet.reg_no());
    // The case's record and evidence leave the system as a file: audited
    // as a case list's export is.
    let entry = super::audit_entry(
        &session,
        addr,
        "export.case_bundle",
        serde_json::json!({ "case": id, "reg_no": sheet.reg_no(), "personal_data": whole }),
    );
    let store = state.store.clone();
    let scope = session.user.scope();
    let (file, len) = tokio::task::spawn_blocking(move || {
        // Bytes that are a complainant's signature anywhere are one here
        // too (attached also as a photo in data stored before the push
        // refused that): left out for a reader who sees the complainant
        // masked, as `GET /blobs/{hash}` refuses them.
        let mut sheet = sheet;
        if !whole {
            for e in &mut sheet.evidence {
                if let Some(hash) = e.hash
                    && store.blob_refs(&scope, &hash)?.signature
                {
                    e.hash = None;
                }
            }
        }
        let written = bundle::write(&sheet, lang, store.blobs())?;
        store.audit(entry)?;
        Ok::<_, ApiError>(written)
    })
    .await??;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(bundle::CONTENT_TYPE),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(response)
}

/// The names a record sheet needs, read from the store.
struct StoreNames {
    users: Vec<User>,
    properties: Vec<Property>,
    categories: Vec<Category>,
    tz: Tz,
}

impl RecordNames for StoreNames {
    fn user(&self, id: UserId) -> String {
        self.users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_string(), |u| u.display_name.clone())
    }

    fn category(&self, code: &str, lang: Lang) -> String {
        self.categories
            .iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.name(lang).to_string())
    }

    fn place(&self, property: PropertyId, location: &Location, lang: Lang) -> String {
        self.properties
            .iter()
            .find(|p| p.id == property)
            .map(|p| format!("{} {}", p.name, p.describe_in(location, lang)))
            .unwrap_or_default()
    }

    fn contact(&self, property: PropertyId) -> String {
        self.properties
            .iter()
            .find(|p| p.id == property)
            .map(|p| p.contact.clone())
            .unwrap_or_default()
    }

    fn tz(&self) -> Tz {
        self.tz
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::IntoParams;

    #[test]
    fn the_keys_are_the_filter_fields() {
        // A field missing from `KEYS` would be handed to the operation's own
        // parameters and refused as unknown.
        let names: Vec<String> = CaseQuery::into_params(|| None)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, CaseQuery::KEYS);
    }
}
