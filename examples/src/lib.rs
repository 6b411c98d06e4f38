#![doc = include_str!("../../README.md")]
//!
//! This package's `examples/` are the runnable examples; its library only carries the
//! repository README, so the quick start above is compiled and run as a doctest.
