//! Every conversion of the credentials package: the roster package's conversions
//! (`bindings-wasm/src/convert.rs`, compiled here as a module of this one) for arguments,
//! tagged results and thrown errors, and the few this package adds: moments, JSON documents,
//! and core errors carried to the failure they become.

#[allow(
    dead_code,
    reason = "the roster package's conversions, shared whole; this package needs only some"
)]
#[path = "../../src/convert.rs"]
mod shared;

use chrono::{DateTime, Utc};
use conferral::ErrorKind;
use wasm_bindgen::{JsCast, JsValue};

pub use shared::{Options, bytes, json_text, misuse, success, to_js};

/// Why a call stopped early: misuse of the API, thrown as it is, or a core error, which
/// becomes the call's `{type: "failure", errors}` result.
pub enum Stop {
    /// A `ConferralError` (or a host's exception) to throw.
    Thrown(JsValue),
    /// The core refused the data.
    Core(conferral::Error),
}

impl From<JsValue> for Stop {
    fn from(error: JsValue) -> Stop {
        Stop::Thrown(error)
    }
}

impl From<conferral::Error> for Stop {
    fn from(error: conferral::Error) -> Stop {
        Stop::Core(error)
    }
}

/// What a function gives JavaScript: the success `call` makes, the failure of a core error,
/// or the exception to throw.
pub fn settle(call: impl FnOnce() -> Result<JsValue, Stop>) -> Result<JsValue, JsValue> {
    match call() {
        Ok(value) => Ok(value),
        Err(Stop::Thrown(error)) => Err(error),
        Err(Stop::Core(error)) => shared::failure_of(&error),
    }
}

/// A moment given as a `Date` or as RFC 3339 text (`2026-03-20T12:00:00Z`); when absent
/// (`undefined`, `null`), the current time by JavaScript's clock: the core has no clock, so
/// the binding reads the host's and passes it in.
pub fn moment(value: &JsValue, name: &str) -> Result<DateTime<Utc>, JsValue> {
    let millis = if value.is_undefined() || value.is_null() {
        js_sys::Date::now()
    } else if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        date.get_time()
    } else if let Some(text) = value.as_string() {
        return DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| misuse(format!("{name} `{text}` is not an RFC 3339 time: {e}")));
    } else {
        return Err(misuse(format!(
            "{name} is a Date or RFC 3339 text, not {}",
            shared::type_name(value)
        )));
    };
    // An invalid Date's time is NaN; `as` would make it 0 (1970), so it is refused first.
    if !millis.is_finite() {
        return Err(misuse(format!("{name} is an invalid Date")));
    }
    DateTime::from_timestamp_millis(millis as i64)
        .ok_or_else(|| misuse(format!("{name} is out of the range of dates")))
}

/// A JSON document given as an object or as JSON text (`label` names it in the failure when
/// the text is not JSON: that is a problem with the data, not misuse).
pub fn document(value: &JsValue, name: &str, label: &str) -> Result<serde_json::Value, Stop> {
    let text = json_text(value, name)?;
    serde_json::from_str(&text).map_err(|e| {
        Stop::Core(
            // The message shows the source after a colon, as the CLI words it.
            conferral::Error::new(ErrorKind::MalformedFile, format!("{label} is not JSON"))
                .with_source(e),
        )
    })
}
