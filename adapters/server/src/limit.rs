//! Who may ask what, how often: a token bucket per client address, and the analytics token.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::{HeaderMap, header};

/// The most client addresses tracked; past it, those whose bucket is full are forgotten.
const TRACKED: usize = 50_000;

/// A token bucket per client address: `burst` requests at once, then `rate` a second.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter of `rate` requests a second after a burst of `burst`.
    pub fn new(rate: f64, burst: f64) -> RateLimiter {
        RateLimiter {
            rate: rate.max(0.0),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `client` may make a request at `now` (and takes a token when it may).
    pub fn allow(&self, client: IpAddr, now: Instant) -> bool {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= TRACKED && !buckets.contains_key(&client) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < burst
            });
            if buckets.len() >= TRACKED {
                // Every tracked address is busy: a new one waits until some calm down.
                return false;
            }
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.burst, now));
        let refilled = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * self.rate)
            .min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            true
        } else {
            *tokens = refilled;
            false
        }
    }
}

/// Whether the request carries `token`, as `Authorization: Bearer TOKEN` or as the password
/// of HTTP Basic authentication (which browsers ask for), compared in constant time.
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let secret = if let Some(bearer) = given.strip_prefix("Bearer ") {
        bearer.trim().as_bytes().to_vec()
    } else if let Some(basic) = given.strip_prefix("Basic ") {
        match decode_base64(basic.trim()) {
            Some(pair) => match pair.iter().position(|b| *b == b':') {
                Some(colon) => pair.get(colon + 1..).unwrap_or_default().to_vec(),
                None => return false,
            },
            None => return false,
        }
    } else {
        return false;
    };
    same(&secret, token.as_bytes())
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut differ = u8::from(a.len() != b.len());
    for (x, y) in a.iter().zip(b.iter().cycle()) {
        differ |= x ^ y;
    }
    differ == 0 && !b.is_empty()
}

/// Standard base64 (with or without padding).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let digits = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for &c in chunk {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * (4 - chunk.len() as u32);
        let bytes = n.to_be_bytes();
        let keep = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend(bytes.iter().skip(1).take(keep));
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use std::time::Duration;

    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let limiter = RateLimiter::new(2.0, 3.0);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let start = Instant::now();
        let allowed = (0..5).filter(|_| limiter.allow(ip, start)).count();
        assert_eq!(allowed, 3);
        // Half a second later one more token has come.
        let later = start + Duration::from_millis(500);
        assert!(limiter.allow(ip, later));
        assert!(!limiter.allow(ip, later));
        // Another address has its own bucket.
        assert!(limiter.allow("::1".parse().unwrap(), later));
    }

    #[test]
    fn the_token_is_taken_as_bearer_or_basic_password() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            authorized(&headers, "s3cret")
        };
        assert!(with("Bearer s3cret"));
        assert!(!with("Bearer s3cre"));
        assert!(!with("Bearer s3cret!"));
        // "issuer:s3cret" and ":s3cret" in base64.
        assert!(with("Basic aXNzdWVyOnMzY3JldA=="));
        assert!(with("Basic OnMzY3JldA"));
        assert!(!with("Basic aXNzdWVyOnMzY3JldDE="));
        assert!(!with("Basic !!!"));
        assert!(!authorized(&HeaderMap::new(), "s3cret"));
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
    }
}
