//! Arbitrary bytes as a `--data` file (JSON array or JSON Lines): records
//! or an error, never a panic; an error names a record or the data.
#![no_main]

use kfql::keyfactor::WorkflowInstance;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut n = 0u64;
    match kfql::read_records::<WorkflowInstance, _>(data, |_| n += 1) {
        Ok(count) => assert_eq!(count, n),
        Err(e) => {
            assert_eq!(e.kind(), kfql::ErrorKind::InvalidRecord);
            assert!(!e.message().is_empty());
        }
    }
});
