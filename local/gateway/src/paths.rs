//! Where things live: the workspace root, the template and the tools `make setup` installs.

use std::path::PathBuf;

/// The cargo workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("..").join("..");
    root.canonicalize().unwrap_or(root)
}

/// `infra/template.yaml` of the workspace.
pub fn template_path() -> PathBuf {
    workspace_root().join("infra").join("template.yaml")
}

/// DynamoDB Local's directory (DynamoDBLocal.jar + DynamoDBLocal_lib/): `$DDB_LOCAL_DIR` or `.local/ddb`.
pub fn ddb_local_dir() -> PathBuf {
    env_path("DDB_LOCAL_DIR").unwrap_or_else(|| workspace_root().join(".local").join("ddb"))
}

/// The moto server executable: `$MOTO_SERVER` or `.local/venv/bin/moto_server`.
pub fn moto_server() -> PathBuf {
    env_path("MOTO_SERVER")
        .unwrap_or_else(|| workspace_root().join(".local").join("venv").join("bin").join("moto_server"))
}

/// The Java launcher: `$JAVA` or `java` from PATH.
pub fn java() -> PathBuf {
    env_path("JAVA").unwrap_or_else(|| PathBuf::from("java"))
}

/// Default data directory of `local-stack`: `$LOCAL_DATA_DIR` or `.local/data`.
pub fn local_data_dir() -> PathBuf {
    env_path("LOCAL_DATA_DIR").unwrap_or_else(|| workspace_root().join(".local").join("data"))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}
