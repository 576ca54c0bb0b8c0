//! Rebuilds the crate when a file in `migrations/` or `migrations-postgres/` changes, because
//! `sqlx::migrate!` embeds them and Cargo does not track files that a macro reads.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations-postgres");
}
