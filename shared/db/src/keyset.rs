//! Keyset pagination: the rows strictly after a marker row in a multi-key sort
//! order, as Cinder's and Glance's `paginate_query` build it.

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::Condition;

/// One sort key: the expression rows are ordered by, the marker row's value of
/// it, and whether the order is descending.
pub struct SortKey {
    pub expr: SimpleExpr,
    pub marker: sea_orm::Value,
    pub descending: bool,
}

/// `(k1 > m1) or (k1 = m1 and k2 > m2) or ...`, with `<` for descending keys.
pub fn after(keys: &[SortKey]) -> Condition {
    let mut any = Condition::any();
    for (i, key) in keys.iter().enumerate() {
        let mut all = Condition::all();
        for earlier in &keys[..i] {
            all = all.add(Expr::expr(earlier.expr.clone()).eq(earlier.marker.clone()));
        }
        let beyond = Expr::expr(key.expr.clone());
        all = all.add(if key.descending {
            beyond.lt(key.marker.clone())
        } else {
            beyond.gt(key.marker.clone())
        });
        any = any.add(all);
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Query, SqliteQueryBuilder};

    #[test]
    fn builds_the_lexicographic_condition() {
        let col = |name: &str| Expr::col(Alias::new(name)).into();
        let keys = [
            SortKey {
                expr: col("size"),
                marker: 5i64.into(),
                descending: false,
            },
            SortKey {
                expr: col("id"),
                marker: "m".into(),
                descending: true,
            },
        ];
        let sql = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("t"))
            .cond_where(after(&keys))
            .to_string(SqliteQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "id" FROM "t" WHERE "size" > 5 OR ("size" = 5 AND "id" < 'm')"#
        );
    }
}
