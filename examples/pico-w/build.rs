//! Puts memory.x on the linker search path and passes the linker scripts.
//!
//! `link.x` comes from cortex-m-rt, `link-rp.x` (boot2 placement) from embassy-rp and
//! `defmt.x` from defmt. The settings read with `option_env!` (WIFI_SSID, ...) need no
//! `rerun-if-env-changed` here: rustc tracks them itself.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");

    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rustc-link-arg-bins=-Tlink-rp.x");
    println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
}
