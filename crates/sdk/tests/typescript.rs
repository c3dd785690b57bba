//! The TypeScript types ship the protocol's error codes, all of them and only them.

use crosspass_protocol::ErrorCode;

#[test]
fn the_error_code_union_matches_the_protocol() {
    let dts = include_str!("../js/index.d.ts");
    let start = dts
        .find("export type ErrorCode =")
        .expect("ErrorCode union");
    let rest = dts.get(start..).unwrap_or_default();
    let union = rest
        .get(..rest.find(';').expect("end of union"))
        .unwrap_or_default();
    let declared: Vec<&str> = union.split('"').skip(1).step_by(2).collect();
    let expected: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(declared, expected);
}
