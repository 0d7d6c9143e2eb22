//! Typed ids. Every id is a UUID wrapped in its own type so that a case id
//! can never be passed where a device id is expected. On the wire they are
//! plain UUID strings.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        pub struct $name(pub Uuid);

        impl $name {
            /// The nil id, used only as a sentinel in tests and defaults.
            pub const NIL: Self = Self(Uuid::nil());
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    )*};
}

id_type!(
    /// A case (工单): complaint, repair, suggestion or inquiry.
    CaseId,
    /// One op of the sync log. Created as UUIDv7 on the device.
    OpId,
    /// A tablet or browser profile; tokens are bound to it.
    DeviceId,
    /// A person who logs in.
    UserId,
    /// A property (项目/小区).
    PropertyId,
    /// A building of a property.
    BuildingId,
    /// A unit (户) of a building.
    UnitId,
    /// An attachment (photo, signature, document).
    AttachmentId,
);
