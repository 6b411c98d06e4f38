//! conferral's signed credentials for JavaScript: verification of Open Badges 3.0 / VC 2.0
//! credentials with `eddsa-rdfc-2022` proofs, issuer keys and signing, compiled to a
//! WebAssembly module of their own (`conferral/credentials` in the npm package).
//!
//! A crate apart from the roster package (`conferral-wasm`) so that each module links only
//! the core code it calls: the roster page's module stays without the JSON-LD processor,
//! RDF canonicalization and Ed25519 (about 300 KB gzipped), and a page that only verifies
//! does not load the roster analysis. Both use the same conversions (see [`convert`]).
//!
//! Nothing here decides anything: each function converts its arguments, calls
//! [`conferral::credential`], and tags the result. A verification is the JSON the CLI's
//! `verify --json` prints.
//!
//! Not here: key generation (the core takes no randomness; a host draws 32 bytes and calls
//! `keyFromSeed`) and signing status lists, whose GZIP compressor would add 26 KB gzipped
//! (8%) to every page that only verifies; the CLI and Python make status lists.

mod convert;

use conferral::credential::{IssuerKey, VerifyOptions};
use convert::{Options, Stop, settle, success, to_js};
use wasm_bindgen::prelude::*;

// The result shape (`Problem`, `Failure`) is the roster package's.
#[wasm_bindgen(typescript_custom_section)]
const RESULTS: &str = include_str!("../../src/results.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("credentials.d.ts");

/// The package's version (the crates' version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every error kind a failure's `errors[].code` can hold.
#[wasm_bindgen(js_name = "errorKinds", unchecked_return_type = "string[]")]
pub fn error_kinds() -> JsValue {
    conferral::ErrorKind::ALL
        .iter()
        .map(|k| JsValue::from_str(k.as_str()))
        .collect::<js_sys::Array>()
        .into()
}

/// The issuer key of a key file (as `conferral key new` writes it), checked as signing
/// checks it.
fn key_of(key_file: &JsValue) -> Result<IssuerKey, Stop> {
    let text = convert::json_text(key_file, "keyFile")?;
    Ok(IssuerKey::from_file(text.as_bytes())?)
}

/// Verifies a signed credential: its shape, proof, issuer, dates (at `now`, the current time
/// by default) and, when its issuer's status list credential is given, its status.
///
/// Success gives `verification`, `{valid, checks: [{check, outcome, reason}]}`, whether the
/// credential is valid or not; a credential that is not a JSON object is a failure.
#[wasm_bindgen(js_name = "verifyCredential", unchecked_return_type = "VerifyResult")]
pub fn verify_credential(
    #[wasm_bindgen(unchecked_param_type = "Credential | string")] credential: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    settle(|| {
        let text = convert::json_text(&credential, "credential")?;
        let options = Options::new(&options, &["statusList", "now"])?;
        let now = convert::moment(&options.get("now"), "now")?;
        let list = options.get("statusList");
        let status_list = if list.is_undefined() || list.is_null() {
            None
        } else {
            Some(convert::document(&list, "statusList", "the status list")?)
        };
        let verification = conferral::credential::verify_bytes(
            text.as_bytes(),
            &VerifyOptions {
                now,
                status_list: status_list.as_ref(),
            },
        )?;
        Ok(success(&[("verification", to_js(&verification)?)])?)
    })
}

/// The `did:key` of a key file (an object or JSON text).
#[wasm_bindgen(js_name = "keyDid", unchecked_return_type = "KeyDidResult")]
pub fn key_did(
    #[wasm_bindgen(js_name = "keyFile", unchecked_param_type = "KeyFile | string")]
    key_file: JsValue,
) -> Result<JsValue, JsValue> {
    settle(|| {
        let key = key_of(&key_file)?;
        Ok(success(&[("did", key.did().into())])?)
    })
}

/// The key file of a 32-byte Ed25519 seed the host drew (for example with
/// `crypto.getRandomValues`): the core makes no keys.
#[wasm_bindgen(js_name = "keyFromSeed", unchecked_return_type = "KeyResult")]
pub fn key_from_seed(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] seed: JsValue,
) -> Result<JsValue, JsValue> {
    settle(|| {
        let key = IssuerKey::from_seed_slice(&convert::bytes(&seed, "seed")?)?;
        Ok(success(&[
            ("keyFile", to_js(&key.to_file())?),
            ("did", key.did().into()),
        ])?)
    })
}

/// Signs a credential (a JSON-LD document without a `proof`) with an `eddsa-rdfc-2022`
/// proof made at `created` (the current time by default).
#[wasm_bindgen(js_name = "signCredential", unchecked_return_type = "SignResult")]
pub fn sign_credential(
    #[wasm_bindgen(unchecked_param_type = "Credential | string")] document: JsValue,
    #[wasm_bindgen(js_name = "keyFile", unchecked_param_type = "KeyFile | string")]
    key_file: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Date | string")] created: JsValue,
) -> Result<JsValue, JsValue> {
    settle(|| {
        let created = convert::moment(&created, "created")?;
        let document = convert::document(&document, "document", "the document")?;
        let key = key_of(&key_file)?;
        let signed = conferral::credential::sign(&document, &key, created)?;
        Ok(success(&[("credential", to_js(&signed)?)])?)
    })
}
