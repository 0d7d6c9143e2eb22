//! Head-office statistics and the quarterly spot-check (抽查回访).
//!
//! Who may read: the management line (`manager`, `regional_manager`,
//! `deputy_gm`, `gm`), `quality` and `admin` (`Role::reads_statistics`);
//! `staff` and `department_head` get 403. Roles that do not see every
//! property get their own properties only: without a `property` filter the
//! figures cover their scope, and a property outside it is refused with 403.
//! The figures' definitions are in [`shared::report`].

use super::responses::{Authenticated, JsonBody, StatisticsReaders};
use super::{ClientAddr, audit_entry};
use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiQuery, Body, ErrorBody, Params, blocking};
use crate::state::AppState;
use crate::store::reports::{SpotCheckDraw, SpotCheckFilter, StatsQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use rand_core::{OsRng, RngCore};
use serde::Deserialize;
use shared::case::CaseKind;
use shared::id::PropertyId;
use shared::lang::Lang;
use shared::personal_data::shown;
use shared::report::{DrawRequest, Period, PeriodError, PeriodKind, SpotCheck, Stats};
use shared::role::Scope;
use shared::settings::Settings;

/// The statistics filters (also those of `GET /api/v1/exports/stats.*`).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    /// `month` (default), `quarter`, `year` or `custom`.
    pub period: Option<String>,
    /// For month, quarter and year: any day in the period (`YYYY-MM-DD`,
    /// default today in the company timezone). For custom: the first day.
    #[param(value_type = Option<String>)]
    pub from: Option<NaiveDate>,
    /// For custom: the last day, inclusive.
    #[param(value_type = Option<String>)]
    pub to: Option<NaiveDate>,
    /// Only this property (id).
    pub property: Option<String>,
    /// Only this kind (`complaint`, `repair`, `suggestion`, `inquiry`).
    pub kind: Option<String>,
    /// Label language: `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

/// Refuses roles that may not read statistics and exports.
pub(super) fn require_reader(session: &Session) -> Result<(), ApiError> {
    if session.user.role.reads_statistics() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "the role {} may not read statistics",
            session.user.role.code()
        )))
    }
}

/// Parses a property filter and checks it against the caller's scope.
pub(super) fn scoped_property(
    session: &Session,
    property: Option<&str>,
) -> Result<Option<PropertyId>, ApiError> {
    let Some(p) = property else {
        return Ok(None);
    };
    let id: PropertyId = p
        .parse()
        .map_err(|_| ApiError::bad_request("request.bad_id", "property is not an id"))?;
    if !session.user.scope().allows(id) {
        return Err(ApiError::forbidden("that property is outside your scope"));
    }
    Ok(Some(id))
}

/// Parses a kind code.
pub(super) fn parse_kind(kind: Option<&str>) -> Result<Option<CaseKind>, ApiError> {
    kind.map(|k| {
        CaseKind::ALL
            .into_iter()
            .find(|c| c.code() == k)
            .ok_or_else(|| ApiError::bad_request("request.bad_kind", format!("unknown kind {k}")))
    })
    .transpose()
}

/// Parses a label language; Chinese by default.
pub(super) fn parse_lang(lang: Option<&str>) -> Result<Lang, ApiError> {
    match lang.map(str::to_ascii_lowercase).as_deref() {
        None | Some("zh") | Some("zh-cn") => Ok(Lang::ZhCn),
        Some("en") => Ok(Lang::En),
        Some(other) => Err(ApiError::bad_request(
            "request.bad_lang",
            format!("unknown language {other}; use zh-CN or en"),
        )),
    }
}

/// The period a request asks for, with today in the company timezone as
/// the default day.
pub(super) fn parse_period(p: &StatsParams, settings: &Settings) -> Result<Period, ApiError> {
    let kind = match p.period.as_deref() {
        None => PeriodKind::Month,
        Some(code) => PeriodKind::from_code(code).ok_or_else(|| {
            ApiError::bad_request(
                "stats.bad_period",
                format!("unknown period {code}; use month, quarter, year or custom"),
            )
        })?,
    };
    let period_error = |e: PeriodError| ApiError::bad_request(e.code(), e.to_string());
    match kind {
        PeriodKind::Custom => match (p.from, p.to) {
            (Some(first), Some(last)) => Period::custom(first, last).map_err(period_error),
            _ => Err(period_error(PeriodError::MissingBounds)),
        },
        _ => {
            if p.to.is_some() {
                return Err(ApiError::bad_request(
                    "stats.period_bounds",
                    "`to` is only for custom periods",
                ));
            }
            let day = p
                .from
                .unwrap_or_else(|| Utc::now().with_timezone(&settings.tz()).date_naive());
            Period::containing(kind, day).map_err(period_error)
        }
    }
}

/// Resolves a statistics request into a store query after the role and
/// scope checks; shared with the statistics exports.
pub(super) async fn stats_for(
    state: &AppState,
    session: &Session,
    params: Params<StatsParams>,
) -> Result<(Stats, Settings, Lang), ApiError> {
    require_reader(session)?;
    let ApiQuery(params) = params?;
    let property = scoped_property(session, params.property.as_deref())?;
    let kind = parse_kind(params.kind.as_deref())?;
    let lang = parse_lang(params.lang.as_deref())?;
    let store = state.store.clone();
    let settings = blocking(move || store.config()).await?.settings;
    let period = parse_period(&params, &settings)?;
    let query = StatsQuery::new(
        session.user.scope(),
        property,
        kind,
        period,
        &settings,
        Utc::now(),
        lang,
    );
    let store = state.store.clone();
    let mut stats = crate::bulk::run(move || store.stats(&query)).await?;
    stats.mask_personal_data(shown(&super::settings(state).await?, &session.user, None));
    Ok((stats, settings, lang))
}

/// Every statistic of the period, computed in SQL over the materialized
/// cases. Rates are percentages rounded to two decimals; valid-complaint
/// rates are basis points (100 = 1%); durations are hours.
#[utoipa::path(get, path = "/api/v1/stats", params(StatsParams),
    responses(StatisticsReaders,
        (status = 200, description = "The statistics of the period.", body = Stats),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_kind`, `request.bad_lang`, `stats.bad_period`, `stats.period_bounds`, `stats.period_reversed`, `stats.period_too_long`, `stats.bad_quarter`, `stats.period_out_of_range`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stats(
    State(state): State<AppState>,
    session: Session,
    params: Params<StatsParams>,
) -> Result<Json<Stats>, ApiError> {
    let (stats, _, _) = stats_for(&state, &session, params).await?;
    Ok(Json(stats))
}

/// Spot-check list filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SpotCheckParams {
    /// Only this property.
    pub property: Option<String>,
    /// Only this year.
    pub year: Option<i32>,
    /// Only this quarter.
    pub quarter: Option<u32>,
    /// Only draws whose quarter ends after this instant (RFC 3339): with
    /// `to`, those of the quarters a dashboard's period overlaps, as its
    /// figures count them.
    pub from: Option<DateTime<Utc>>,
    /// Only draws whose quarter starts before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// At most this many draws, the latest first (default and at most
    /// 200): a company draws one per property and quarter, so the list
    /// would otherwise grow for ever.
    pub limit: Option<u32>,
    /// The language of the places in the call lists: `zh-CN` (default)
    /// or `en`.
    pub lang: Option<String>,
}

/// The most draws one answer of `GET /api/v1/spot-checks` lists.
const MAX_SPOT_CHECKS: u32 = 200;

/// Draws the quarter's spot-check sample of a property: a reproducible
/// random share (`spot_check_percent`, rounded up, at least one) of the
/// repair cases resolved in the quarter that are resolved, followed up or
/// closed now. Once per property and quarter, after the quarter has ended;
/// the draw is audited. The results of the calls are recorded by the app
/// as ordinary follow-up ops with `spot_check: true`.
#[utoipa::path(post, path = "/api/v1/spot-checks", request_body = DrawRequest,
    responses(Authenticated, JsonBody,
        (status = 201, description = "The drawn sample.", body = SpotCheck),
        (status = 400, description = "`spot_check.bad_quarter`. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 403, description = "`auth.password_change_required`; `auth.forbidden`: the role does not draw spot-checks, or the property is outside the caller's scope.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such property.", body = ErrorBody),
        (status = 409, description = "`spot_check.quarter_not_over`, `spot_check.already_drawn`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn draw_spot_check(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    json: Body<DrawRequest>,
) -> Result<(StatusCode, Json<SpotCheck>), ApiError> {
    if !session.user.role.draws_spot_checks() {
        return Err(ApiError::forbidden(format!(
            "the role {} does not draw spot-checks",
            session.user.role.code()
        )));
    }
    let ApiJson(req) = json?;
    if !session.user.scope().allows(req.property) {
        return Err(ApiError::forbidden("that property is outside your scope"));
    }
    let store = state.store.clone();
    let (config, properties) = blocking(move || Ok((store.config()?, store.properties()?))).await?;
    if !properties.iter().any(|p| p.id == req.property) {
        return Err(ApiError::not_found("property"));
    }
    let quarter = Period::quarter(req.year, req.quarter)
        .map_err(|e| ApiError::bad_request("spot_check.bad_quarter", e.to_string()))?;
    let tz = config.settings.tz();
    let now = Utc::now();
    let (start, end) = (quarter.start(&tz), quarter.end(&tz));
    if end > now {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "spot_check.quarter_not_over",
            "a quarter is drawn once it has ended, when all its repairs are in",
        ));
    }
    let draw = SpotCheckDraw {
        property: req.property,
        year: req.year,
        quarter: req.quarter,
        start,
        end,
        // The server draws the seed from the operating system's CSPRNG and
        // records it: nobody can choose which cases get checked, and anyone
        // can re-draw the same sample from the recorded seed and the
        // candidates the draw's audit entry lists. Below 2⁵³ so JavaScript
        // keeps it exact.
        seed: OsRng.next_u64() >> 11,
        percent: config.settings.spot_check_percent,
        by: session.user.id,
        at: now,
    };
    let store = state.store.clone();
    let entry = audit_entry(&session, addr, "spot_check.draw", serde_json::Value::Null);
    let mut drawn = blocking(move || store.draw_spot_check(&draw, &entry))
        .await
        .map_err(|e| match e.status() {
            StatusCode::CONFLICT => ApiError::new(
                StatusCode::CONFLICT,
                "spot_check.already_drawn",
                "this quarter's sample is already drawn; see GET /api/v1/spot-checks",
            ),
            _ => e,
        })?;
    drawn.mask_personal_data(shown(&super::settings(&state).await?, &session.user, None));
    Ok((StatusCode::CREATED, Json(drawn)))
}

/// The recorded spot-check draws in the caller's scope, each with its call
/// list (registration number, place, name and phone masked per role,
/// resolved-at) and each call's outcome.
#[utoipa::path(get, path = "/api/v1/spot-checks", params(SpotCheckParams),
    responses(StatisticsReaders,
        (status = 200, description = "The recorded draws.", body = Vec<SpotCheck>),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_lang`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn spot_checks(
    State(state): State<AppState>,
    session: Session,
    params: Params<SpotCheckParams>,
) -> Result<Json<Vec<SpotCheck>>, ApiError> {
    require_reader(&session)?;
    let ApiQuery(params) = params?;
    let filter = SpotCheckFilter {
        property: scoped_property(&session, params.property.as_deref())?,
        year: params.year,
        quarter: params.quarter,
        from: params.from,
        to: params.to,
        limit: params
            .limit
            .unwrap_or(MAX_SPOT_CHECKS)
            .clamp(1, MAX_SPOT_CHECKS),
        lang: parse_lang(params.lang.as_deref())?,
    };
    let scope: Scope = session.user.scope();
    let store = state.store.clone();
    let mut list = crate::bulk::run(move || store.spot_checks(&scope, &filter)).await?;
    let seen = shown(&super::settings(&state).await?, &session.user, None);
    list.iter_mut().for_each(|s| s.mask_personal_data(seen));
    Ok(Json(list))
}
