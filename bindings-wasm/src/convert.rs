//! Every conversion between JavaScript values and the core's types, and the one place where
//! results are tagged and errors are made.
//!
//! Values cross as JSON (`serde_json` on this side, `JSON.parse`/`JSON.stringify` on the
//! other), so a report reaches JavaScript with exactly the fields and values of the CLI's
//! `--json` output. Problems with the user's data (a roster, a group, a mapping) come back as
//! `{type: "failure", errors}`; only misuse of the API (a number where bytes belong, an
//! unknown option or format) is thrown, as an `Error` with a `code`.
//!
//! The credentials package (`credentials/`, a WebAssembly module of its own) compiles this
//! file as part of its conversions, so both packages tag results and make errors the same way.

use js_sys::{Function, JSON, Object, Reflect, Uint8Array};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

/// The `code` of errors thrown for misuse of the API.
pub const INVALID_ARGUMENT: &str = "invalid_argument";

/// A thrown error: a JavaScript `Error` named `ConferralError` with `code` set.
pub fn misuse(message: impl AsRef<str>) -> JsValue {
    thrown(INVALID_ARGUMENT, message.as_ref())
}

fn thrown(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("ConferralError");
    // Setting a property on a fresh Error cannot fail; if it did, the message still says all.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// A value as JSON text, through `JSON.stringify`.
fn stringify(value: &JsValue, what: &str) -> Result<String, JsValue> {
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| misuse(format!("{what} cannot be written as JSON")))
}

/// A Rust value as a plain JavaScript value, through JSON.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| thrown("output", &format!("the result cannot be written: {e}")))?;
    JSON::parse(&text)
}

/// A JavaScript value (an object, or JSON text) as a Rust value of the expected shape.
pub fn from_js<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, JsValue> {
    let text = json_text(value, what)?;
    serde_json::from_str(&text)
        .map_err(|e| misuse(format!("{what} is not of the expected shape: {e}")))
}

/// JSON text of a value given as an object or as JSON text already.
pub fn json_text(value: &JsValue, what: &str) -> Result<String, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_object() {
        return stringify(value, what);
    }
    Err(misuse(format!(
        "{what} is an object or JSON text, not {}",
        type_name(value)
    )))
}

/// A value as a message shows it: its JSON, or else its kind.
pub fn shown(value: &JsValue, what: &str) -> String {
    stringify(value, what).unwrap_or_else(|_| type_name(value))
}

/// What kind of JavaScript value `value` is, for messages (`typeof`).
pub fn type_name(value: &JsValue) -> String {
    value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The bytes of a `Uint8Array` or an `ArrayBuffer` (copied into the module's memory).
pub fn bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Ok(array.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(buffer).to_vec());
    }
    Err(misuse(format!(
        "{what} is a Uint8Array or an ArrayBuffer, not {}",
        type_name(value)
    )))
}

/// An optional string argument (`undefined` and `null` are absent).
pub fn optional_string(value: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| misuse(format!("{what} is a string, not {}", type_name(value))))
}

/// A list of strings: an array of strings, or one string holding names separated by commas.
pub fn strings(value: &JsValue, what: &str) -> Result<Vec<String>, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text.split(',').map(str::to_owned).collect());
    }
    if js_sys::Array::is_array(value) {
        return js_sys::Array::from(value)
            .iter()
            .map(|item| {
                item.as_string().ok_or_else(|| {
                    misuse(format!("{what} holds strings, not {}", type_name(&item)))
                })
            })
            .collect();
    }
    Err(misuse(format!(
        "{what} is an array of strings or a string, not {}",
        type_name(value)
    )))
}

/// The fields of an options object, checked against the names it may have: a misspelt
/// option is an error, not silently ignored.
pub struct Options {
    object: Option<Object>,
}

impl Options {
    /// Reads `value` (`undefined`, `null` or an object) allowing only `names`.
    pub fn new(value: &JsValue, names: &[&str]) -> Result<Options, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options { object: None });
        }
        let Some(object) = value.dyn_ref::<Object>().filter(|_| value.is_object()) else {
            return Err(misuse(format!(
                "options is an object, not {}",
                type_name(value)
            )));
        };
        for key in Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !names.contains(&key.as_str()) {
                return Err(misuse(format!(
                    "unknown option `{key}`; the options are {}",
                    names.join(", ")
                )));
            }
        }
        Ok(Options {
            object: Some(object.clone()),
        })
    }

    /// An option's value, `undefined` when it is not set.
    pub fn get(&self, name: &str) -> JsValue {
        self.object
            .as_ref()
            .and_then(|o| Reflect::get(o, &name.into()).ok())
            .unwrap_or(JsValue::UNDEFINED)
    }

    /// A string option.
    pub fn string(&self, name: &str) -> Result<Option<String>, JsValue> {
        optional_string(&self.get(name), name)
    }

    /// A boolean option, `default` when absent.
    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, JsValue> {
        let value = self.get(name);
        if value.is_undefined() || value.is_null() {
            return Ok(default);
        }
        value.as_bool().ok_or_else(|| {
            misuse(format!(
                "{name} is true or false, not {}",
                type_name(&value)
            ))
        })
    }

    /// A whole, non-negative number option, at most `max`.
    pub fn count(&self, name: &str, max: u64) -> Result<Option<u64>, JsValue> {
        let value = self.get(name);
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        match value.as_f64() {
            Some(n) if n.fract() == 0.0 && (0.0..=max as f64).contains(&n) => Ok(Some(n as u64)),
            _ => Err(misuse(format!(
                "{name} is a whole number from 0 to {max}, not {}",
                shown(&value, name)
            ))),
        }
    }

    /// A function option.
    pub fn function(&self, name: &str) -> Result<Option<Function>, JsValue> {
        let value = self.get(name);
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        value
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|v| misuse(format!("{name} is a function, not {}", type_name(&v))))
    }
}

/// `{type: "success", ...fields}`.
pub fn success(fields: &[(&str, JsValue)]) -> Result<JsValue, JsValue> {
    let object = Object::new();
    Reflect::set(&object, &"type".into(), &"success".into())?;
    for (name, value) in fields {
        Reflect::set(&object, &(*name).into(), value)?;
    }
    Ok(object.into())
}

/// One entry of a failure's `errors`: the error kind as `code`, and the message.
#[derive(Serialize)]
pub struct Problem<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

/// `{type: "failure", errors: [...]}` from the problems given.
fn failure(problems: &[Problem<'_>]) -> Result<JsValue, JsValue> {
    let object = Object::new();
    Reflect::set(&object, &"type".into(), &"failure".into())?;
    Reflect::set(&object, &"errors".into(), &to_js(problems)?)?;
    Ok(object.into())
}

/// The failure of a core error (its message as the CLI prints it).
pub fn failure_of(error: &conferral::Error) -> Result<JsValue, JsValue> {
    failure(&[Problem {
        code: error.kind().as_str(),
        message: error.to_string(),
        help: None,
        attribute: None,
        value: None,
    }])
}

/// The failure of findings that refused some values (their codes, messages and help).
pub fn failure_of_findings(findings: &[conferral::Finding]) -> Result<JsValue, JsValue> {
    let problems: Vec<Problem<'_>> = findings
        .iter()
        .filter(|f| f.severity == conferral::Severity::Error)
        .map(|f| Problem {
            code: f.code.as_str(),
            message: f.message.clone(),
            help: Some(&f.help),
            attribute: f.attribute.as_deref(),
            value: f.value.as_deref(),
        })
        .collect();
    failure(&problems)
}

/// A file for download: `{type: "success", bytes, fileName, mimeType}`.
pub fn file(bytes: &[u8], file_name: &str, mime_type: &str) -> Result<JsValue, JsValue> {
    success(&[
        ("bytes", Uint8Array::from(bytes).into()),
        ("fileName", file_name.into()),
        ("mimeType", mime_type.into()),
    ])
}
