//! The records of valid rows, held compactly: one list of attribute keys for all of them, a
//! fixed-size slot per key and row, and the text of every value in one buffer per part.
//!
//! A million rows of eight attributes as a `BTreeMap` of owned strings each took over a
//! gigabyte and most of an analysis's time; here they take the slots (12 bytes each) and the
//! text itself. Each run of rows validated on its own (a thread's share, a chunk of a stream)
//! stores its records in parts of its own, and putting runs together moves their parts
//! whole: nothing is copied however many runs there are. They serialise to exactly the JSON
//! of a list of [`Record`]s, and read back from it.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Record;
use crate::values::date::format_date;

/// Whether a buffer of `bytes` of text can be addressed by a slot's `u32`s (at most
/// `u32::MAX` bytes; a comparison with that constant would be always true on 32-bit targets).
fn addressable(bytes: usize) -> bool {
    u32::try_from(bytes).is_ok()
}

/// One value of a record, borrowed from its [`Records`].
#[derive(Debug, Clone, Copy)]
pub enum RecordValue<'a> {
    /// Text: names, addresses, enum values as the group spells them, URLs, numbers that are
    /// not finite as written.
    Text(&'a str),
    /// A whole number.
    Integer(i64),
    /// A number with a fraction.
    Float(f64),
    /// A yes/no value.
    Bool(bool),
    /// A date, written `YYYY-MM-DD`.
    Date(NaiveDate),
    /// A value no attribute type gives (read back from JSON written elsewhere).
    Other(&'a serde_json::Value),
}

impl RecordValue<'_> {
    /// The value as the report's JSON writes it.
    pub fn to_json(&self) -> serde_json::Value {
        match *self {
            RecordValue::Text(t) => serde_json::Value::String(t.to_owned()),
            RecordValue::Integer(n) => serde_json::Value::from(n),
            RecordValue::Float(n) => serde_json::Number::from_f64(n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            RecordValue::Bool(b) => serde_json::Value::Bool(b),
            RecordValue::Date(d) => serde_json::Value::String(format_date(d)),
            RecordValue::Other(v) => v.clone(),
        }
    }

    /// The value as text: text as it is, numbers and booleans as JSON writes them, dates as
    /// `YYYY-MM-DD`.
    pub fn to_text(&self) -> String {
        match *self {
            RecordValue::Text(t) => t.to_owned(),
            RecordValue::Date(d) => format_date(d),
            RecordValue::Other(serde_json::Value::String(s)) => s.clone(),
            _ => self.to_json().to_string(),
        }
    }
}

/// Values compare as the JSON they write: a date equals the text `YYYY-MM-DD` of it (which
/// is how it reads back from JSON).
impl PartialEq for RecordValue<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RecordValue::Text(a), RecordValue::Text(b)) => a == b,
            (RecordValue::Integer(a), RecordValue::Integer(b)) => a == b,
            (RecordValue::Bool(a), RecordValue::Bool(b)) => a == b,
            (RecordValue::Date(a), RecordValue::Date(b)) => a == b,
            _ => self.to_json() == other.to_json(),
        }
    }
}

impl Serialize for RecordValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            RecordValue::Text(t) => serializer.serialize_str(t),
            RecordValue::Integer(n) => serializer.serialize_i64(n),
            RecordValue::Float(n) => serializer.serialize_f64(n),
            RecordValue::Bool(b) => serializer.serialize_bool(b),
            RecordValue::Date(d) => {
                let mut buf = [0u8; 10];
                match date_text(d, &mut buf) {
                    Some(text) => serializer.serialize_str(text),
                    None => serializer.serialize_str(&format_date(d)),
                }
            }
            RecordValue::Other(v) => v.serialize(serializer),
        }
    }
}

/// `YYYY-MM-DD` written into `buf`, for years 0 to 9999.
fn date_text(d: NaiveDate, buf: &mut [u8; 10]) -> Option<&str> {
    *buf = date_bytes(d)?;
    std::str::from_utf8(buf).ok()
}

/// The bytes of `YYYY-MM-DD`, for years 0 to 9999.
pub(super) fn date_bytes(d: NaiveDate) -> Option<[u8; 10]> {
    let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    let (month, day) = (d.month(), d.day());
    let digit = |n: u32| b'0' + (n % 10) as u8;
    Some([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ])
}

/// What a slot holds. Every payload is of 4-byte alignment, so that a slot takes 12 bytes
/// rather than 16: a million records of eight values are 32 MB fewer to fault in and free.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Absent,
    /// Bytes `start..start + len` of its part's text.
    Text {
        start: u32,
        len: u32,
    },
    Integer(Halves),
    /// A float's bits.
    Float(Halves),
    Bool(bool),
    Date(NaiveDate),
    /// An index into `others`.
    Other(u32),
}

/// A 64-bit value as two 32-bit halves (low first).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Halves([u32; 2]);

impl Halves {
    fn of(bits: u64) -> Halves {
        Halves([bits as u32, (bits >> 32) as u32])
    }

    fn bits(self) -> u64 {
        let [low, high] = self.0;
        u64::from(low) | u64::from(high) << 32
    }

    fn integer(n: i64) -> Slot {
        Slot::Integer(Halves::of(n as u64))
    }

    fn float(n: f64) -> Slot {
        Slot::Float(Halves::of(n.to_bits()))
    }
}

/// Text a part takes before a new part is begun (at a record's start): a slot addresses its
/// text with `u32`s, and one record's text fits in what is left.
#[cfg(not(test))]
const PART_TEXT: usize = 1 << 31;
/// Small in tests, so that every test's records span parts.
#[cfg(test)]
const PART_TEXT: usize = 24;

/// The records of an analysis's valid rows, in row order.
///
/// Read them with [`Records::iter`] (each a [`RecordRef`]), or a column at a time with
/// [`Records::column`]; [`Records::to_vec`] gives owned [`Record`]s.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// Attribute keys, sorted and distinct: the order of each record's values.
    keys: Vec<String>,
    rows: Vec<u64>,
    /// The values, as each run of rows stored them: a later run's part is taken over whole
    /// when runs are put together, so that no value is copied.
    parts: Vec<Part>,
    /// Where each record's values are stored (counted in records over all parts), once
    /// records were dropped or reordered after being stored; until then, record `i`'s are
    /// the `i`th stored.
    at: Option<Vec<usize>>,
}

/// The values of a run of stored records.
#[derive(Debug, Clone, Default)]
struct Part {
    /// How many records the parts before this one store.
    first: usize,
    /// `keys.len()` slots per stored record.
    slots: Vec<Slot>,
    /// The text of every text value, at most `u32::MAX` bytes.
    text: String,
    /// Values of no attribute type, read back from JSON.
    others: Vec<serde_json::Value>,
}

impl Part {
    /// How many records this part stores, for records of `width` keys.
    fn stored(&self, width: usize) -> usize {
        self.slots.len().checked_div(width).unwrap_or(0)
    }

    fn value(&self, slot: Slot) -> Option<RecordValue<'_>> {
        match slot {
            Slot::Absent => None,
            Slot::Text { start, len } => {
                let (start, len) = (start as usize, len as usize);
                self.text.get(start..start + len).map(RecordValue::Text)
            }
            Slot::Integer(n) => Some(RecordValue::Integer(n.bits() as i64)),
            Slot::Float(n) => Some(RecordValue::Float(f64::from_bits(n.bits()))),
            Slot::Bool(b) => Some(RecordValue::Bool(b)),
            Slot::Date(d) => Some(RecordValue::Date(d)),
            Slot::Other(i) => self.others.get(i as usize).map(RecordValue::Other),
        }
    }
}

/// Where a row's text began in the last part, to drop the row again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowMark {
    text: usize,
}

impl Records {
    /// No records, for rows with values of these attribute keys.
    pub(crate) fn with_keys(mut keys: Vec<String>) -> Records {
        keys.sort();
        keys.dedup();
        Records {
            keys,
            ..Records::default()
        }
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The attribute keys a record may have a value of, sorted.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Each record's 1-based row, in order.
    pub fn rows(&self) -> &[u64] {
        &self.rows
    }

    /// The record at `index`.
    pub fn get(&self, index: usize) -> Option<RecordRef<'_>> {
        (index < self.rows.len()).then_some(RecordRef {
            records: self,
            index,
        })
    }

    /// Every record, in row order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + '_ {
        (0..self.rows.len()).map(move |index| RecordRef {
            records: self,
            index,
        })
    }

    /// Every record's value of `key` (`None` where a record has none), in row order; `None`
    /// when no record can have that key.
    pub fn column(
        &self,
        key: &str,
    ) -> Option<impl ExactSizeIterator<Item = Option<RecordValue<'_>>> + '_> {
        let slot = self.slot_of(key)?;
        Some((0..self.rows.len()).map(move |i| self.value(i, slot)))
    }

    /// The part holding record `index`'s values, and its slots there.
    fn stored(&self, index: usize) -> Option<(&Part, &[Slot])> {
        let position = match &self.at {
            Some(at) => *at.get(index)?,
            None => index,
        };
        let part = self.part_of(position)?;
        let width = self.keys.len();
        let start = (position - part.first).checked_mul(width)?;
        Some((part, part.slots.get(start..start + width)?))
    }

    /// The part storing the record at `position` among all stored.
    fn part_of(&self, position: usize) -> Option<&Part> {
        // Mostly the last part (rows being validated) or one of a few.
        match self.parts.last() {
            Some(last) if last.first <= position => Some(last),
            _ => {
                let after = self.parts.partition_point(|p| p.first <= position);
                self.parts.get(after.checked_sub(1)?)
            }
        }
    }

    /// The value of slot `slot` of record `index`.
    fn value(&self, index: usize, slot: usize) -> Option<RecordValue<'_>> {
        let (part, slots) = self.stored(index)?;
        part.value(*slots.get(slot)?)
    }

    /// Record `index`'s values, each with the index of its key in [`Records::keys`].
    pub(super) fn values_at(
        &self,
        index: usize,
    ) -> impl Iterator<Item = (usize, RecordValue<'_>)> + '_ {
        let (part, slots) = self.stored(index).unzip();
        slots
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(move |(k, s)| part?.value(*s).map(|v| (k, v)))
    }

    /// The records as owned [`Record`]s.
    pub fn to_vec(&self) -> Vec<Record> {
        self.iter().map(|r| r.to_record()).collect()
    }

    /// The slot index of `key`.
    pub(crate) fn slot_of(&self, key: &str) -> Option<usize> {
        self.keys.binary_search_by(|k| k.as_str().cmp(key)).ok()
    }

    /// How many records the parts store, dropped ones included.
    fn stored_count(&self) -> usize {
        self.parts
            .last()
            .map_or(0, |p| p.first + p.stored(self.keys.len()))
    }

    /// Starts a record for `row`, with no values yet; returns its index and where its text
    /// begins, to [drop it](Records::drop_last) again.
    pub(crate) fn push_row(&mut self, row: u64) -> (usize, RowMark) {
        let position = self.stored_count();
        if let Some(at) = &mut self.at {
            at.push(position);
        }
        if self.parts.last().is_none_or(|p| p.text.len() >= PART_TEXT) {
            self.parts.push(Part {
                first: position,
                ..Part::default()
            });
        }
        let width = self.keys.len();
        let mark = match self.parts.last_mut() {
            Some(part) => {
                part.slots.resize(part.slots.len() + width, Slot::Absent);
                RowMark {
                    text: part.text.len(),
                }
            }
            None => RowMark { text: 0 },
        };
        self.rows.push(row);
        (self.rows.len() - 1, mark)
    }

    /// Drops the last record, started at `mark`, with its text.
    pub(crate) fn drop_last(&mut self, mark: RowMark) {
        if self.rows.pop().is_none() {
            return;
        }
        let position = match &mut self.at {
            Some(at) => at.pop(),
            None => Some(self.rows.len()),
        };
        if position.is_none_or(|p| p + 1 != self.stored_count()) {
            // Not the last stored (never so while rows are validated): its values stay.
            return;
        }
        let width = self.keys.len();
        if let Some(part) = self.parts.last_mut() {
            part.slots.truncate(part.slots.len().saturating_sub(width));
            part.text.truncate(mark.text);
            if part.slots.is_empty() {
                // A part begun for this record: a search must not find it.
                self.parts.pop();
            }
        }
    }

    /// The part storing record `index`, and where its slot `slot` is there.
    fn slot_mut(&mut self, index: usize, slot: usize) -> Option<(&mut Part, usize)> {
        let width = self.keys.len();
        if slot >= width {
            return None;
        }
        let position = match &self.at {
            Some(at) => *at.get(index)?,
            None => index,
        };
        let after = match self.parts.last() {
            Some(last) if last.first <= position => self.parts.len(),
            _ => self.parts.partition_point(|p| p.first <= position),
        };
        let part = self.parts.get_mut(after.checked_sub(1)?)?;
        let at = (position - part.first)
            .checked_mul(width)?
            .checked_add(slot)?;
        Some((part, at))
    }

    fn put(&mut self, index: usize, slot: usize, value: Slot) {
        if let Some((part, at)) = self.slot_mut(index, slot)
            && let Some(s) = part.slots.get_mut(at)
        {
            *s = value;
        }
    }

    /// Sets the text of slot `slot` of record `index`.
    pub(crate) fn set_text(&mut self, index: usize, slot: usize, text: &str) {
        self.set_text_of(index, slot, &[text]);
    }

    /// Sets the text of slot `slot` of record `index` to `parts` written one after the
    /// other (an address from its local part, `@` and its domain, without a string of its own).
    pub(crate) fn set_text_of(&mut self, index: usize, slot: usize, parts: &[&str]) {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let Some((part, at)) = self.slot_mut(index, slot) else {
            return;
        };
        let start = part.text.len();
        let (Ok(start), Ok(len), true) = (
            u32::try_from(start),
            u32::try_from(total),
            start.checked_add(total).is_some_and(addressable),
        ) else {
            // No record's text is this long (cells are limited far below, and a part
            // begins a new one long before): keep the slot absent rather than wrap an offset.
            return;
        };
        for text in parts {
            part.text.push_str(text);
        }
        if let Some(s) = part.slots.get_mut(at) {
            *s = Slot::Text { start, len };
        }
    }

    /// Sets a number: whole numbers (or any number, for an integer attribute) below 9×10¹⁵
    /// as integers, others as floats, and numbers that are not finite as their text.
    pub(crate) fn set_number(&mut self, index: usize, slot: usize, n: f64, whole: bool) {
        if (whole || n.fract() == 0.0) && n.abs() < 9.0e15 {
            self.put(index, slot, Halves::integer(n as i64));
        } else if n.is_finite() {
            self.put(index, slot, Halves::float(n));
        } else {
            self.set_text(index, slot, &crate::values::number::format(n));
        }
    }

    /// Sets a yes/no value.
    pub(crate) fn set_bool(&mut self, index: usize, slot: usize, b: bool) {
        self.put(index, slot, Slot::Bool(b));
    }

    /// Sets a date.
    pub(crate) fn set_date(&mut self, index: usize, slot: usize, d: NaiveDate) {
        self.put(index, slot, Slot::Date(d));
    }

    /// Sets a value of JSON as read back.
    fn set_json(&mut self, index: usize, slot: usize, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(s) => self.set_text(index, slot, s),
            serde_json::Value::Bool(b) => self.set_bool(index, slot, *b),
            serde_json::Value::Number(n) if n.is_i64() => {
                if let Some(n) = n.as_i64() {
                    self.put(index, slot, Halves::integer(n));
                }
            }
            serde_json::Value::Number(n) if n.is_f64() => {
                if let Some(n) = n.as_f64() {
                    self.put(index, slot, Halves::float(n));
                }
            }
            other => {
                if let Some((part, at)) = self.slot_mut(index, slot)
                    && let Ok(i) = u32::try_from(part.others.len())
                    && let Some(s) = part.slots.get_mut(at)
                {
                    part.others.push(other.clone());
                    *s = Slot::Other(i);
                }
            }
        }
    }

    /// Appends the records of a later run of rows (validated by the same plan: the same
    /// keys). Their values are taken over as they are stored, not copied.
    pub(crate) fn append(&mut self, other: Records) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() && self.keys == other.keys {
            // Nothing of ours to keep (text of dropped rows at most): take theirs whole.
            *self = other;
            return;
        }
        if self.keys != other.keys {
            for record in other.iter() {
                self.push_record(&record.to_record());
            }
            return;
        }
        let shift = self.stored_count();
        if self.at.is_some() || other.at.is_some() {
            let ours = self.at.take().unwrap_or_else(|| (0..self.len()).collect());
            let theirs = other.at.unwrap_or_else(|| (0..other.rows.len()).collect());
            self.at = Some(
                ours.into_iter()
                    .chain(theirs.into_iter().map(|p| p + shift))
                    .collect(),
            );
        }
        self.rows.extend(other.rows);
        let width = self.keys.len();
        for mut part in other.parts {
            // Empty parts (every row dropped) would only lengthen the search.
            if part.stored(width) > 0 {
                part.first += shift;
                self.parts.push(part);
            }
        }
    }

    /// Appends an owned record, adding keys it brings (read back from JSON).
    fn push_record(&mut self, record: &Record) {
        let missing: Vec<&String> = record
            .values
            .keys()
            .filter(|k| self.slot_of(k).is_none())
            .collect();
        if !missing.is_empty() {
            let mut keys = self.keys.clone();
            keys.extend(missing.into_iter().cloned());
            self.rekey(keys);
        }
        let (index, _) = self.push_row(record.row);
        for (key, value) in &record.values {
            if let Some(slot) = self.slot_of(key) {
                self.set_json(index, slot, value);
            }
        }
    }

    /// The same records under a larger set of keys.
    fn rekey(&mut self, keys: Vec<String>) {
        let old = std::mem::replace(self, Records::with_keys(keys));
        for record in old.iter() {
            let (index, _) = self.push_row(record.row());
            for (key, value) in record.values() {
                let Some(slot) = self.slot_of(key) else {
                    continue;
                };
                match value {
                    RecordValue::Text(text) => self.set_text(index, slot, text),
                    RecordValue::Integer(n) => self.put(index, slot, Halves::integer(n)),
                    RecordValue::Float(n) => self.put(index, slot, Halves::float(n)),
                    RecordValue::Bool(b) => self.put(index, slot, Slot::Bool(b)),
                    RecordValue::Date(d) => self.put(index, slot, Slot::Date(d)),
                    RecordValue::Other(v) => self.set_json(index, slot, v),
                }
            }
        }
    }

    /// Keeps the records whose row `keep` accepts, in order. Their values stay where they
    /// are stored.
    pub(crate) fn retain_rows(&mut self, mut keep: impl FnMut(u64) -> bool) {
        let count = self.rows.len();
        let Some(first_dropped) = self.rows.iter().position(|&row| !keep(row)) else {
            return;
        };
        let mut at = self
            .at
            .take()
            .unwrap_or_else(|| (0..count).collect::<Vec<usize>>());
        let mut kept = first_dropped;
        for i in first_dropped + 1..count {
            if let (Some(&row), Some(&position)) = (self.rows.get(i), at.get(i))
                && keep(row)
            {
                if let (Some(r), Some(p)) = (self.rows.get_mut(kept), at.get_mut(kept)) {
                    *r = row;
                    *p = position;
                }
                kept += 1;
            }
        }
        self.rows.truncate(kept);
        at.truncate(kept);
        self.at = Some(at);
    }

    /// Puts the records in row order (they are, unless rows were settled late). Their values
    /// stay where they are stored.
    pub(crate) fn sort_by_row(&mut self) {
        if self.rows.is_sorted() {
            return;
        }
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by_key(|&i| self.rows.get(i).copied().unwrap_or(u64::MAX));
        let rows = order
            .iter()
            .filter_map(|&i| self.rows.get(i).copied())
            .collect();
        let at = match &self.at {
            Some(at) => order.iter().filter_map(|&i| at.get(i).copied()).collect(),
            None => order,
        };
        self.rows = rows;
        self.at = Some(at);
    }

    /// Drops every record.
    pub(crate) fn clear(&mut self) {
        self.rows.clear();
        self.parts.clear();
        self.at = None;
    }
}

/// One record: its row and its values.
#[derive(Clone, Copy)]
pub struct RecordRef<'a> {
    records: &'a Records,
    index: usize,
}

impl<'a> RecordRef<'a> {
    /// 1-based row as a spreadsheet shows it.
    pub fn row(&self) -> u64 {
        self.records.rows.get(self.index).copied().unwrap_or(0)
    }

    /// The value of `key`, if the record has one.
    pub fn get(&self, key: &str) -> Option<RecordValue<'a>> {
        let slot = self.records.slot_of(key)?;
        self.records.value(self.index, slot)
    }

    /// Each value with its key, in key order.
    pub fn values(&self) -> impl Iterator<Item = (&'a str, RecordValue<'a>)> + 'a {
        let records = self.records;
        records
            .values_at(self.index)
            .filter_map(move |(k, v)| records.keys.get(k).map(|key| (key.as_str(), v)))
    }

    /// The record as an owned [`Record`].
    pub fn to_record(&self) -> Record {
        Record {
            row: self.row(),
            values: self
                .values()
                .map(|(k, v)| (k.to_owned(), v.to_json()))
                .collect::<BTreeMap<_, _>>(),
        }
    }
}

impl fmt::Debug for RecordRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("row", &self.row())
            .field("values", &self.values().collect::<Vec<_>>())
            .finish()
    }
}

/// Records compare as the JSON they write: the same rows with the same values.
impl PartialEq for Records {
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.values().eq(b.values()))
    }
}

impl FromIterator<Record> for Records {
    fn from_iter<I: IntoIterator<Item = Record>>(records: I) -> Records {
        let mut out = Records::default();
        for record in records {
            out.push_record(&record);
        }
        out
    }
}

/// A record's values as a JSON object.
struct ValuesOf<'a>(RecordRef<'a>);

impl Serialize for ValuesOf<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.values().count()))?;
        for (key, value) in self.0.values() {
            map.serialize_entry(key, &value)?;
        }
        map.end()
    }
}

impl Serialize for RecordRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_struct("Record", 2)?;
        record.serialize_field("row", &self.row())?;
        record.serialize_field("values", &ValuesOf(*self))?;
        record.end()
    }
}

/// The JSON of a list of [`Record`]s.
impl Serialize for Records {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for record in self.iter() {
            seq.serialize_element(&record)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Records {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Records, D::Error> {
        Ok(Vec::<Record>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Records {
        let mut records = Records::with_keys(vec![
            "name".into(),
            "email".into(),
            "hours".into(),
            "issued_on".into(),
            "passed".into(),
        ]);
        let name = records.slot_of("name").expect("name");
        let email = records.slot_of("email").expect("email");
        let hours = records.slot_of("hours").expect("hours");
        let issued = records.slot_of("issued_on").expect("issued_on");
        let passed = records.slot_of("passed").expect("passed");
        let (i, _) = records.push_row(2);
        records.set_text(i, name, "Ada Lovelace");
        records.set_text(i, email, "ada@example.org");
        records.set_number(i, hours, 12.0, false);
        records.set_date(
            i,
            issued,
            NaiveDate::from_ymd_opt(2024, 3, 9).expect("date"),
        );
        let (i, _) = records.push_row(4);
        records.set_text(i, name, "Émile Zola");
        records.set_number(i, hours, 37.5, false);
        records.set_bool(i, passed, true);
        records
    }

    #[test]
    fn serialises_as_a_list_of_records() {
        let records = sample();
        let json = serde_json::to_string(&records).expect("json");
        let owned = serde_json::to_string(&records.to_vec()).expect("json");
        assert_eq!(json, owned);
        assert_eq!(
            json,
            r#"[{"row":2,"values":{"email":"ada@example.org","hours":12,"issued_on":"2024-03-09","name":"Ada Lovelace"}},{"row":4,"values":{"hours":37.5,"name":"Émile Zola","passed":true}}]"#
        );
        let back: Records = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, records);
        assert_eq!(serde_json::to_string(&back).expect("json"), json);
    }

    #[test]
    fn columns_hold_each_records_value() {
        let records = sample();
        let hours: Vec<Option<RecordValue<'_>>> = records.column("hours").expect("hours").collect();
        assert_eq!(
            hours,
            vec![
                Some(RecordValue::Integer(12)),
                Some(RecordValue::Float(37.5))
            ]
        );
        let passed: Vec<_> = records.column("passed").expect("passed").collect();
        assert_eq!(passed, vec![None, Some(RecordValue::Bool(true))]);
        assert!(records.column("grade").is_none());
        assert_eq!(records.rows(), &[2, 4]);
    }

    #[test]
    fn a_dropped_row_takes_its_text_with_it() {
        let mut records = sample();
        let name = records.slot_of("name").expect("name");
        let text = |records: &Records| records.parts.iter().map(|p| p.text.len()).sum::<usize>();
        let before = text(&records);
        let (i, mark) = records.push_row(5);
        records.set_text(i, name, "Someone Invalid");
        records.drop_last(mark);
        assert_eq!(records.len(), 2);
        assert_eq!(text(&records), before);
        // The first row of empty records drops cleanly too.
        let mut fresh = Records::with_keys(vec!["name".into()]);
        let (i, mark) = fresh.push_row(2);
        fresh.set_text(i, 0, "x");
        fresh.drop_last(mark);
        assert!(fresh.is_empty());
        assert_eq!(text(&fresh), 0);
    }

    #[test]
    fn appended_runs_keep_their_text_and_order() {
        let mut first = sample();
        let mut second = Records::with_keys(first.keys.clone());
        let (i, _) = second.push_row(9);
        second.set_text(i, 3, "Later Person");
        first.append(second);
        assert_eq!(first.rows(), &[2, 4, 9]);
        let last = first.get(2).expect("third");
        assert_eq!(last.get("name"), Some(RecordValue::Text("Later Person")));
        assert_eq!(
            first.get(0).and_then(|r| r.get("name")),
            Some(RecordValue::Text("Ada Lovelace"))
        );
    }

    /// Records of rows `rows` with values made from the row, some rows dropped as they are
    /// validated, as one run would build them.
    fn run(rows: std::ops::Range<u64>) -> Records {
        let mut records = Records::with_keys(vec!["n".into(), "t".into(), "on".into()]);
        let slot = |key: &str| records.slot_of(key).expect("key");
        let (n, t, on) = (slot("n"), slot("t"), slot("on"));
        for row in rows {
            let (i, mark) = records.push_row(row);
            records.set_number(i, n, row as f64 / 2.0, false);
            records.set_text(i, t, &format!("row {row}"));
            if row % 3 == 0 {
                let day = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
                records.set_date(i, on, day + chrono::Days::new(row));
            }
            if row % 5 == 0 {
                records.drop_last(mark);
            }
        }
        records
    }

    #[test]
    fn many_runs_put_together_read_as_one() {
        let whole = run(2..400);
        let expected: Vec<Record> = whole.to_vec();
        for runs in [1, 2, 3, 7, 40, 398] {
            let mut merged = Records::with_keys(whole.keys.clone());
            let size = 398u64.div_ceil(runs);
            let mut start = 2;
            while start < 400 {
                let end = (start + size).min(400);
                merged.append(run(start..end));
                // An empty run (every row invalid) changes nothing.
                merged.append(run(5..6));
                start = end;
            }
            assert!(merged.parts.len() > 1, "{runs} runs");
            assert_eq!(merged.to_vec(), expected, "{runs} runs");
            assert_eq!(
                serde_json::to_string(&merged).expect("json"),
                serde_json::to_string(&expected).expect("json")
            );
            // Rows dropped late, then a late row, read as if the values had moved.
            merged.retain_rows(|row| row % 7 != 0);
            let (i, _) = merged.push_row(1);
            let t = merged.slot_of("t").expect("t");
            merged.set_text(i, t, "late");
            merged.sort_by_row();
            let mut later: Vec<Record> = expected
                .iter()
                .filter(|r| r.row % 7 != 0)
                .cloned()
                .collect();
            later.insert(
                0,
                Record {
                    row: 1,
                    values: BTreeMap::from([("t".into(), "late".into())]),
                },
            );
            assert_eq!(merged.to_vec(), later, "{runs} runs");
            let column: Vec<_> = merged.column("t").expect("t").collect();
            assert_eq!(column.len(), later.len());
            assert_eq!(column.first(), Some(&Some(RecordValue::Text("late"))));
        }
    }

    #[test]
    fn retained_and_sorted_rows_keep_their_values() {
        let mut records = sample();
        let (i, _) = records.push_row(3);
        records.set_text(i, 3, "Late Row");
        records.sort_by_row();
        assert_eq!(records.rows(), &[2, 3, 4]);
        assert_eq!(
            records.get(1).and_then(|r| r.get("name")),
            Some(RecordValue::Text("Late Row"))
        );
        records.retain_rows(|row| row != 2);
        assert_eq!(records.rows(), &[3, 4]);
        assert_eq!(
            records.get(1).and_then(|r| r.get("hours")),
            Some(RecordValue::Float(37.5))
        );
    }

    #[test]
    fn a_slot_takes_twelve_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 12);
        for n in [0, -1, i64::MIN, i64::MAX, 9_000_000_000_000_000] {
            assert_eq!(Halves::integer(n), Slot::Integer(Halves::of(n as u64)));
            let Slot::Integer(h) = Halves::integer(n) else {
                unreachable!()
            };
            assert_eq!(h.bits() as i64, n);
        }
        let Slot::Float(h) = Halves::float(-37.5e-300) else {
            unreachable!()
        };
        assert_eq!(f64::from_bits(h.bits()), -37.5e-300);
    }

    #[test]
    fn a_buffer_holds_what_a_u32_addresses() {
        assert!(addressable(0));
        assert!(addressable(u32::MAX as usize));
        assert!(!addressable(u32::MAX as usize + 1));
    }

    #[test]
    fn runs_of_kept_rows_move_together() {
        let mut records = Records::with_keys(vec!["n".into(), "t".into()]);
        for row in 2..60u64 {
            let (i, _) = records.push_row(row);
            records.set_number(i, 0, row as f64, true);
            records.set_text(i, 1, &format!("row {row}"));
        }
        let keep = |row: u64| !row.is_multiple_of(7) && row % 11 != 3 && !(20..26).contains(&row);
        records.retain_rows(keep);
        let expected: Vec<u64> = (2..60u64).filter(|&row| keep(row)).collect();
        assert_eq!(records.rows(), expected.as_slice());
        for (record, row) in records.iter().zip(expected) {
            assert_eq!(record.get("n"), Some(RecordValue::Integer(row as i64)));
            assert_eq!(
                record.get("t"),
                Some(RecordValue::Text(&format!("row {row}")))
            );
        }
        records.retain_rows(|_| false);
        assert!(records.is_empty());
    }

    #[test]
    fn a_date_equals_its_text() {
        let d = NaiveDate::from_ymd_opt(2023, 12, 1).expect("date");
        assert_eq!(RecordValue::Date(d), RecordValue::Text("2023-12-01"));
        assert_ne!(RecordValue::Date(d), RecordValue::Text("2023-12-02"));
        assert_ne!(RecordValue::Integer(1), RecordValue::Float(1.5));
    }

    #[test]
    fn numbers_follow_the_reports_rules() {
        let mut records = Records::with_keys(vec!["n".into()]);
        for (row, n, whole) in [
            (2, 3.0, false),
            (3, 2.5, false),
            (4, 1.0e16, false),
            (5, f64::INFINITY, false),
        ] {
            let (i, _) = records.push_row(row);
            records.set_number(i, 0, n, whole);
        }
        let json = serde_json::to_string(&records).expect("json");
        assert_eq!(
            json,
            r#"[{"row":2,"values":{"n":3}},{"row":3,"values":{"n":2.5}},{"row":4,"values":{"n":1e+16}},{"row":5,"values":{"n":"inf"}}]"#
        );
        // A float is written exactly as a JSON number of the same value is.
        let number = serde_json::Number::from_f64(1.0e16).expect("finite");
        assert_eq!(serde_json::to_string(&number).expect("json"), "1e+16");
    }
}
