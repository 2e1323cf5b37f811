//! A table's columns and the rows buffered for it, whatever the file format: typed column vectors, the shape both
//! Parquet's column writer and a CSV writer consume, so a row costs no allocation beyond its strings.

use parquet::data_type::ByteArray;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    I32,
    F32,
    F64,
    Bool,
    Str,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

/// What docs/datasets.md documents column by column.
#[derive(Debug)]
pub struct Schema {
    pub name: &'static str,
    pub columns: Vec<Column>,
}

impl Schema {
    /// The Parquet message type: flat, one primitive per column; strings annotated as UTF-8.
    pub fn parquet_message(&self) -> String {
        let mut out = format!("message {} {{\n", self.name);
        for c in &self.columns {
            let (physical, annotation) = match c.kind {
                Kind::I32 => ("INT32", ""),
                Kind::F32 => ("FLOAT", ""),
                Kind::F64 => ("DOUBLE", ""),
                Kind::Bool => ("BOOLEAN", ""),
                Kind::Str => ("BYTE_ARRAY", " (STRING)"),
            };
            let repetition = if c.nullable { "optional" } else { "required" };
            out += &format!("  {repetition} {physical} {}{annotation};\n", c.name);
        }
        out + "}\n"
    }
}

#[derive(Debug)]
pub enum Values {
    I32(Vec<i32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Str(Vec<ByteArray>),
}

/// One column's buffered values. Nulls are not stored in `values`: `defs` says, per row, whether the row has a
/// value (1) or is null (0), Parquet's definition levels. Required columns keep `defs` empty.
#[derive(Debug)]
pub struct Buffer {
    pub values: Values,
    pub defs: Vec<i16>,
    pub nullable: bool,
}

/// Rows of one table waiting to be written.
#[derive(Debug)]
pub struct Batch {
    pub columns: Vec<Buffer>,
    pub rows: usize,
}

impl Batch {
    pub fn new(schema: &Schema) -> Batch {
        let columns = schema
            .columns
            .iter()
            .map(|c| Buffer {
                values: match c.kind {
                    Kind::I32 => Values::I32(Vec::new()),
                    Kind::F32 => Values::F32(Vec::new()),
                    Kind::F64 => Values::F64(Vec::new()),
                    Kind::Bool => Values::Bool(Vec::new()),
                    Kind::Str => Values::Str(Vec::new()),
                },
                defs: Vec::new(),
                nullable: c.nullable,
            })
            .collect();
        Batch { columns, rows: 0 }
    }

    /// Starts a row: put every column's value in schema order, then [`Row::end`].
    pub fn row(&mut self) -> Row<'_> {
        Row {
            batch: self,
            next: 0,
        }
    }

    pub fn clear(&mut self) {
        for c in &mut self.columns {
            c.defs.clear();
            match &mut c.values {
                Values::I32(v) => v.clear(),
                Values::F32(v) => v.clear(),
                Values::F64(v) => v.clear(),
                Values::Bool(v) => v.clear(),
                Values::Str(v) => v.clear(),
            }
        }
        self.rows = 0;
    }
}

pub struct Row<'a> {
    batch: &'a mut Batch,
    next: usize,
}

impl Row<'_> {
    /// The next column's value; `None` is null. A value of the wrong type for the column is a bug in the table's
    /// row code: the column then ends up short and writing the batch fails with an error rather than bad data.
    pub fn put(mut self, value: impl Cell) -> Self {
        if let Some(col) = self.batch.columns.get_mut(self.next) {
            value.put(col);
        }
        self.next += 1;
        self
    }

    pub fn end(self) {
        debug_assert_eq!(
            self.next,
            self.batch.columns.len(),
            "row has the wrong arity"
        );
        self.batch.rows += 1;
    }
}

/// A value that goes in a column.
pub trait Cell {
    fn put(self, col: &mut Buffer);
}

fn present(col: &mut Buffer) {
    if col.nullable {
        col.defs.push(1);
    }
}

/// The plain values: pushed into their column's kind of buffer (a column of another kind is never given them).
macro_rules! plain_cells {
    ($($ty:ty => $kind:ident),*) => {$(
        impl Cell for $ty {
            fn put(self, col: &mut Buffer) {
                if let Values::$kind(v) = &mut col.values {
                    v.push(self);
                    present(col);
                }
            }
        }
    )*};
}

plain_cells!(i32 => I32, f32 => F32, f64 => F64, bool => Bool);

/// Ids and frames are unsigned on the wire; Parquet's plain INT32 reads everywhere, and no game reaches 2^31.
impl Cell for u32 {
    fn put(self, col: &mut Buffer) {
        i32::try_from(self).unwrap_or(i32::MAX).put(col)
    }
}

impl Cell for &ByteArray {
    fn put(self, col: &mut Buffer) {
        if let Values::Str(v) = &mut col.values {
            // A ByteArray built from `Bytes` is shared, not copied.
            v.push(self.clone());
            present(col);
        }
    }
}

impl Cell for &str {
    fn put(self, col: &mut Buffer) {
        (&ByteArray::from(self)).put(col)
    }
}

impl<T: Cell> Cell for Option<T> {
    fn put(self, col: &mut Buffer) {
        match self {
            Some(v) => v.put(col),
            None => {
                debug_assert!(col.nullable, "null in a required column");
                col.defs.push(0)
            }
        }
    }
}
