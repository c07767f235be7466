//! The walk against hand-made footers and page headers.

use super::*;

/// An unknown field 20 (long form) of wire type `wire`, then `body`.
fn unknown(wire: u8, body: &[u8]) -> Vec<u8> {
    [&[wire, 40][..], body].concat()
}

/// A list of i32::MAX booleans, its size as a varint.
const BOMB: [u8; 6] = [0xf1, 0xff, 0xff, 0xff, 0xff, 0x07];

#[test]
fn an_unknown_list_of_booleans_is_refused_by_its_size() {
    // FileMetaData { 1: version = 1, 20: list<bool> }
    let bytes = [&[0x15, 0x02][..], &unknown(0x09, &BOMB), &[0x00]].concat();
    assert_eq!(footer(&bytes), Err(Halt::Endless(i32::MAX as u64)));
    // Three booleans after five bytes: parquet loops three times.
    let small = [&[0x15, 0x02][..], &unknown(0x09, &[0x31]), &[0x00]].concat();
    assert_eq!(footer(&small), Ok(()));
}

#[test]
fn sets_and_maps_of_booleans_count_too() {
    let set = [&unknown(0x0a, &BOMB)[..], &[0x00]].concat();
    assert!(matches!(footer(&set), Err(Halt::Endless(_))));
    // map<bool, bool> of 1,000,000 entries.
    let map = [&unknown(0x0b, &[0xc0, 0x84, 0x3d, 0x11])[..], &[0x00]].concat();
    assert_eq!(footer(&map), Err(Halt::Endless(1_000_000)));
    // map<bool, i32>: every entry reads a byte, so the end stops it.
    let map = [&unknown(0x0b, &[0xc0, 0x84, 0x3d, 0x15])[..], &[0x00]].concat();
    assert_eq!(footer(&map), Err(Halt::Malformed));
}

#[test]
fn known_structs_are_walked_into() {
    // FileMetaData { 4: [RowGroup { 1: [ColumnChunk { 3: ColumnMetaData
    // { 12: Statistics { 20: list<bool> } } }] }] }
    let bytes = [
        &[0x49, 0x1c, 0x19, 0x1c, 0x3c, 0xcc][..],
        &unknown(0x09, &BOMB),
        &[0, 0, 0, 0, 0],
    ]
    .concat();
    assert!(matches!(footer(&bytes), Err(Halt::Endless(_))));
}

#[test]
fn known_fields_are_read_by_their_type_not_their_wire_type() {
    // Field 1 (an i32) claims to be a list: parquet reads a varint
    // all the same, then skips field 20. A walk by wire types would
    // read 0x02 as an empty list header and lose its place.
    let bytes = [&[0x19, 0x02][..], &unknown(0x09, &BOMB), &[0x00]].concat();
    assert!(matches!(footer(&bytes), Err(Halt::Endless(_))));
}

#[test]
fn malformed_bytes_are_left_to_parquet() {
    assert_eq!(footer(&[]), Err(Halt::Malformed));
    assert_eq!(footer(&[0x15]), Err(Halt::Malformed));
    assert_eq!(footer(&[0x1e]), Err(Halt::Malformed)); // wire type 14
    // A known list longer than the bytes left: parquet refuses it.
    assert_eq!(
        footer(&[0x29, 0xfc, 0xff, 0xff, 0xff, 0x07]),
        Err(Halt::Malformed)
    );
}

/// A data page header: type 0, sizes `size`, then `extra` fields.
fn page(size: u8, extra: &[u8]) -> Vec<u8> {
    [
        &[0x15, 0x00, 0x15, size * 2, 0x15, size * 2][..],
        extra,
        &[0x00],
    ]
    .concat()
}

fn reader(file: &[u8]) -> impl FnMut(u64, usize) -> Option<bytes::Bytes> + '_ {
    |at, n| {
        let at = usize::try_from(at).ok()?;
        let end = file.len().min(at.saturating_add(n));
        Some(bytes::Bytes::copy_from_slice(file.get(at..end)?))
    }
}

#[test]
fn page_headers_are_walked_page_by_page() {
    let one = [page(4, &[]), vec![1, 2, 3, 4]].concat();
    let two = [page(2, &unknown(0x09, &BOMB)), vec![5, 6]].concat();
    let chunk = [one.clone(), two].concat();
    assert!(matches!(
        pages(chunk.len() as u64, reader(&chunk), 0),
        Err(Halt::Endless(_))
    ));
    // The first page alone is fine, and so is a chunk after it.
    assert_eq!(pages(one.len() as u64, reader(&chunk), 0), Ok(()));
    let file = [vec![9; 3], one.clone()].concat();
    assert_eq!(pages(one.len() as u64, reader(&file), 3), Ok(()));
    // A page that runs past its chunk is parquet's to refuse.
    assert_eq!(
        pages(one.len() as u64 - 1, reader(&chunk), 0),
        Err(Halt::Malformed)
    );
}

#[test]
fn doubles_past_the_end_of_the_file_are_empty_steps_in_a_page_header() {
    // An unknown list<double> (wire 7) of i32::MAX elements, the
    // file ending after one: parquet's page reader skips the rest
    // without reading, one by one.
    let doubles = [0xf7, 0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3, 4, 5, 6, 7, 8];
    let head = page(1, &unknown(0x09, &doubles));
    let head = &head[..head.len() - 1]; // the file ends inside the list
    assert!(matches!(pages(100, reader(head), 0), Err(Halt::Endless(_))));
    // In a footer the same bytes are an error at the end.
    let footer_bytes = [&[0x15, 0x02][..], &unknown(0x09, &doubles)].concat();
    assert_eq!(footer(&footer_bytes), Err(Halt::Malformed));
}

#[test]
fn a_page_header_longer_than_the_window_is_read_whole() {
    // An unknown binary field (11) of 1,000 bytes before the bomb.
    let long = [&[0x88, 0xe8, 0x07][..], &[7; 1000]].concat();
    let head = page(1, &[long, unknown(0x09, &BOMB)].concat());
    let chunk = [head, vec![0]].concat();
    assert!(matches!(
        pages(chunk.len() as u64, reader(&chunk), 0),
        Err(Halt::Endless(_))
    ));
}
