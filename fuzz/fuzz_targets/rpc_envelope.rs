//! The hub RPC decoders on arbitrary text: never a panic, and a request that decodes
//! re-encodes to text that decodes to the same request.
#![no_main]

use crosspass_protocol::rpc::{HubMessage, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(request) = Request::decode(text) {
        assert_eq!(Request::decode(&request.encode()).ok(), Some(request));
    }
    let _ = HubMessage::decode(text);
});
