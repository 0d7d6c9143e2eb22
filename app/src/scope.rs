//! What the tablet holds is one user's cases, pulled for their property
//! scope and masked for their role (the server masks by role,
//! `shared::personal_data`). When an administrator moves the user to other
//! properties or gives them another role, those cases go and the new
//! scope's come, but only once nothing the tablet recorded is still to
//! upload: a login does it at once when nothing waits, and otherwise the
//! first sync that sent everything does ([`settle`]).

use crate::db::{self, DbError, Restart};
use crate::state::AppCtx;
use leptos::prelude::*;
use shared::device::{self, DeviceState};
use shared::id::OpId;
use shared::role::User;
use std::collections::HashSet;

/// The evidence still to upload, as the sequence numbers of the ops it
/// belongs to (`shared::device::unsent`); not what the server refused
/// (set aside: it waits for an admin, whoever is logged in, and its bytes
/// stay), nor a former device id's, whose numbers are not the device's
/// now and whose ops hold no login either.
pub fn unsent_uploads(ctx: AppCtx) -> Vec<u64> {
    let current = ctx.device.with_untracked(|d| d.as_ref().map(|d| d.device));
    ctx.uploads.with_untracked(|u| {
        u.values()
            .filter(|p| !p.set_aside && !p.of_former_device(current))
            .map(|p| p.seq)
            .collect()
    })
}

/// Whether the cases on the tablet were pulled for another scope or role
/// than `user`'s now. Nothing kept (builds before it was) counts as the
/// same.
pub async fn moved(user: &User) -> bool {
    let (scope, role) = db::pulled_for().await.unwrap_or_else(|e| {
        leptos::logging::warn!("reading the scope the cases were pulled for: {e}");
        (None, None)
    });
    scope.is_some_and(|held| held != user.scope()) || role.is_some_and(|held| held != user.role)
}

/// Drops the cases, the configuration and the evidence bytes the tablet
/// holds, in storage and in memory: another user's, or those of a scope
/// the user no longer has. What exists nowhere else stays: the device's
/// own ops `state` keeps, with the bytes they name; the ops of a former
/// device id; the uploads set aside. `restart` is stored with it, and its
/// state taken in memory. Returns false, having changed nothing, when the
/// stored session is no longer `restart`'s.
pub async fn drop_cases(
    ctx: AppCtx,
    state: &DeviceState,
    restart: Option<Restart<'_>>,
) -> Result<bool, DbError> {
    let mut kept = ctx
        .ops
        .with_value(|log| log.to_keep(state, crate::state::now()));
    // The bytes of uploads set aside exist nowhere else, and those of the
    // ops kept aside that the server took are asked for again by a server
    // restored from a backup older than them
    // (`evidence::upload::offer_again`). A refused op's bytes the server
    // never takes unless an administrator re-applies it: its upload is
    // then set aside, unless the op was discarded.
    let refused: HashSet<OpId> = state.refused.iter().map(|r| r.op).collect();
    let mut keep: Vec<_> = ctx.uploads.with_untracked(|u| u.keys().copied().collect());
    keep.extend(
        kept.iter()
            .filter(|op| !refused.contains(&op.id))
            .flat_map(|op| op.blob_hashes()),
    );
    // A restore's re-offer still owed: every file of this device's ops
    // may be one the restored server lacks.
    if state.reoffer {
        ctx.ops.with_value(|log| {
            let own = log.cases().flat_map(|(_, ops)| ops).chain(log.kept());
            keep.extend(
                own.filter(|op| op.device == state.device)
                    .flat_map(|op| op.blob_hashes()),
            );
        });
    }
    let stranded = db::stranded_ops(state.device).await?;
    keep.extend(stranded.iter().flat_map(|op| op.blob_hashes()));
    kept.extend(stranded);
    let restarted = restart.as_ref().map(|r| r.state.clone());
    if !db::clear_cases(&keep, &kept, restart).await? {
        return Ok(false);
    }
    ctx.clear_cases(kept);
    // The cursor in memory must not outlive the cases either: a login that
    // fails after this would store it again.
    if let Some(state) = restarted {
        ctx.device.set(Some(state));
    }
    Ok(true)
}

/// After a sync of the session `token` that sent everything: if the
/// tablet's cases were pulled for a scope or a role the user no longer
/// has, they go and the pull cursor starts again. Returns whether they
/// went: the next sync pulls the new scope's cases from the start.
pub async fn settle(ctx: AppCtx, token: &str) -> Result<bool, DbError> {
    let current = |ctx: AppCtx| {
        ctx.session.with_untracked(|s| {
            s.as_ref()
                .filter(|s| s.token == token)
                .map(|s| s.user.clone())
        })
    };
    let Some(user) = current(ctx) else {
        return Ok(false);
    };
    if !moved(&user).await {
        return Ok(false);
    }
    // An op recorded between the count below and the clearing would be
    // cleared with the cases.
    let _turn = crate::record::between_recordings().await;
    let Some(mut state) = ctx.device.get_untracked() else {
        return Ok(false);
    };
    if current(ctx).is_none() || device::unsent(state.pending(), &unsent_uploads(ctx)) > 0 {
        return Ok(false);
    }
    state.pull_again();
    let restart = Restart {
        state: &state,
        pulled_for: Some((&user.scope(), user.role)),
        session: Some(token),
    };
    drop_cases(ctx, &state, Some(restart)).await
}
