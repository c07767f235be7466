#!/usr/bin/env python3
"""Rewrite a Parquet file written by `kfql convert` (the workflow-instance
schema) as pyarrow writes Parquet, with other types and other settings,
for tests/arrow_parquet.rs:

    rewrite.py IN.parquet OUT.parquet [CODEC]

The values stay the same; what changes is how they are laid out:

- types: the status dictionary-encoded with int8 keys, the title as
  large_string, the step name as string_view, the reference id as int32,
  the start as milliseconds without a time zone, the last change as
  microseconds labelled America/New_York, the definition id as text;
- pages: version 2 data pages of at most 2 kB, row groups of 333 rows,
  dictionaries only for some columns, delta encodings for the id and the
  title, the page index written, statistics only for some columns;
- compression: CODEC for every column (default snappy), the title
  uncompressed.
"""
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

source, target = sys.argv[1], sys.argv[2]
codec = sys.argv[3] if len(sys.argv) > 3 else "snappy"

table = pq.read_table(source)


def column(name, array):
    global table
    table = table.set_column(table.schema.get_field_index(name), name, array)


def guid_text(b):
    return None if b is None else b.hex().upper()


column("Status", pc.cast(table["Status"], pa.dictionary(pa.int8(), pa.string())))
column("Title", pc.cast(table["Title"], pa.large_string()))
# kfql wrote it dictionary-encoded, which casts to string_view only
# through plain text.
column(
    "CurrentStepDisplayName",
    pc.cast(pc.cast(table["CurrentStepDisplayName"], pa.string()), pa.string_view()),
)
column("ReferenceId", pc.cast(table["ReferenceId"], pa.int32()))
column("StartDate", pc.cast(table["StartDate"], pa.timestamp("ms")))
column("LastModified", pc.cast(table["LastModified"], pa.timestamp("us", tz="America/New_York")))
column(
    "DefinitionId",
    pa.array([guid_text(b) for b in table["DefinitionId"].to_pylist()], pa.string()),
)

compression = {name: codec for name in table.column_names}
compression["Title"] = "none"
pq.write_table(
    table,
    target,
    row_group_size=333,
    data_page_size=2048,
    data_page_version="2.0",
    use_dictionary=["Status", "InitiatingUserName", "WorkflowType"],
    column_encoding={"ReferenceId": "DELTA_BINARY_PACKED", "Title": "DELTA_LENGTH_BYTE_ARRAY"},
    compression=compression,
    write_statistics=["StartDate", "ReferenceId"],
    write_page_index=True,
)
