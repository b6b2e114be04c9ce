//! What a use case can fail with, by kind: the web layer turns each kind into its status and
//! error page, the command line into its message.

use mutualis_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// This user may not do this (role or scope).
    #[error("accès refusé")]
    Forbidden,
    /// No such object, or not one this user may see (another tenant's objects included).
    #[error("introuvable")]
    NotFound,
    /// The request cannot be answered as asked; the message, in French, says why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Something that should not happen: logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        AppError::Internal(cause.to_string())
    }
}
