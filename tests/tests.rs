//! Integration tests: the real `participa` binary over real files in `fixtures/`, each test in
//! its own working folder (see `util`).

mod smtp;
mod tools;
mod util;

mod daemon;
mod hostile_xlsx;

mod crash;
mod export;
mod followup;
mod hostile;
mod ingest;
mod init_status;
mod layouts;
mod lock;
mod report;
mod robust;
mod settle;
mod sources;
mod validate;
