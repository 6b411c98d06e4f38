#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

// Layers, lowest first; a module imports only from its own layer or below
// (`tests/layers.rs` keeps it so).
// leaf values
pub mod error;
pub mod limits;
pub mod values;
// model
pub mod finding;
pub mod group;
pub mod ids;
// roster
pub mod analysis;
pub mod fixes;
pub mod matching;
pub mod output;
pub mod report;
pub mod sheet;
pub mod validation;
// issuing
pub mod bounce;
#[cfg(feature = "credentials")]
pub mod credential;
pub mod events;
pub mod issuer;
pub mod lifecycle;
pub mod mail;
pub mod outbox;
#[cfg(feature = "credentials")]
pub mod page;
pub mod render;
pub mod storage;

pub use analysis::{
    AnalyzeOptions, Fixed, Progress, Stage, analyze, analyze_cancellable, analyze_reader,
    analyze_with_progress, fix, fix_cancellable,
};
pub use error::{Error, ErrorKind, Result};
pub use fixes::{Fix, FixChange, FixCode};
pub use group::{Attribute, AttributeType, Group, Schema};
pub use limits::Limits;
pub use matching::{Mapping, MappingEntry, SavedMappings, Tier};
pub use report::{
    Code, Finding, PreviewRow, Record, RecordRef, RecordValue, Records, Report, Severity, Source,
    Summary,
};
pub use sheet::SourceFormat;
