//! nginx-sys has already generated bindings for the configured nginx tree (see
//! docker/build-module.sh); here we turn its version into cfgs for the few layouts that differ.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(ngx_table_elt_has_next)");
    println!("cargo:rerun-if-env-changed=DEP_NGINX_VERSION_NUMBER");
    let version: u64 = std::env::var("DEP_NGINX_VERSION_NUMBER")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    // ngx_table_elt_t gained `next` (a chain of same-name headers) in nginx 1.23.0
    if version >= 1_023_000 {
        println!("cargo:rustc-cfg=ngx_table_elt_has_next");
    }
}
