//! The conformance suite for docs/LANGUAGE.md, from “Syntax” to “Workflow instances” and
//! “Errors and limits”: one integration-test binary, one module per section. Every rule has a test that fails when
//! the rule breaks; regressions are named after what broke.

mod common;
mod errors;
mod limits;
mod meaning;
mod printing;
mod properties;
mod records;
mod sorting;
mod syntax;
mod tokens;
mod types;
