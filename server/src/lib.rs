//! precept's front ends: the command-line interface ([`cli`]) and the language
//! server ([`lsp`]). Both are thin layers over the `precept-rules` engine.

pub mod cli;
pub mod files;
pub mod lsp;
