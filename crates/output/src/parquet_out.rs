//! Parquet encoder of the predict/stream stage (cargo feature `parquet`): records -> typed
//! columns, Snappy-compressed, in row groups of a fixed number of rows.
//!
//! Columns are those of the CSV output with types: times `Float64` (seconds), probabilities
//! `Float32` (as the model computed them, not rounded), names `Utf8`, `windows` `Int64`; clip
//! `topN`/`topN_p` are nullable (a clip with fewer than k classes). Window records get one
//! `Float32` column per class, named by class: `df["dog_bark"]` in pandas or polars, with no
//! list column to explode. The file's key-value metadata holds `hark.kind` and `hark.classes`
//! (a JSON list, in class order).
//!
//! Memory stays bounded: rows are gathered into Arrow batches of at most [`BATCH_ROWS`] and
//! handed to the Parquet writer, which encodes them and writes a row group every
//! `row_group_rows` rows.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{Float32Builder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::encode::EncodeError;
use crate::record::Layout;
use crate::{Record, RecordKind};

/// Rows gathered before they are handed to the Parquet writer.
pub const BATCH_ROWS: usize = 4096;

impl From<ParquetError> for EncodeError {
    fn from(e: ParquetError) -> EncodeError {
        match e {
            ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
                Ok(io) => EncodeError::Io(*io),
                Err(other) => EncodeError::Format(other.to_string()),
            },
            other => EncodeError::Format(other.to_string()),
        }
    }
}

impl From<ArrowError> for EncodeError {
    fn from(e: ArrowError) -> EncodeError {
        match e {
            ArrowError::IoError(_, io) => EncodeError::Io(io),
            other => EncodeError::Format(other.to_string()),
        }
    }
}

/// One column being gathered.
enum Column {
    Str(StringBuilder),
    F32(Float32Builder),
    F64(Float64Builder),
    I64(Int64Builder),
}

impl Column {
    fn new(t: &DataType) -> Column {
        match t {
            DataType::Float32 => Column::F32(Float32Builder::new()),
            DataType::Float64 => Column::F64(Float64Builder::new()),
            DataType::Int64 => Column::I64(Int64Builder::new()),
            _ => Column::Str(StringBuilder::new()),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Str(b) => Arc::new(b.finish()),
            Column::F32(b) => Arc::new(b.finish()),
            Column::F64(b) => Arc::new(b.finish()),
            Column::I64(b) => Arc::new(b.finish()),
        }
    }

    fn str(&mut self, v: Option<&str>) {
        match self {
            Column::Str(b) => b.append_option(v),
            _ => unreachable!("schema and row disagree: string column expected"),
        }
    }

    fn f32(&mut self, v: Option<f32>) {
        match self {
            Column::F32(b) => b.append_option(v),
            _ => unreachable!("schema and row disagree: Float32 column expected"),
        }
    }

    fn f64(&mut self, v: f64) {
        match self {
            Column::F64(b) => b.append_value(v),
            _ => unreachable!("schema and row disagree: Float64 column expected"),
        }
    }

    fn i64(&mut self, v: i64) {
        match self {
            Column::I64(b) => b.append_value(v),
            _ => unreachable!("schema and row disagree: Int64 column expected"),
        }
    }
}

/// The Arrow schema of a layout (column names as in CSV).
fn schema(layout: &Layout) -> Schema {
    let names = layout.columns();
    let types: Vec<(DataType, bool)> = match layout.kind {
        RecordKind::Clip => {
            let mut t = vec![
                (DataType::Utf8, false),
                (DataType::Utf8, false),
                (DataType::Float32, false),
                (DataType::Int64, false),
                (DataType::Float64, false),
            ];
            for _ in 0..layout.top_k {
                t.push((DataType::Utf8, true));
                t.push((DataType::Float32, true));
            }
            t
        }
        RecordKind::Window => {
            let mut t = vec![
                (DataType::Utf8, false),
                (DataType::Float64, false),
                (DataType::Float64, false),
                (DataType::Utf8, false),
                (DataType::Float32, false),
            ];
            t.extend(layout.classes.iter().map(|_| (DataType::Float32, false)));
            t
        }
        RecordKind::Event => vec![
            (DataType::Utf8, false),
            (DataType::Utf8, false),
            (DataType::Float64, false),
            (DataType::Float64, false),
            (DataType::Float32, false),
            (DataType::Float32, false),
        ],
    };
    debug_assert_eq!(names.len(), types.len());
    Schema::new(
        names
            .into_iter()
            .zip(types)
            .map(|(n, (t, nullable))| Field::new(n, t, nullable))
            .collect::<Vec<_>>(),
    )
}

pub(crate) struct ParquetEncoder<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    columns: Vec<Column>,
    top_k: usize,
    rows: usize,
    batch_rows: usize,
}

impl<W: Write + Send> ParquetEncoder<W> {
    pub fn new(
        w: W,
        layout: &Layout,
        row_group_rows: usize,
    ) -> Result<ParquetEncoder<W>, EncodeError> {
        let row_group_rows = row_group_rows.max(1);
        let schema = Arc::new(schema(layout));
        let classes = serde_json::to_string(&layout.classes)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(row_group_rows))
            .set_created_by(format!("hark {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![
                KeyValue::new("hark.kind".into(), layout.kind.to_string()),
                KeyValue::new("hark.classes".into(), classes),
            ]))
            .build();
        let writer = ArrowWriter::try_new(w, schema.clone(), Some(props))?;
        let columns = schema
            .fields()
            .iter()
            .map(|f| Column::new(f.data_type()))
            .collect();
        Ok(ParquetEncoder {
            writer,
            schema,
            columns,
            top_k: layout.top_k,
            rows: 0,
            batch_rows: BATCH_ROWS.min(row_group_rows),
        })
    }

    pub fn write(&mut self, record: &Record) -> Result<(), EncodeError> {
        let c = &mut self.columns;
        match record {
            Record::Clip(r) => {
                c[0].str(Some(&r.file));
                c[1].str(Some(&r.label));
                c[2].f32(Some(r.probability));
                c[3].i64(i64::try_from(r.windows).unwrap_or(i64::MAX));
                c[4].f64(r.duration_s);
                for i in 0..self.top_k {
                    let top = r.top.get(i);
                    c[5 + 2 * i].str(top.map(|(l, _)| l.as_str()));
                    c[6 + 2 * i].f32(top.map(|(_, p)| *p));
                }
            }
            Record::Window(r) => {
                c[0].str(Some(&r.file));
                c[1].f64(r.start_s);
                c[2].f64(r.end_s);
                c[3].str(Some(&r.label));
                c[4].f32(Some(r.probability));
                for (col, p) in c[5..].iter_mut().zip(&r.probs) {
                    col.f32(Some(*p));
                }
            }
            Record::Event(r) => {
                c[0].str(Some(&r.file));
                c[1].str(Some(&r.label));
                c[2].f64(r.start_s);
                c[3].f64(r.end_s);
                c[4].f32(Some(r.mean));
                c[5].f32(Some(r.peak));
            }
        }
        self.rows += 1;
        if self.rows == self.batch_rows {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<(), EncodeError> {
        if self.rows == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.writer.write(&batch)?;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last rows, the last row group and the footer.
    pub fn finish(mut self) -> Result<W, EncodeError> {
        self.write_batch()?;
        Ok(self.writer.into_inner()?)
    }
}
