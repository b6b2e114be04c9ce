//! The domain of Mutualis: what a French public buyer means by an organisation, a CPV code,
//! an amount, a procedure threshold. Everything here is pure: no I/O, no file format, no SQL,
//! no HTTP. Other crates turn files, rows and requests into these types and back.

pub mod account;
pub mod amount;
pub mod audit;
pub mod campaign;
pub mod consultation;
pub mod contract;
pub mod cpv;
pub mod decimal;
pub mod french;
pub mod groupement;
pub mod ids;
pub mod need;
pub mod opportunity;
pub mod organisation;
pub mod plausibility;
pub mod refusal;
pub mod repair;
pub mod rules;
pub mod text;

pub use account::{AccountError, Capability, Email, PasswordPolicy, Role};
pub use amount::Amount;
pub use contract::{Contract, ContractKind, ContractSource};
pub use cpv::{CpvCode, CpvDepth, CpvEntry, CpvError, CpvNomenclature, CpvRow, NomenclatureError};
pub use decimal::{Decimal, DecimalError, Share};
pub use ids::{IdError, Siren, Siret};
pub use need::{Need, Quantity, Reservation};
pub use organisation::{Organisation, OrganisationKind, Territory};
pub use repair::{Repair, RepairKind};
