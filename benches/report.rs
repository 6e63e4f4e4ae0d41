//! Report benchmark (being written).
fn main() {}
