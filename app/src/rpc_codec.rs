//! How server functions' answers travel: JSON, read in the browser with
//! `serde_json::from_str`, the same reader the islands use for their props.
//!
//! Why not server_fn's `Json`: it reads with `from_slice`, and serde
//! monomorphises every answer type once per reader. The types an island
//! takes as props and gets back from a call (a section, a test report,
//! field errors) were compiled twice into the browser's wasm; with one
//! reader they are compiled once (ADR 0018).

use leptos::serde_json;
use leptos::server_fn::{codec::Post, Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// JSON both ways, decoded from text.
pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// The answer codec of every server function (`output = Answer`).
pub type Answer = Post<JsonText>;
