//! Unit tests of the stack model's arithmetic (SPEC.md, section 10); the
//! behaviour itself is checked by the conformance suite, on real stacks.

use crate::stack::{frame_bytes, next_segment_size};

#[track_caller]
fn check_frame(declared: u64, expected: u64) {
    assert_eq!(frame_bytes(declared), expected, "frame_bytes({declared})");
}

#[test]
fn a_frame_takes_its_size_rounded_up_plus_record_and_reserve() {
    check_frame(0, 288);
    check_frame(1, 304);
    check_frame(16, 304);
    check_frame(256, 544);
    check_frame(4096, 4384);
    check_frame(u64::MAX - 8, u64::MAX); // saturates instead of wrapping to a small frame
}

#[track_caller]
fn check_next(prev: u64, frame: u64, expected: u64) {
    assert_eq!(next_segment_size(prev, frame), expected, "next_segment_size({prev}, {frame})");
}

#[test]
fn the_next_segment_doubles_or_fits_the_frame() {
    check_next(768, 544, 1536);
    check_next(1536, 1312, 3072);
    check_next(768, 4384, 4384);
    check_next(4384, 8480, 8768);
    check_next(768, 33057, 33072);
}
