//! The steps migrations repeat, each written once: columns added one
//! statement at a time (SQLite alters one column per statement), dropped,
//! an index made, tables dropped. The SQL is what the spelled-out
//! sea-query builders made before (a schema dump checks it).

use sea_orm_migration::prelude::*;

/// Adds each column that the table does not have yet, one statement each.
pub async fn add_columns(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    for mut column in columns {
        let name = column.get_column_name();
        if manager.has_column(table, &name).await? {
            continue;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Drops the columns, one statement each.
pub async fn drop_columns(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[&str],
) -> Result<(), DbErr> {
    for column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .drop_column(Alias::new(*column))
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}
