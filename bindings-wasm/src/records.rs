//! The records of an analysis kept in WebAssembly memory (`records: "handle"`), so that a
//! page does not receive every valid row's values as objects it may never read: it asks for
//! the count, a record, a column or the rows, and `toJSON()` gives the array the report's
//! `records` holds with `records: true`.

use conferral::RecordValue;
use js_sys::{Array, Float64Array, Object, Reflect, Uint32Array};
use wasm_bindgen::prelude::*;

use crate::convert::{misuse, to_js};

/// The records of an analysis's valid rows, in row order, held in WebAssembly memory. Each
/// record is `{row, values}` as in a report's `records`. Call `free()` when done with it;
/// using it after that throws.
#[wasm_bindgen]
pub struct Records(conferral::Records);

impl Records {
    /// The handle of `records`.
    pub fn new(records: conferral::Records) -> Records {
        Records(records)
    }
}

/// A value as `JSON.parse` of the report's JSON gives it.
fn value_to_js(value: RecordValue<'_>) -> Result<JsValue, JsValue> {
    Ok(match value {
        RecordValue::Text(text) => JsValue::from_str(text),
        // A whole number past 2^53 rounds to the nearest double, as JSON.parse rounds it.
        RecordValue::Integer(n) => JsValue::from_f64(n as f64),
        RecordValue::Float(n) if n.is_finite() => JsValue::from_f64(n),
        // serde_json writes a number that is not finite as null.
        RecordValue::Float(_) => JsValue::NULL,
        RecordValue::Bool(b) => JsValue::from_bool(b),
        RecordValue::Date(_) => JsValue::from_str(&value.to_text()),
        RecordValue::Other(other) => to_js(other)?,
    })
}

fn record_to_js(record: conferral::RecordRef<'_>) -> Result<JsValue, JsValue> {
    let values = Object::new();
    for (key, value) in record.values() {
        Reflect::set(&values, &JsValue::from_str(key), &value_to_js(value)?)?;
    }
    let object = Object::new();
    Reflect::set(
        &object,
        &"row".into(),
        &JsValue::from_f64(record.row() as f64),
    )?;
    Reflect::set(&object, &"values".into(), &values)?;
    Ok(object.into())
}

#[wasm_bindgen]
impl Records {
    /// How many records there are.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }

    /// The attribute keys a record may have a value of, sorted.
    #[wasm_bindgen(getter, unchecked_return_type = "string[]")]
    pub fn keys(&self) -> JsValue {
        self.0
            .keys()
            .iter()
            .map(|k| JsValue::from_str(k))
            .collect::<Array>()
            .into()
    }

    /// Each record's row (1-based, as findings' `row`), in order.
    #[wasm_bindgen(js_name = "rowNumbers")]
    pub fn row_numbers(&self) -> Uint32Array {
        // A row is at least a line break of the file, and the file fits in WebAssembly's
        // 32-bit memory, so every row number fits in 32 bits.
        let rows: Vec<u32> = self
            .0
            .rows()
            .iter()
            .map(|&r| u32::try_from(r).unwrap_or(u32::MAX))
            .collect();
        Uint32Array::from(rows.as_slice())
    }

    /// The 0-based index of the record of row `row`, if that row has one.
    #[wasm_bindgen(js_name = "indexOf")]
    pub fn index_of(&self, row: f64) -> Option<usize> {
        // Records are in row order.
        self.0
            .rows()
            .binary_search_by(|&r| (r as f64).total_cmp(&row))
            .ok()
    }

    /// The record at the 0-based `index` as `{row, values}`, or `undefined` past the end.
    #[wasm_bindgen(unchecked_return_type = "RosterRecord | undefined")]
    pub fn get(&self, index: usize) -> Result<JsValue, JsValue> {
        match self.0.get(index) {
            Some(record) => record_to_js(record),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Every record's value of `key`, in row order: a `Float64Array` when every value the
    /// records hold is a number (`NaN` where a record has none: a number that is not finite
    /// is kept as its text, so `NaN` is never a value), otherwise an array of the values
    /// (`null` where a record has none). `undefined` when no record can have `key`.
    #[wasm_bindgen(unchecked_return_type = "Float64Array | RecordValue[] | undefined")]
    pub fn column(&self, key: &str) -> Result<JsValue, JsValue> {
        let Some(column) = self.0.column(key) else {
            return Ok(JsValue::UNDEFINED);
        };
        let values: Vec<Option<RecordValue<'_>>> = column.collect();
        let number = |v: &Option<RecordValue<'_>>| match v {
            Some(RecordValue::Integer(n)) => Some(*n as f64),
            Some(RecordValue::Float(n)) if n.is_finite() => Some(*n),
            None => Some(f64::NAN),
            _ => None,
        };
        if values.iter().any(Option::is_some)
            && let Some(numbers) = values.iter().map(number).collect::<Option<Vec<f64>>>()
        {
            return Ok(Float64Array::from(numbers.as_slice()).into());
        }
        let array = Array::new_with_length(values.len() as u32);
        for (i, value) in values.into_iter().enumerate() {
            let value = match value {
                Some(value) => value_to_js(value)?,
                None => JsValue::NULL,
            };
            array.set(i as u32, value);
        }
        Ok(array.into())
    }

    /// Every record, as the report's `records` holds them with `records: true` (and what
    /// `JSON.stringify` writes of this handle).
    #[wasm_bindgen(js_name = "toJSON", unchecked_return_type = "RosterRecord[]")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        to_js(&self.0)
    }

    /// The records as a clean CSV in the columns of the group's template: the file
    /// `recordsCsv(group, report)` gives for the report these records came with.
    #[wasm_bindgen(unchecked_return_type = "FileResult")]
    pub fn csv(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Group | string")] group: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
    ) -> Result<JsValue, JsValue> {
        let mut report = crate::report_of(&report)?;
        report.records = Some(self.0.clone());
        crate::records_csv_of(&group, &report)
    }
}

/// The `Records` handle `value` is, through its `csv` method: a plain object never has one.
pub fn csv_through(value: &JsValue, group: &JsValue, report: &JsValue) -> Result<JsValue, JsValue> {
    let method = Reflect::get(value, &"csv".into())
        .ok()
        .and_then(|m| m.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| {
            misuse("records is the `records` an analysis with records: \"handle\" gave")
        })?;
    method.call2(value, group, report)
}
