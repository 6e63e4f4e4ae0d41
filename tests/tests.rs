//! Integration tests: the real `participa` binary over real files in `fixtures/`, each test in
//! its own working folder (see `util`).

mod util;

mod export;
mod ingest;
mod init_status;
mod validate;
