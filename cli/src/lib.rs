//! Shared pieces of the `rvo` binaries: reading programs in the forms users have them, and
//! printing code side by side.

pub mod check;
pub mod conformance;
pub mod corpus;
pub mod devices;
pub mod input;
pub mod listing;
pub mod maps_json;
pub mod packets;
pub mod report;
pub mod xdp;
