#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod analysis;
pub mod error;
pub mod group;
pub mod issuer;
pub mod lifecycle;
pub mod limits;
pub mod mail;
pub mod matching;
pub mod outbox;
pub mod output;
pub mod render;
pub mod report;
pub mod sheet;
pub mod storage;
pub mod validation;

pub use analysis::{
    AnalyzeOptions, Progress, Stage, analyze, analyze_cancellable, analyze_with_progress,
};
pub use error::{Error, ErrorKind, Result};
pub use group::{Attribute, AttributeType, Group, Schema};
pub use limits::Limits;
pub use matching::{Mapping, MappingEntry, SavedMappings, Tier};
pub use report::{Code, Finding, PreviewRow, Record, Report, Severity, Source, Summary};
pub use sheet::SourceFormat;
