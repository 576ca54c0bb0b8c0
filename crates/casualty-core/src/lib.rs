//! The core of the casualty generator: scenarios, reference data and the generation engine.
//!
//! This crate is pure: it reads no files except the reference data embedded at build time,
//! opens no sockets and never looks at the wall clock, so a record is a function of the
//! scenario, the seed and the crate version alone.
//!
//! ```
//! use casualty_core::scenario::{parse_request, CommandLineOverrides, InputFormat};
//! use casualty_core::engine::Generator;
//!
//! let request = parse_request(r#"{"count": 3, "seed": 7}"#, InputFormat::Json, CommandLineOverrides::default()).unwrap();
//! let generator = Generator::new(&request.scenario);
//! let first = generator.patient(0);
//! assert_eq!(first.sequence, 0);
//! ```

pub mod engine;
pub mod presets;
pub mod model;
pub mod random;
pub mod record;
pub mod reference;
pub mod scenario;
pub mod schedule;
pub mod summary;
pub mod time;
