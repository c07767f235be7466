//! Placeholder benchmark group so `cargo bench --no-run` builds a harness;
//! the full suite (issue 4) replaces it.
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn parse(c: &mut Criterion) {
    c.bench_function("parse/q1", |b| {
        b.iter(|| kfql::parse(black_box(r#"Status -eq "Running""#)).expect("parses"))
    });
}

criterion_group!(benches, parse);
criterion_main!(benches);
