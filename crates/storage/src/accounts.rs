//! Users, sessions, API tokens and login throttling.

use chrono::{DateTime, Duration, Utc};
use mutualis_domain::{Email, Role};

use crate::scope::{Principal, Scope, TerritoryWide};
use crate::{Database, Result, StorageError, on_backend};

/// A user as listed to a coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub created_at: DateTime<Utc>,
}

/// What signing in needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: i64,
    pub organisation_id: i64,
    pub password_hash: String,
}

/// A personal API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A live session: who, and the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub principal: Principal,
    pub csrf_token: String,
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// From sign-in, whatever happens.
    pub absolute: Duration,
    /// Without any request.
    pub idle: Duration,
}

type PrincipalRow = (i64, i64, String, String, String);

fn principal(row: PrincipalRow) -> Result<Principal> {
    let (user_id, organisation_id, email, role, organisation_name) = row;
    let role = Role::from_code(&role).ok_or_else(|| corrupt("users", "role", &role))?;
    let email = Email::parse(&email).map_err(|_| corrupt("users", "email", &email))?;
    Ok(Principal::new(
        Scope::new(organisation_id, user_id, role),
        email,
        organisation_name,
    ))
}

fn corrupt(table: &'static str, column: &'static str, value: &str) -> StorageError {
    StorageError::Corrupt {
        table,
        column,
        value: value.to_owned(),
        reason: "valeur inconnue".into(),
    }
}

const PRINCIPAL_COLUMNS: &str = "u.id, u.organisation_id, u.email, u.role, o.name";

/// How many live (not revoked) API tokens a user may hold: enough for a few scripts and
/// tools, few enough that a stolen session cannot mint tokens without end.
pub const MAX_LIVE_API_TOKENS: i64 = 10;

impl Database {
    /// Creates an account. An e-mail already used is a conflict, and nothing is written.
    pub async fn create_user(
        &self,
        organisation_id: i64,
        email: &Email,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let existing: Option<i64> = on_backend!(self, pool => {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(pool)
                .await?
        });
        if existing.is_some() {
            return Err(StorageError::Conflict(format!(
                "un compte existe déjà pour l'adresse {email}"
            )));
        }
        Ok(on_backend!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO users (organisation_id, email, role, password_hash, created_at, \
                 password_changed_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(organisation_id)
            .bind(email.as_str())
            .bind(role.code())
            .bind(password_hash)
            .bind(now)
            .fetch_one(pool)
            .await?
        }))
    }

    /// The stored credentials of an account, for signing in.
    pub async fn credentials(&self, email: &Email) -> Result<Option<Credentials>> {
        let row: Option<(i64, i64, String)> = on_backend!(self, pool => {
            sqlx::query_as("SELECT id, organisation_id, password_hash FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(
            row.map(|(user_id, organisation_id, password_hash)| Credentials {
                user_id,
                organisation_id,
                password_hash,
            }),
        )
    }

    /// The password hash of the scope's own user.
    pub async fn own_password_hash(&self, scope: &Scope) -> Result<Option<String>> {
        Ok(on_backend!(self, pool => {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND organisation_id = $2")
                .bind(scope.user_id())
                .bind(scope.organisation_id())
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Replaces the scope's own password, ends every other session of that user and revokes
    /// its live API tokens (whoever held the old password may have made some); returns how
    /// many tokens were revoked.
    pub async fn change_own_password(
        &self,
        scope: &Scope,
        password_hash: &str,
        keep_session_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(on_backend!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE users SET password_hash = $1, password_changed_at = $2 \
                 WHERE id = $3 AND organisation_id = $4",
            )
            .bind(password_hash)
            .bind(now)
            .bind(scope.user_id())
            .bind(scope.organisation_id())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(scope.user_id())
                .bind(keep_session_hash)
                .execute(&mut *tx)
                .await?;
            let revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 \
                 WHERE user_id = $2 AND organisation_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(scope.user_id())
            .bind(scope.organisation_id())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            revoked
        }))
    }

    /// Every user of the territory, for the coordinator.
    pub async fn users_territory_wide(&self, _wide: TerritoryWide) -> Result<Vec<UserRecord>> {
        let rows: Vec<(i64, String, String, i64, String, DateTime<Utc>)> = on_backend!(self, pool => {
            sqlx::query_as(
                "SELECT u.id, u.email, u.role, u.organisation_id, o.name, u.created_at \
                 FROM users u JOIN organisations o ON o.id = u.organisation_id \
                 ORDER BY o.name, u.email",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(id, email, role, organisation_id, organisation_name, created_at)| {
                    Ok(UserRecord {
                        id,
                        role: Role::from_code(&role)
                            .ok_or_else(|| corrupt("users", "role", &role))?,
                        email,
                        organisation_id,
                        organisation_name,
                        created_at,
                    })
                },
            )
            .collect()
    }

    /// Opens a session for a user who has just proved who they are.
    pub async fn create_session(
        &self,
        credentials: &Credentials,
        token_hash: &str,
        csrf_token: &str,
        now: DateTime<Utc>,
        policy: SessionPolicy,
    ) -> Result<()> {
        on_backend!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, organisation_id, csrf_token, \
                 created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
            )
            .bind(token_hash)
            .bind(credentials.user_id)
            .bind(credentials.organisation_id)
            .bind(csrf_token)
            .bind(now)
            .bind(now + policy.absolute)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The live session whose cookie hashes to `token_hash`. An expired or idle session is
    /// deleted and reported as absent.
    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        policy: SessionPolicy,
    ) -> Result<Option<SessionRecord>> {
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            String,
            DateTime<Utc>,
            DateTime<Utc>,
        );
        let row: Option<Row> = on_backend!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {PRINCIPAL_COLUMNS}, s.csrf_token, s.last_seen_at, s.expires_at \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 JOIN organisations o ON o.id = u.organisation_id WHERE s.token_hash = $1"
            ))
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
        });
        let Some((uid, oid, email, role, org, csrf_token, last_seen, expires)) = row else {
            return Ok(None);
        };
        if now >= expires || now - last_seen >= policy.idle {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        // Record activity at most once a minute: reads should not all be writes.
        if now - last_seen >= Duration::minutes(1) {
            on_backend!(self, pool => {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash)
                    .execute(pool)
                    .await?;
            });
        }
        Ok(Some(SessionRecord {
            principal: principal((uid, oid, email, role, org))?,
            csrf_token,
        }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_backend!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Creates a personal API token for the scope's user; returns its id, or `None` when the
    /// user already has [`MAX_LIVE_API_TOKENS`] live tokens (counted and created in one
    /// transaction, one user's creations one after the other).
    pub async fn create_api_token(
        &self,
        scope: &Scope,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        Ok(on_backend!(self, pool => {
            let mut tx = pool.begin().await?;
            // A write before the count: it locks the user's row on PostgreSQL, and on SQLite
            // takes the write lock (waiting for it as long as the busy timeout) before
            // anything is read. Creations asked for at once thus count one after the other:
            // the cap holds, and none fails on SQLite for having read before another wrote.
            sqlx::query("UPDATE users SET role = role WHERE id = $1 AND organisation_id = $2")
                .bind(scope.user_id())
                .bind(scope.organisation_id())
                .execute(&mut *tx)
                .await?;
            let live: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM api_tokens \
                 WHERE user_id = $1 AND organisation_id = $2 AND revoked_at IS NULL",
            )
            .bind(scope.user_id())
            .bind(scope.organisation_id())
            .fetch_one(&mut *tx)
            .await?;
            if live >= MAX_LIVE_API_TOKENS {
                None
            } else {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO api_tokens (token_hash, user_id, organisation_id, name, \
                     created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(token_hash)
                .bind(scope.user_id())
                .bind(scope.organisation_id())
                .bind(name)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Some(id)
            }
        }))
    }

    /// The scope's user's own tokens, newest first.
    pub async fn api_tokens(&self, scope: &Scope) -> Result<Vec<ApiTokenRecord>> {
        type Row = (
            i64,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = on_backend!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens \
                 WHERE user_id = $1 AND organisation_id = $2 ORDER BY id DESC",
            )
            .bind(scope.user_id())
            .bind(scope.organisation_id())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, name, created_at, last_used_at, revoked_at)| ApiTokenRecord {
                    id,
                    name,
                    created_at,
                    last_used_at,
                    revoked_at,
                },
            )
            .collect())
    }

    /// Revokes one of the scope's user's own tokens. `false` when there is no such token for
    /// this user (another user's token id included) or it was already revoked.
    pub async fn revoke_api_token(
        &self,
        scope: &Scope,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = on_backend!(self, pool => {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
                 AND organisation_id = $4 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(scope.user_id())
            .bind(scope.organisation_id())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// The user behind a live (not revoked) API token, recording its use.
    pub async fn api_token_principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>> {
        let row: Option<PrincipalRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {PRINCIPAL_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 JOIN organisations o ON o.id = u.organisation_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
            ))
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else { return Ok(None) };
        on_backend!(self, pool => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(Some(principal(row)?))
    }

    /// Failed sign-ins recorded under `key` in the window that ends now.
    pub async fn login_failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<i64> {
        let row: Option<(i64, DateTime<Utc>)> = on_backend!(self, pool => {
            sqlx::query_as("SELECT failures, window_start FROM login_throttle WHERE throttle_key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(match row {
            Some((failures, start)) if now - start < window => failures,
            _ => 0,
        })
    }

    /// Records a failed sign-in under `key`; returns the failures in the current window.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<i64> {
        let current = self.login_failures(key, now, window).await?;
        let (failures, start) = if current == 0 {
            (1, now)
        } else {
            (current + 1, now)
        };
        // Keep the window's start when it is still running.
        let start_sql = if current == 0 {
            "excluded.window_start"
        } else {
            "login_throttle.window_start"
        };
        on_backend!(self, pool => {
            sqlx::query(&format!(
                "INSERT INTO login_throttle (throttle_key, failures, window_start) VALUES ($1, $2, $3) \
                 ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures, \
                 window_start = {start_sql}"
            ))
            .bind(key)
            .bind(failures)
            .bind(start)
            .execute(pool)
            .await?;
        });
        Ok(failures)
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        on_backend!(self, pool => {
            sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
