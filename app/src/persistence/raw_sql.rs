//! Hand-written SQL for both databases: written once with `?`
//! placeholders, numbered (`$1`, `$2`, …) for PostgreSQL.

use sea_orm::{DatabaseBackend, Statement, Value};

/// `text` with its placeholders in `backend`'s style, bound to `values`.
pub fn statement(
    backend: DatabaseBackend,
    text: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        numbered(text)
    } else {
        text.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `text` with its `?` placeholders numbered (`$1`, `$2`, …), as
/// PostgreSQL takes them.
pub fn numbered(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    for c in text.chars() {
        if c == '?' {
            n += 1;
            let _ = write!(out, "${n}");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgresql_only() {
        let text = "SELECT a FROM t WHERE b = ? AND c <= ?";
        let pg = statement(DatabaseBackend::Postgres, text, [1.into(), 2.into()]);
        assert_eq!(pg.sql, "SELECT a FROM t WHERE b = $1 AND c <= $2");
        let lite = statement(DatabaseBackend::Sqlite, text, [1.into(), 2.into()]);
        assert_eq!(lite.sql, text);
    }
}
