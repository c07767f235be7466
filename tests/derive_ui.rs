//! The derive's compile errors, one file per mistake, each checked against
//! the compiler output it must give (`tests/derive_ui/*.stderr`; after a
//! deliberate change, regenerate with `TRYBUILD=overwrite cargo test
//! --test derive_ui` and read the diff).

#[test]
fn derive_mistakes_are_compile_errors_at_their_spans() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/derive_ui/*.rs");
}
