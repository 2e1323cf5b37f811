//! Where a table's batches go: a Parquet file (one row group per batch) or a CSV file (a header, then rows).

use super::table::{Batch, Kind, Schema, Values};
use anyhow::Context;
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArrayType, DoubleType, FloatType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Parquet,
    Csv,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
        }
    }
}

pub trait Sink {
    fn write(&mut self, batch: &Batch) -> anyhow::Result<()>;
    /// Writes what a reader needs to find the data (Parquet's footer) and flushes to the OS.
    fn finish(self: Box<Self>) -> anyhow::Result<()>;
}

pub fn open(format: Format, schema: &Schema, file: File) -> anyhow::Result<Box<dyn Sink>> {
    let out = BufWriter::with_capacity(256 * 1024, file);
    Ok(match format {
        Format::Parquet => Box::new(ParquetSink::new(schema, out)?),
        Format::Csv => Box::new(CsvSink::new(schema, out)?),
    })
}

struct ParquetSink {
    writer: SerializedFileWriter<BufWriter<File>>,
}

impl ParquetSink {
    fn new(schema: &Schema, out: BufWriter<File>) -> anyhow::Result<ParquetSink> {
        let message = schema.parquet_message();
        let parsed = parquet::schema::parser::parse_message_type(&message)
            .with_context(|| format!("table {}: bad Parquet schema", schema.name))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("bar-overlay {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = SerializedFileWriter::new(out, Arc::new(parsed), Arc::new(props))?;
        Ok(ParquetSink { writer })
    }
}

impl Sink for ParquetSink {
    fn write(&mut self, batch: &Batch) -> anyhow::Result<()> {
        if batch.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group()?;
        for buffer in &batch.columns {
            let mut col = group
                .next_column()?
                .context("more buffered columns than the schema has")?;
            let defs = buffer.nullable.then_some(buffer.defs.as_slice());
            match &buffer.values {
                Values::I32(v) => col.typed::<Int32Type>().write_batch(v, defs, None)?,
                Values::F32(v) => col.typed::<FloatType>().write_batch(v, defs, None)?,
                Values::F64(v) => col.typed::<DoubleType>().write_batch(v, defs, None)?,
                Values::Bool(v) => col.typed::<BoolType>().write_batch(v, defs, None)?,
                Values::Str(v) => col.typed::<ByteArrayType>().write_batch(v, defs, None)?,
            };
            col.close()?;
        }
        group.close()?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> anyhow::Result<()> {
        let mut out = self.writer.into_inner()?;
        out.flush()?;
        out.get_ref().sync_all()?;
        Ok(())
    }
}

struct CsvSink {
    writer: csv::Writer<BufWriter<File>>,
    kinds: Vec<Kind>,
    field: String,
}

impl CsvSink {
    fn new(schema: &Schema, out: BufWriter<File>) -> anyhow::Result<CsvSink> {
        let mut writer = csv::WriterBuilder::new().from_writer(out);
        writer.write_record(schema.columns.iter().map(|c| c.name))?;
        Ok(CsvSink {
            writer,
            kinds: schema.columns.iter().map(|c| c.kind).collect(),
            field: String::new(),
        })
    }
}

impl Sink for CsvSink {
    fn write(&mut self, batch: &Batch) -> anyhow::Result<()> {
        // Where each column is in its values: nulls take a row but no value.
        let mut next = vec![0usize; batch.columns.len()];
        for row in 0..batch.rows {
            for (c, buffer) in batch.columns.iter().enumerate() {
                if buffer.nullable && buffer.defs.get(row) != Some(&1) {
                    self.writer.write_field("")?;
                    continue;
                }
                let i = next[c];
                next[c] += 1;
                self.field.clear();
                // Display gives the shortest text that reads back as the same number.
                let written = match &buffer.values {
                    Values::I32(v) => v.get(i).map(|x| write!(self.field, "{x}")),
                    Values::F32(v) => v.get(i).map(|x| write!(self.field, "{x}")),
                    Values::F64(v) => v.get(i).map(|x| write!(self.field, "{x}")),
                    Values::Bool(v) => v.get(i).map(|x| write!(self.field, "{x}")),
                    Values::Str(v) => {
                        let bytes = v.get(i).context("column shorter than the batch")?;
                        self.writer.write_field(bytes.data())?;
                        continue;
                    }
                };
                written.with_context(|| {
                    format!("column {c} ({:?}) shorter than the batch", self.kinds[c])
                })??;
                self.writer.write_field(&self.field)?;
            }
            self.writer.write_record(None::<&[u8]>)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> anyhow::Result<()> {
        let out = self
            .writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write CSV: {}", e.error()))?;
        let file = out
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write CSV: {}", e.error()))?;
        file.sync_all()?;
        Ok(())
    }
}
