"""Column schemas for asset metadata, read from the warehouse's Core tables (one source)."""

from dagster import MetadataValue, TableColumn, TableSchema
from sqlalchemy import Table


def column_schema(table: Table) -> MetadataValue:
    """The table's columns as Dagster shows them (name, SQL type, nullability, comment)."""
    return MetadataValue.table_schema(
        TableSchema(
            columns=[
                TableColumn(
                    column.name,
                    str(column.type).lower(),
                    description=column.comment,
                    constraints=None,
                )
                for column in table.columns
            ]
        )
    )
