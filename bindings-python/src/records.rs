//! An analysis's records kept native ([`NativeRecords`]), so that `analyze` hands Python the
//! report without them and Python pays for records only when it reads them: as the report's
//! JSON (the `Record` list) or as Arrow columns ([`RecordsTable`]) that pandas (through
//! pyarrow) and polars take through the Arrow C stream interface, with no Python object per
//! cell.
//!
//! # Arrow types
//! One column per attribute key, after the Int64 column `row`:
//! - only text: Utf8 (LargeUtf8 past 2 GiB of text, which Utf8's offsets cannot address);
//! - only whole numbers: Int64; whole numbers and fractions: Float64;
//! - only yes/no values: Boolean; only dates: Date32;
//! - no value in any record: Arrow's null type;
//! - several kinds (which an analysis does not give, but records read back from JSON can,
//!   with values of no attribute type): LargeUtf8 of each value as the report's JSON text of
//!   it ([`RecordValue::to_text`]).
//!
//! A record without a value of a key is a null in that column.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, LargeStringBuilder, StringBuilder,
    StringViewBuilder,
};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::types::Date32Type;
use arrow_array::{
    Array, ArrayRef, Float64Array, Int64Array, NullArray, RecordBatch, RecordBatchIterator,
    RecordBatchOptions, new_null_array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use conferral::{RecordValue, Records};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList, PyString};

use crate::json_error;

/// The name the Arrow C stream interface gives a stream's capsule.
const STREAM_CAPSULE: &std::ffi::CStr = c"arrow_array_stream";

/// The records of an analysis's valid rows, as the core holds them.
#[pyclass(frozen, module = "conferral._native", name = "Records")]
pub struct NativeRecords {
    records: Records,
}

impl NativeRecords {
    pub fn new(records: Records) -> NativeRecords {
        NativeRecords { records }
    }
}

#[pymethods]
impl NativeRecords {
    /// Records read back from the JSON of a report's `records` (dates come back as text).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<NativeRecords> {
        crate::parse("the records", text).map(NativeRecords::new)
    }

    fn __len__(&self) -> usize {
        self.records.len()
    }

    /// The attribute keys a record may have a value of, sorted.
    fn keys(&self) -> Vec<String> {
        self.records.keys().to_vec()
    }

    /// The records as the report's JSON reads in Python: a list of `{"row": int, "values":
    /// dict}`, dates as `YYYY-MM-DD`, each key one shared string. Built here rather than
    /// through JSON text, which takes Python several times as long to read.
    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let keys: Vec<(&str, Bound<'py, PyString>)> = self
            .records
            .keys()
            .iter()
            .map(|k| (k.as_str(), PyString::intern(py, k)))
            .collect();
        let (row_key, values_key) = (intern!(py, "row"), intern!(py, "values"));
        let list = PyList::empty(py);
        for record in self.records.iter() {
            let values = PyDict::new(py);
            for (key, name) in &keys {
                if let Some(value) = record.get(key) {
                    values.set_item(name, value_to_python(py, value)?)?;
                }
            }
            let item = PyDict::new(py);
            item.set_item(row_key, record.row())?;
            item.set_item(values_key, values)?;
            list.append(item)?;
        }
        Ok(list)
    }

    /// The records as Arrow columns: `row`, then the values of each of `keys` in that order;
    /// with `text_views`, text columns are Utf8View (the strings polars holds, which it then
    /// takes as they are) rather than Utf8. Built without the GIL.
    #[pyo3(signature = (keys, text_views=false))]
    fn to_arrow(
        &self,
        py: Python<'_>,
        keys: Vec<String>,
        text_views: bool,
    ) -> PyResult<RecordsTable> {
        if let Some(unknown) = keys.iter().find(|k| self.records.column(k).is_none()) {
            return Err(PyValueError::new_err(format!(
                "no record can have a value of `{unknown}`"
            )));
        }
        let (schema, batches) = py
            .detach(|| record_batches(&self.records, &keys, CHUNK_ROWS, text_views))
            .map_err(|e| PyValueError::new_err(format!("the records as Arrow columns: {e}")))?;
        Ok(RecordsTable { schema, batches })
    }
}

/// Records as Arrow columns (batches of up to [`CHUNK_ROWS`] rows), read through the Arrow C
/// stream interface
/// (`pyarrow.table(t)`, `polars.DataFrame(t)`), as many times as asked.
#[pyclass(frozen, module = "conferral._native")]
pub struct RecordsTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

#[pymethods]
impl RecordsTable {
    fn __len__(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The columns as an Arrow C stream of batches. The interface lets a producer ignore
    /// `requested_schema`; the consumer casts if it wants other types.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batches = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(batches));
        PyCapsule::new_with_value(py, stream, STREAM_CAPSULE)
    }
}

/// A value as Python reads the report's JSON of it.
fn value_to_python<'py>(py: Python<'py>, value: RecordValue<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        RecordValue::Text(t) => PyString::new(py, t).into_any(),
        RecordValue::Integer(n) => n.into_pyobject(py)?.into_any(),
        // JSON has no number that is not finite: the report writes `null` for one.
        RecordValue::Float(n) if !n.is_finite() => py.None().into_bound(py),
        RecordValue::Float(n) => n.into_pyobject(py)?.into_any(),
        RecordValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        RecordValue::Date(_) => PyString::new(py, &value.to_text()).into_any(),
        RecordValue::Other(v) => {
            let text = serde_json::to_string(v).map_err(|e| json_error("a record's value", &e))?;
            py.import(intern!(py, "json"))?
                .call_method1(intern!(py, "loads"), (text,))?
        }
    })
}

/// Most rows one thread turns into one batch of columns.
const CHUNK_ROWS: usize = 256 * 1024;

/// The columns (`row`, then each key's) as batches of up to `chunk_rows` rows, built on as
/// many threads as there are cores. Records are read a row at a time, in the order their
/// values are stored: a column at a time reads memory eight times as scattered, and takes
/// twice as long.
///
/// Each column takes the type of its first value and widens as it goes (from no value yet,
/// from whole numbers to all numbers), which an analysis's records always allow: one pass.
/// When they do not (several kinds of value, read back from JSON), a first pass finds each
/// column's type and a second fills the columns.
fn record_batches(
    records: &Records,
    keys: &[String],
    chunk_rows: usize,
    views: bool,
) -> Result<(SchemaRef, Vec<RecordBatch>), ArrowError> {
    let chunks: Vec<std::ops::Range<usize>> = (0..records.len())
        .step_by(chunk_rows.max(1))
        .map(|start| start..records.len().min(start + chunk_rows.max(1)))
        .collect();
    // Which column each of the records' keys goes to.
    let to_column: Vec<Option<usize>> = records
        .keys()
        .iter()
        .map(|k| keys.iter().position(|c| c == k))
        .collect();
    match in_one_pass(records, keys, &to_column, &chunks, views)? {
        Some(done) => Ok(done),
        None => in_two_passes(records, keys, &to_column, &chunks),
    }
}

/// The batches built in one pass (text as Utf8View with `views`), or `None` when a column
/// holds values of several kinds.
fn in_one_pass(
    records: &Records,
    keys: &[String],
    to_column: &[Option<usize>],
    chunks: &[std::ops::Range<usize>],
    views: bool,
) -> Result<Option<(SchemaRef, Vec<RecordBatch>)>, ArrowError> {
    let built = on_threads(chunks, |rows| {
        columns_in_one_pass(records, to_column, (keys.len(), views), rows)
    });
    let Some(mut built) = built.into_iter().collect::<Option<Vec<Vec<ArrayRef>>>>() else {
        return Ok(None);
    };
    // Chunks may differ (no value yet in one, whole numbers in one and fractions in
    // another): each column takes the type all of its chunks fit.
    let mut types = Vec::with_capacity(keys.len());
    for column in 0..keys.len() {
        let kind = built
            .iter()
            .filter_map(|arrays| arrays.get(column))
            .fold(Kind::Empty, |kind, array| {
                kind.and(Kind::of_type(array.data_type()))
            });
        let Some(data_type) = kind.one_pass_type(views) else {
            return Ok(None);
        };
        for arrays in &mut built {
            if let Some(array) = arrays.get_mut(column) {
                *array = widened(array, &data_type);
            }
        }
        types.push(data_type);
    }
    let mut fields = vec![Field::new("row", DataType::Int64, false)];
    fields.extend(
        keys.iter()
            .zip(types)
            .map(|(key, data_type)| Field::new(key, data_type, true)),
    );
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let batches = chunks
        .iter()
        .zip(built)
        .map(|(rows, arrays)| {
            let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
            let mut columns = vec![row_numbers(records, rows.clone())];
            columns.extend(arrays);
            RecordBatch::try_new_with_options(schema.clone(), columns, &options)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((schema, batches)))
}

/// The columns of `rows`, each typed by its first value and widened as needed; `None` when a
/// value fits no type its column can widen to, or when a column's text outgrows Utf8.
fn columns_in_one_pass(
    records: &Records,
    to_column: &[Option<usize>],
    (columns, views): (usize, bool),
    rows: std::ops::Range<usize>,
) -> Option<Vec<ArrayRef>> {
    let len = rows.len();
    let mut builders: Vec<Builder> = (0..columns).map(|_| Builder::Null(0)).collect();
    let mut filled = vec![0usize; columns];
    let mut text_bytes = vec![0usize; columns];
    let mut fits = true;
    for_each_value(records, to_column, rows, |row, column, value| {
        let (Some(builder), Some(count), Some(bytes)) = (
            builders.get_mut(column),
            filled.get_mut(column),
            text_bytes.get_mut(column),
        ) else {
            return;
        };
        if !fits {
            return;
        }
        builder.nulls(row - *count);
        if let RecordValue::Text(t) = value {
            *bytes += t.len();
            fits &= i32::try_from(*bytes).is_ok();
        }
        if !builder.takes(&value) {
            match std::mem::replace(builder, Builder::Null(0)).widened_for(&value, len, views) {
                Some(wider) => *builder = wider,
                None => fits = false,
            }
        }
        builder.push(value);
        *count = row + 1;
    });
    fits.then(|| {
        builders
            .into_iter()
            .zip(filled)
            .map(|(mut builder, count)| {
                builder.nulls(len - count);
                builder.finish()
            })
            .collect()
    })
}

/// `array` as `data_type`, for the widenings a column built in one pass may need: from no
/// value to any type, from whole numbers to all numbers.
fn widened(array: &ArrayRef, data_type: &DataType) -> ArrayRef {
    if array.data_type() == data_type {
        return array.clone();
    }
    if let Some(whole) = array.as_any().downcast_ref::<Int64Array>() {
        let floats: Float64Array = whole.iter().map(|n| n.map(|n| n as f64)).collect();
        return Arc::new(floats);
    }
    new_null_array(data_type, array.len())
}

/// The batches built in two passes: each column's type, then its values.
fn in_two_passes(
    records: &Records,
    keys: &[String],
    to_column: &[Option<usize>],
    chunks: &[std::ops::Range<usize>],
) -> Result<(SchemaRef, Vec<RecordBatch>), ArrowError> {
    let mut shapes = vec![Shape::default(); keys.len()];
    for shape_of_chunk in on_threads(chunks, |rows| {
        shapes_of(records, to_column, keys.len(), rows)
    }) {
        for (shape, other) in shapes.iter_mut().zip(shape_of_chunk) {
            *shape = shape.and(other);
        }
    }
    let mut fields = vec![Field::new("row", DataType::Int64, false)];
    fields.extend(
        keys.iter()
            .zip(&shapes)
            .map(|(key, shape)| Field::new(key, shape.data_type(), true)),
    );
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let batches = on_threads(chunks, |rows| {
        batch_of(records, to_column, &shapes, schema.clone(), rows)
    });
    let batches = batches.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

/// The spreadsheet rows of the records of `rows`.
fn row_numbers(records: &Records, rows: std::ops::Range<usize>) -> ArrayRef {
    let numbers: Int64Array = records
        .rows()
        .get(rows)
        .unwrap_or_default()
        .iter()
        .map(|&r| i64::try_from(r).unwrap_or(i64::MAX))
        .collect::<Vec<i64>>()
        .into();
    Arc::new(numbers)
}

/// `work` of each chunk, in order, on as many threads as there are cores.
fn on_threads<T: Send>(
    chunks: &[std::ops::Range<usize>],
    work: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(chunks.len());
    if threads <= 1 {
        return chunks.iter().map(|rows| work(rows.clone())).collect();
    }
    let work = &work;
    let mut done: Vec<Option<T>> = std::iter::repeat_with(|| None).take(chunks.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                scope.spawn(move || {
                    chunks
                        .iter()
                        .enumerate()
                        .skip(first)
                        .step_by(threads)
                        .map(|(i, rows)| (i, work(rows.clone())))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            // A worker that failed leaves its chunks to be done below.
            for (i, result) in worker.join().unwrap_or_default() {
                if let Some(slot) = done.get_mut(i) {
                    *slot = Some(result);
                }
            }
        }
    });
    done.into_iter()
        .zip(chunks)
        .map(|(result, rows)| result.unwrap_or_else(|| work(rows.clone())))
        .collect()
}

/// Calls `each(row, column, value)` for each value of the records of `rows` (`row` counted
/// from the start of `rows`), in row then key order.
fn for_each_value<'a>(
    records: &'a Records,
    to_column: &[Option<usize>],
    rows: std::ops::Range<usize>,
    mut each: impl FnMut(usize, usize, RecordValue<'a>),
) {
    let keys = records.keys();
    for (row, record) in rows.filter_map(|i| records.get(i)).enumerate() {
        // `values` gives present values in key order: walk the keys along with them.
        let mut next_key = 0;
        for (key, value) in record.values() {
            while keys.get(next_key).is_some_and(|k| k != key) {
                next_key += 1;
            }
            if let Some(column) = to_column.get(next_key).copied().flatten() {
                each(row, column, value);
            }
            next_key += 1;
        }
    }
}

/// What each column's values are, over `rows`.
fn shapes_of(
    records: &Records,
    to_column: &[Option<usize>],
    columns: usize,
    rows: std::ops::Range<usize>,
) -> Vec<Shape> {
    let mut shapes = vec![Shape::default(); columns];
    for_each_value(records, to_column, rows, |_, column, value| {
        if let Some(shape) = shapes.get_mut(column) {
            shape.add(&value);
        }
    });
    shapes
}

/// The batch of `rows`.
fn batch_of(
    records: &Records,
    to_column: &[Option<usize>],
    shapes: &[Shape],
    schema: SchemaRef,
    rows: std::ops::Range<usize>,
) -> Result<RecordBatch, ArrowError> {
    let len = rows.len();
    let numbers = row_numbers(records, rows.clone());
    let total = records.len();
    let mut builders: Vec<Builder> = shapes.iter().map(|s| Builder::new(s, len, total)).collect();
    // Each builder is one value longer per row: a value, or a null where the record has none.
    let mut filled = vec![0usize; builders.len()];
    for_each_value(records, to_column, rows, |row, column, value| {
        if let (Some(builder), Some(count)) = (builders.get_mut(column), filled.get_mut(column)) {
            builder.nulls(row - *count);
            builder.push(value);
            *count = row + 1;
        }
    });
    let mut columns: Vec<ArrayRef> = vec![numbers];
    for (mut builder, count) in builders.into_iter().zip(filled) {
        builder.nulls(len - count);
        columns.push(builder.finish());
    }
    let options = RecordBatchOptions::new().with_row_count(Some(len));
    RecordBatch::try_new_with_options(schema, columns, &options)
}

/// What a column holds, which decides its Arrow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    Empty,
    Text,
    Integer,
    /// Fractions, or fractions and whole numbers.
    Float,
    Bool,
    Date,
    Mixed,
}

impl Kind {
    fn of(value: &RecordValue<'_>) -> Kind {
        match value {
            RecordValue::Text(_) => Kind::Text,
            RecordValue::Integer(_) => Kind::Integer,
            RecordValue::Float(_) => Kind::Float,
            RecordValue::Bool(_) => Kind::Bool,
            RecordValue::Date(_) => Kind::Date,
            RecordValue::Other(_) => Kind::Mixed,
        }
    }

    /// The kind of an array built in one pass.
    fn of_type(data_type: &DataType) -> Kind {
        match data_type {
            DataType::Null => Kind::Empty,
            DataType::Utf8 | DataType::Utf8View => Kind::Text,
            DataType::Int64 => Kind::Integer,
            DataType::Float64 => Kind::Float,
            DataType::Boolean => Kind::Bool,
            DataType::Date32 => Kind::Date,
            _ => Kind::Mixed,
        }
    }

    /// The type of a column of this kind built in one pass (none for several kinds); text as
    /// Utf8View with `views`.
    fn one_pass_type(self, views: bool) -> Option<DataType> {
        match self {
            Kind::Empty => Some(DataType::Null),
            Kind::Text if views => Some(DataType::Utf8View),
            Kind::Text => Some(DataType::Utf8),
            Kind::Integer => Some(DataType::Int64),
            Kind::Float => Some(DataType::Float64),
            Kind::Bool => Some(DataType::Boolean),
            Kind::Date => Some(DataType::Date32),
            Kind::Mixed => None,
        }
    }

    fn and(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Empty, k) | (k, Kind::Empty) => k,
            (a, b) if a == b => a,
            (Kind::Integer | Kind::Float, Kind::Integer | Kind::Float) => Kind::Float,
            _ => Kind::Mixed,
        }
    }
}

/// A column's kind and how many bytes of text it holds.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    kind: Kind,
    text_bytes: usize,
}

impl Shape {
    fn add(&mut self, value: &RecordValue<'_>) {
        self.kind = self.kind.and(Kind::of(value));
        if let RecordValue::Text(t) = value {
            self.text_bytes += t.len();
        }
    }

    fn and(self, other: Shape) -> Shape {
        Shape {
            kind: self.kind.and(other.kind),
            text_bytes: self.text_bytes + other.text_bytes,
        }
    }

    fn data_type(&self) -> DataType {
        match self.kind {
            Kind::Empty => DataType::Null,
            Kind::Text if i32::try_from(self.text_bytes).is_ok() => DataType::Utf8,
            Kind::Text | Kind::Mixed => DataType::LargeUtf8,
            Kind::Integer => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Date => DataType::Date32,
        }
    }
}

/// One column being built.
enum Builder {
    Null(usize),
    Text(StringBuilder),
    LargeText(LargeStringBuilder),
    View(StringViewBuilder),
    Integer(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
}

impl Builder {
    /// A builder of `len` of the `total` values of the column shaped `shape`.
    fn new(shape: &Shape, len: usize, total: usize) -> Builder {
        // This chunk's share of the column's text, and a little more: a builder that runs
        // out copies what it has into a buffer twice as large.
        let text = (shape.text_bytes / total.max(1)).saturating_add(1) * len * 9 / 8;
        match shape.data_type() {
            DataType::Utf8 => Builder::Text(StringBuilder::with_capacity(len, text)),
            DataType::LargeUtf8 => Builder::LargeText(LargeStringBuilder::with_capacity(len, 0)),
            DataType::Int64 => Builder::Integer(Int64Builder::with_capacity(len)),
            DataType::Float64 => Builder::Float(Float64Builder::with_capacity(len)),
            DataType::Boolean => Builder::Bool(BooleanBuilder::with_capacity(len)),
            DataType::Date32 => Builder::Date(Date32Builder::with_capacity(len)),
            _ => Builder::Null(0),
        }
    }

    /// Whether `value` goes into this builder as it is.
    fn takes(&self, value: &RecordValue<'_>) -> bool {
        matches!(
            (self, value),
            (
                Builder::Text(_) | Builder::LargeText(_) | Builder::View(_),
                RecordValue::Text(_)
            ) | (Builder::Integer(_), RecordValue::Integer(_))
                | (
                    Builder::Float(_),
                    RecordValue::Float(_) | RecordValue::Integer(_)
                )
                | (Builder::Bool(_), RecordValue::Bool(_))
                | (Builder::Date(_), RecordValue::Date(_))
        )
    }

    /// This builder's values in a builder of `len` values that takes `value` too: one of
    /// `value`'s type after nulls only (text as views with `views`), one of all numbers after
    /// whole numbers; `None` for any other pair.
    fn widened_for(self, value: &RecordValue<'_>, len: usize, views: bool) -> Option<Builder> {
        match (self, value) {
            (Builder::Null(nulls), value) => {
                let mut builder = match value {
                    RecordValue::Text(_) if views => {
                        Builder::View(StringViewBuilder::with_capacity(len))
                    }
                    // Names and addresses: a few dozen bytes; the builder doubles if not.
                    RecordValue::Text(_) => {
                        Builder::Text(StringBuilder::with_capacity(len, len.saturating_mul(24)))
                    }
                    RecordValue::Integer(_) => Builder::Integer(Int64Builder::with_capacity(len)),
                    RecordValue::Float(_) => Builder::Float(Float64Builder::with_capacity(len)),
                    RecordValue::Bool(_) => Builder::Bool(BooleanBuilder::with_capacity(len)),
                    RecordValue::Date(_) => Builder::Date(Date32Builder::with_capacity(len)),
                    RecordValue::Other(_) => return None,
                };
                builder.nulls(nulls);
                Some(builder)
            }
            (Builder::Integer(mut whole), RecordValue::Float(_)) => {
                let mut all = Float64Builder::with_capacity(len);
                all.extend(whole.finish().iter().map(|n| n.map(|n| n as f64)));
                Some(Builder::Float(all))
            }
            _ => None,
        }
    }

    fn nulls(&mut self, n: usize) {
        match self {
            Builder::Null(len) => *len += n,
            Builder::Text(b) => b.append_nulls(n),
            Builder::LargeText(b) => b.append_nulls(n),
            Builder::View(b) => (0..n).for_each(|_| b.append_null()),
            Builder::Integer(b) => b.append_nulls(n),
            Builder::Float(b) => b.append_nulls(n),
            Builder::Bool(b) => b.append_nulls(n),
            Builder::Date(b) => b.append_nulls(n),
        }
    }

    fn push(&mut self, value: RecordValue<'_>) {
        match (self, value) {
            (Builder::Text(b), RecordValue::Text(t)) => b.append_value(t),
            (Builder::LargeText(b), RecordValue::Text(t)) => b.append_value(t),
            (Builder::View(b), RecordValue::Text(t)) => b.append_value(t),
            (Builder::LargeText(b), value) => b.append_value(value.to_text()),
            (Builder::Integer(b), RecordValue::Integer(n)) => b.append_value(n),
            (Builder::Float(b), RecordValue::Float(n)) => b.append_value(n),
            (Builder::Float(b), RecordValue::Integer(n)) => b.append_value(n as f64),
            (Builder::Bool(b), RecordValue::Bool(x)) => b.append_value(x),
            (Builder::Date(b), RecordValue::Date(d)) => {
                b.append_value(Date32Type::from_naive_date(d))
            }
            // The shapes were read from these same values: no other pair occurs.
            (builder, _) => builder.nulls(1),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            Builder::Null(len) => Arc::new(NullArray::new(len)),
            Builder::Text(mut b) => Arc::new(b.finish()),
            Builder::LargeText(mut b) => Arc::new(b.finish()),
            Builder::View(mut b) => Arc::new(b.finish()),
            Builder::Integer(mut b) => Arc::new(b.finish()),
            Builder::Float(mut b) => Arc::new(b.finish()),
            Builder::Bool(mut b) => Arc::new(b.finish()),
            Builder::Date(mut b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{BooleanArray, Date32Array, LargeStringArray};

    /// The data type of each column of `batch`.
    fn types_of(batch: &RecordBatch) -> Vec<DataType> {
        batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect()
    }

    fn records(json: &str) -> Records {
        serde_json::from_str(json).expect("records")
    }

    /// Records read from JSON, one for each of `rows` rows, whose values are `values(row)`
    /// (the inside of the JSON object).
    fn generated(rows: u64, values: impl Fn(u64) -> String) -> Records {
        let each: Vec<String> = (0..rows)
            .map(|row| format!(r#"{{"row":{},"values":{{{}}}}}"#, row + 2, values(row)))
            .collect();
        records(&format!("[{}]", each.join(",")))
    }

    /// The columns as one batch.
    fn record_batch(records: &Records, keys: &[String]) -> Result<RecordBatch, ArrowError> {
        let (schema, mut batches) = record_batches(records, keys, usize::MAX, false)?;
        assert!(batches.len() <= 1);
        Ok(batches
            .pop()
            .unwrap_or_else(|| RecordBatch::new_empty(schema)))
    }

    #[test]
    fn each_kind_of_column_gets_its_type() {
        let records = records(
            r#"[{"row":2,"values":{"n":1,"x":1.5,"t":"a","b":true,"o":[1]}},
                {"row":4,"values":{"n":2,"x":2,"t":"é","o":"z"}}]"#,
        );
        let keys: Vec<String> = ["n", "x", "t", "b", "o"].map(String::from).to_vec();
        let batch = record_batch(&records, &keys).expect("batch");
        let types = types_of(&batch);
        assert_eq!(
            types,
            [
                DataType::Int64,
                DataType::Int64,
                DataType::Float64,
                DataType::Utf8,
                DataType::Boolean,
                DataType::LargeUtf8
            ]
        );
        let x = batch.column(2).as_any().downcast_ref::<Float64Array>();
        assert_eq!(x.map(|a| a.values().to_vec()), Some(vec![1.5, 2.0]));
        let b = batch.column(4).as_any().downcast_ref::<BooleanArray>();
        assert_eq!(b.map(|a| (a.value(0), a.is_null(1))), Some((true, true)));
        let o = batch.column(5).as_any().downcast_ref::<LargeStringArray>();
        assert_eq!(
            o.map(|a| (a.value(0).to_owned(), a.value(1).to_owned())),
            Some(("[1]".to_owned(), "z".to_owned()))
        );
    }

    /// The records of an analysis of `roster` for a group with `attributes` (JSON).
    fn analysed(attributes: &str, roster: &str) -> Records {
        let group =
            conferral::Group::from_json(&format!(r#"{{"name":"g","attributes":{attributes}}}"#))
                .expect("group");
        let options = conferral::AnalyzeOptions {
            records: true,
            ..conferral::AnalyzeOptions::default()
        };
        let report = conferral::analyze(roster.as_bytes(), &group, &options).expect("report");
        report.records.expect("records")
    }

    #[test]
    fn dates_are_days_since_1970_and_absent_values_are_null() {
        // Dates only come from an analysis (JSON reads them back as text).
        let records = analysed(
            r#"[{"key":"on","label":"On","type":"date"}]"#,
            "Name,Email,On\nAna,ana@example.org,1970-01-02\nBo,bo@example.org,\n",
        );
        let batch = record_batch(&records, &["on".to_owned()]).expect("batch");
        let on = batch.column(1).as_any().downcast_ref::<Date32Array>();
        assert_eq!(on.map(|a| (a.value(0), a.is_null(1))), Some((1, true)));
        let rows = batch.column(0).as_any().downcast_ref::<Int64Array>();
        assert_eq!(rows.map(|a| a.values().to_vec()), Some(vec![2, 3]));
    }

    #[test]
    fn a_column_with_no_value_is_of_the_null_type() {
        let records = analysed(
            r#"[{"key":"note","label":"Note","type":"text"}]"#,
            "Name,Email,Note\nAna,ana@example.org,\n",
        );
        let batch = record_batch(&records, &["note".to_owned()]).expect("batch");
        assert_eq!(batch.column(1).data_type(), &DataType::Null);
        assert_eq!(batch.column(1).len(), 1);
    }

    #[test]
    fn batches_built_on_several_threads_equal_one_batch() {
        // `e` has no value in the first batches, then whole numbers; `f` has whole numbers
        // in the first batches and fractions after: both widen across batches.
        let records = generated(60_000, |row| {
            let e = if row >= 20_000 {
                format!(r#","e":{row}"#)
            } else {
                String::new()
            };
            let f = if row < 30_000 {
                format!("{row}")
            } else {
                format!("{row}.25")
            };
            format!(
                r#""a":"t{row}","b":{row},"c":{}.5,"d":{}{e},"f":{f}"#,
                row % 7,
                row % 2 == 0
            )
        });
        let keys = records.keys().to_vec();
        let whole = record_batch(&records, &keys).expect("batch");
        let types = types_of(&whole);
        use DataType::{Boolean, Float64, Int64, Utf8};
        assert_eq!(
            types,
            [Int64, Utf8, Int64, Float64, Boolean, Int64, Float64]
        );
        // Batches of 7,000 rows, some built on other threads, hold what one batch holds,
        // and what two passes give.
        let (schema, chunks) = record_batches(&records, &keys, 7_000, false).expect("batches");
        let to_column: Vec<Option<usize>> = (0..keys.len()).map(Some).collect();
        let ranges: Vec<std::ops::Range<usize>> = (0..60_000)
            .step_by(7_000)
            .map(|s| s..(s + 7_000).min(60_000))
            .collect();
        let (_, twice) = in_two_passes(&records, &keys, &to_column, &ranges).expect("batches");
        assert_eq!(chunks.len(), 9);
        assert_eq!(schema, whole.schema());
        let mut offset = 0;
        for (chunk, again) in chunks.iter().zip(&twice) {
            assert_eq!(chunk.schema(), schema);
            assert_eq!(chunk, again);
            for (c, column) in chunk.columns().iter().enumerate() {
                let expected = whole.column(c).slice(offset, chunk.num_rows());
                assert_eq!(column.to_data(), expected.to_data());
            }
            offset += chunk.num_rows();
        }
        assert_eq!(offset, 60_000);
        let e = whole.column(5).as_any().downcast_ref::<Int64Array>();
        assert_eq!(
            e.map(|a| (a.null_count(), a.value(20_000))),
            Some((20_000, 20_000))
        );
        let f = whole.column(6).as_any().downcast_ref::<Float64Array>();
        assert_eq!(
            f.map(|a| (a.value(1), a.value(30_000))),
            Some((1.0, 30_000.25))
        );
    }

    #[test]
    fn text_views_hold_the_same_strings() {
        // Short strings (held in the view) and long ones, and a column whose first batches
        // have no value at all.
        let records = generated(20_000, |row| {
            let late = if row >= 15_000 {
                format!(r#","g":"late {row}""#)
            } else {
                String::new()
            };
            format!(r#""a":"t{row}","b":"a longer value, {row}","n":{row}{late}"#)
        });
        let keys = records.keys().to_vec();
        let (plain_schema, plain) = record_batches(&records, &keys, 7_000, false).expect("plain");
        let (schema, views) = record_batches(&records, &keys, 7_000, true).expect("views");
        use DataType::{Int64, Utf8, Utf8View};
        assert_eq!(
            types_of(&RecordBatch::new_empty(plain_schema)),
            [Int64, Utf8, Utf8, Utf8, Int64]
        );
        assert_eq!(
            types_of(&RecordBatch::new_empty(schema)),
            [Int64, Utf8View, Utf8View, Utf8View, Int64]
        );
        let mut nulls = 0;
        for (plain, views) in plain.iter().zip(&views) {
            assert_eq!(plain.num_rows(), views.num_rows());
            for c in 0..plain.num_columns() {
                let (p, v) = (plain.column(c), views.column(c));
                if let (Some(p), Some(v)) = (
                    p.as_any().downcast_ref::<arrow_array::StringArray>(),
                    v.as_any().downcast_ref::<arrow_array::StringViewArray>(),
                ) {
                    let p: Vec<Option<&str>> = p.iter().collect();
                    let v: Vec<Option<&str>> = v.iter().collect();
                    nulls += v.iter().filter(|x| x.is_none()).count();
                    assert_eq!(p, v);
                } else {
                    assert_eq!(p.to_data(), v.to_data());
                }
            }
        }
        assert_eq!(nulls, 15_000);
        assert_eq!(views.len(), 3);
    }

    #[test]
    fn no_records_give_columns_of_no_rows() {
        let records = analysed(r#"[]"#, "Name,Email\nAna,ana@\n");
        assert!(records.is_empty());
        let batch = record_batch(&records, records.keys()).expect("batch");
        assert_eq!((batch.num_rows(), batch.num_columns()), (0, 3));
    }
}
