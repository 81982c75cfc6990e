//! The steps migrations repeat, each written once: tables made (with their
//! keys) and dropped, indexes made and dropped, columns added one statement
//! at a time (SQLite alters one column per statement) and dropped. The SQL
//! is what the spelled-out sea-query builders made before (a schema dump
//! checks it).

use sea_orm_migration::prelude::*;

/// A table to create, made only if it does not exist yet.
pub fn new_table(table: impl IntoTableRef) -> TableCreateStatement {
    Table::create().table(table).if_not_exists().to_owned()
}

/// A primary key of several columns, for a table to create.
pub fn primary_key<C: IntoIndexColumn>(
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    on_columns(columns)
}

fn on_columns<C: IntoIndexColumn>(columns: impl IntoIterator<Item = C>) -> IndexCreateStatement {
    let mut index = Index::create();
    for column in columns {
        index.col(column);
    }
    index
}

/// A foreign key from `column` to `parent`'s `id`: the row goes with its parent.
pub fn cascade(column: impl IntoIden, parent: impl IntoTableRef) -> ForeignKeyCreateStatement {
    references(column, parent, ForeignKeyAction::Cascade)
}

/// A foreign key from `column` to `parent`'s `id`, emptied when the parent goes.
pub fn set_null(column: impl IntoIden, parent: impl IntoTableRef) -> ForeignKeyCreateStatement {
    references(column, parent, ForeignKeyAction::SetNull)
}

fn references(
    column: impl IntoIden,
    parent: impl IntoTableRef,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_col(column)
        .to_tbl(parent)
        .to_col("id")
        .on_delete(on_delete)
        .to_owned()
}

/// Drops the tables, in order.
pub async fn drop_tables<T: IntoTableRef>(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = T>,
) -> Result<(), DbErr> {
    drop_each(manager, tables, false).await
}

/// Drops the tables that are there, in order.
pub async fn drop_tables_if_exist<T: IntoTableRef>(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = T>,
) -> Result<(), DbErr> {
    drop_each(manager, tables, true).await
}

async fn drop_each<T: IntoTableRef>(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = T>,
    if_exists: bool,
) -> Result<(), DbErr> {
    for table in tables {
        let mut drop = Table::drop();
        drop.table(table);
        if if_exists {
            drop.if_exists();
        }
        manager.drop_table(drop).await?;
    }
    Ok(())
}

/// The index `name` on the columns of `table`, made only if it is missing.
pub fn index<C: IntoIndexColumn>(
    name: &str,
    table: impl IntoTableRef,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    on_columns(columns)
        .if_not_exists()
        .name(name)
        .table(table)
        .to_owned()
}

/// Creates the index `name` on the columns of `table` if it is missing.
pub async fn create_index<C: IntoIndexColumn>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    manager.create_index(index(name, table, columns)).await
}

/// Drops the index `name` of `table`.
pub async fn drop_index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
) -> Result<(), DbErr> {
    manager.drop_index(index_drop(name, table)).await
}

/// Drops the index `name` of `table` if it is there.
pub async fn drop_index_if_exists(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
) -> Result<(), DbErr> {
    let mut statement = index_drop(name, table);
    manager.drop_index(statement.if_exists().to_owned()).await
}

fn index_drop(name: &str, table: impl IntoTableRef) -> IndexDropStatement {
    Index::drop().name(name).table(table).to_owned()
}

/// Adds each column that the table does not have yet, one statement each.
pub async fn add_columns(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    for column in columns {
        let name = column.get_column_name();
        if !manager.has_column(&table.to_string(), &name).await? {
            add_columns_unguarded(manager, table.clone(), vec![column]).await?;
        }
    }
    Ok(())
}

/// Adds the columns, one statement each, without asking whether the table
/// has them (a column it has fails the migration).
pub async fn add_columns_unguarded(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    alter_each(manager, table.into_iden(), columns, |alter, column| {
        alter.add_column(column);
    })
    .await
}

/// Drops the columns, one statement each.
pub async fn drop_columns<C: IntoIden>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    alter_each(manager, table.into_iden(), columns, |alter, column| {
        alter.drop_column(column);
    })
    .await
}

/// Alters the table once for each item: SQLite alters one column a statement.
async fn alter_each<T>(
    manager: &SchemaManager<'_>,
    table: DynIden,
    items: impl IntoIterator<Item = T>,
    change: impl Fn(&mut TableAlterStatement, T),
) -> Result<(), DbErr> {
    for item in items {
        let mut alter = Table::alter();
        change(alter.table(table.clone()), item);
        manager.alter_table(alter).await?;
    }
    Ok(())
}
