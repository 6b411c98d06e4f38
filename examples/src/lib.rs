//! Runnable examples of the conferral library live in this package's `examples`.
