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
//!   with values of no attribute type): Utf8 of each value as the report's JSON text of it
//!   ([`RecordValue::to_text`]).
//!
//! A record without a value of a key is a null in that column.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, GenericStringBuilder, Int64Builder,
};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::types::Date32Type;
use arrow_array::{
    ArrayRef, Int64Array, NullArray, OffsetSizeTrait, RecordBatch, RecordBatchIterator,
    RecordBatchOptions,
};
use arrow_schema::{ArrowError, Field, Schema};
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

    /// The records as Arrow columns: `row`, then the values of each of `keys` in that order.
    /// Built without the GIL.
    fn to_arrow(&self, py: Python<'_>, keys: Vec<String>) -> PyResult<RecordsTable> {
        if let Some(unknown) = keys.iter().find(|k| self.records.column(k).is_none()) {
            return Err(PyValueError::new_err(format!(
                "no record can have a value of `{unknown}`"
            )));
        }
        let batch = py
            .detach(|| record_batch(&self.records, &keys))
            .map_err(|e| PyValueError::new_err(format!("the records as Arrow columns: {e}")))?;
        Ok(RecordsTable { batch })
    }
}

/// Records as Arrow columns, read through the Arrow C stream interface
/// (`pyarrow.table(t)`, `polars.DataFrame(t)`), as many times as asked.
#[pyclass(frozen, module = "conferral._native")]
pub struct RecordsTable {
    batch: RecordBatch,
}

#[pymethods]
impl RecordsTable {
    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    /// The columns as an Arrow C stream of one batch. The interface lets a producer ignore
    /// `requested_schema`; the consumer casts if it wants other types.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batches = RecordBatchIterator::new([Ok(self.batch.clone())], self.batch.schema());
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

/// `row` and the column of each key.
fn record_batch(records: &Records, keys: &[String]) -> Result<RecordBatch, ArrowError> {
    let rows: Int64Array = records
        .rows()
        .iter()
        .map(|&r| i64::try_from(r).unwrap_or(i64::MAX))
        .collect::<Vec<i64>>()
        .into();
    let mut fields = vec![Field::new("row", arrow_schema::DataType::Int64, false)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(rows)];
    for (key, column) in keys.iter().zip(column_arrays(records, keys)) {
        fields.push(Field::new(key, column.data_type().clone(), true));
        columns.push(column);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(records.len()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options)
}

/// Fewest values worth a thread per column group: below this, starting threads costs more
/// than it saves.
const PARALLEL_VALUES: usize = 200_000;

/// The column of each key, built on as many threads as there are cores (columns are
/// independent; a million rows of eight columns take a few hundred milliseconds on one).
fn column_arrays(records: &Records, keys: &[String]) -> Vec<ArrayRef> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(keys.len());
    if threads <= 1 || records.len().saturating_mul(keys.len()) < PARALLEL_VALUES {
        return keys.iter().map(|k| column_array(records, k)).collect();
    }
    let mut built: Vec<Option<ArrayRef>> = vec![None; keys.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                scope.spawn(move || {
                    keys.iter()
                        .enumerate()
                        .skip(first)
                        .step_by(threads)
                        .map(|(i, key)| (i, column_array(records, key)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            // A worker that failed leaves its columns to be built below.
            for (i, column) in worker.join().unwrap_or_default() {
                if let Some(slot) = built.get_mut(i) {
                    *slot = Some(column);
                }
            }
        }
    });
    built
        .into_iter()
        .zip(keys)
        .map(|(column, key)| column.unwrap_or_else(|| column_array(records, key)))
        .collect()
}

/// What a column holds, which decides its Arrow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
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

    fn and(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Empty, k) | (k, Kind::Empty) => k,
            (a, b) if a == b => a,
            (Kind::Integer | Kind::Float, Kind::Integer | Kind::Float) => Kind::Float,
            _ => Kind::Mixed,
        }
    }
}

/// The values of `key` as one typed array (see the module's documentation).
fn column_array(records: &Records, key: &str) -> ArrayRef {
    let values = || records.column(key).into_iter().flatten();
    let mut kind = Kind::Empty;
    let mut text_bytes = 0usize;
    for value in values().flatten() {
        kind = kind.and(Kind::of(&value));
        if let RecordValue::Text(t) = value {
            text_bytes += t.len();
        }
    }
    let len = records.len();
    match kind {
        Kind::Empty => Arc::new(NullArray::new(len)),
        Kind::Text => text_array(
            values().map(|v| match v {
                Some(RecordValue::Text(t)) => Some(Cow::Borrowed(t)),
                _ => None,
            }),
            len,
            text_bytes,
        ),
        Kind::Integer => {
            let mut b = Int64Builder::with_capacity(len);
            b.extend(values().map(|v| match v {
                Some(RecordValue::Integer(n)) => Some(n),
                _ => None,
            }));
            Arc::new(b.finish())
        }
        Kind::Float => {
            let mut b = Float64Builder::with_capacity(len);
            b.extend(values().map(|v| match v {
                Some(RecordValue::Float(n)) => Some(n),
                Some(RecordValue::Integer(n)) => Some(n as f64),
                _ => None,
            }));
            Arc::new(b.finish())
        }
        Kind::Bool => {
            let mut b = BooleanBuilder::with_capacity(len);
            b.extend(values().map(|v| match v {
                Some(RecordValue::Bool(x)) => Some(x),
                _ => None,
            }));
            Arc::new(b.finish())
        }
        Kind::Date => {
            let mut b = Date32Builder::with_capacity(len);
            b.extend(values().map(|v| match v {
                Some(RecordValue::Date(d)) => Some(Date32Type::from_naive_date(d)),
                _ => None,
            }));
            Arc::new(b.finish())
        }
        Kind::Mixed => {
            let texts: Vec<Option<String>> = values().map(|v| v.map(|v| v.to_text())).collect();
            let bytes = texts.iter().flatten().map(String::len).sum();
            text_array(
                texts.iter().map(|t| t.as_deref().map(Cow::Borrowed)),
                len,
                bytes,
            )
        }
    }
}

/// Text as Utf8, or as LargeUtf8 when its `bytes` do not fit Utf8's 32-bit offsets.
fn text_array<'a>(
    texts: impl Iterator<Item = Option<Cow<'a, str>>>,
    len: usize,
    bytes: usize,
) -> ArrayRef {
    fn build<'a, O: OffsetSizeTrait>(
        texts: impl Iterator<Item = Option<Cow<'a, str>>>,
        len: usize,
        bytes: usize,
    ) -> ArrayRef {
        let mut b = GenericStringBuilder::<O>::with_capacity(len, bytes);
        for text in texts {
            b.append_option(text);
        }
        Arc::new(b.finish())
    }
    if i32::try_from(bytes).is_ok() {
        build::<i32>(texts, len, bytes)
    } else {
        build::<i64>(texts, len, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, BooleanArray, Date32Array, Float64Array, StringArray};
    use arrow_schema::DataType;

    fn records(json: &str) -> Records {
        serde_json::from_str(json).expect("records")
    }

    #[test]
    fn each_kind_of_column_gets_its_type() {
        let records = records(
            r#"[{"row":2,"values":{"n":1,"x":1.5,"t":"a","b":true,"o":[1]}},
                {"row":4,"values":{"n":2,"x":2,"t":"é","o":"z"}}]"#,
        );
        let keys: Vec<String> = ["n", "x", "t", "b", "o"].map(String::from).to_vec();
        let batch = record_batch(&records, &keys).expect("batch");
        let types: Vec<DataType> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(
            types,
            [
                DataType::Int64,
                DataType::Int64,
                DataType::Float64,
                DataType::Utf8,
                DataType::Boolean,
                DataType::Utf8
            ]
        );
        let x = batch.column(2).as_any().downcast_ref::<Float64Array>();
        assert_eq!(x.map(|a| a.values().to_vec()), Some(vec![1.5, 2.0]));
        let b = batch.column(4).as_any().downcast_ref::<BooleanArray>();
        assert_eq!(b.map(|a| (a.value(0), a.is_null(1))), Some((true, true)));
        let o = batch.column(5).as_any().downcast_ref::<StringArray>();
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
    fn columns_built_on_several_threads_equal_those_built_on_one() {
        let mut json = String::from("[");
        for row in 0..60_000u64 {
            let sep = if row == 0 { "" } else { "," };
            json.push_str(&format!(
                r#"{sep}{{"row":{},"values":{{"a":"t{row}","b":{row},"c":{}.5,"d":{}}}}}"#,
                row + 2,
                row % 7,
                row % 2 == 0
            ));
        }
        json.push(']');
        let records = records(&json);
        let keys = records.keys().to_vec();
        assert!(records.len() * keys.len() >= PARALLEL_VALUES);
        let parallel = column_arrays(&records, &keys);
        let serial: Vec<ArrayRef> = keys.iter().map(|k| column_array(&records, k)).collect();
        assert_eq!(parallel.len(), 4);
        for (p, s) in parallel.iter().zip(&serial) {
            assert_eq!(p.to_data(), s.to_data());
        }
    }

    #[test]
    fn no_records_give_columns_of_no_rows() {
        let records = analysed(r#"[]"#, "Name,Email\nAna,ana@\n");
        assert!(records.is_empty());
        let batch = record_batch(&records, records.keys()).expect("batch");
        assert_eq!((batch.num_rows(), batch.num_columns()), (0, 3));
    }
}
