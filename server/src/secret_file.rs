//! Files that hold a secret: the TLS private keys (`server tls init`) and
//! the first admin's password (`server init-admin`). They are created
//! readable by their owner only, never readable by others even for the
//! moment between creating and restricting them.

use std::path::Path;

/// Writes `text` to `path`, a file only its owner can read: created so,
/// or made so before anything is written to it if it exists.
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("write {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode through `open`; set it.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("chmod {}: {e}", path.display()))?;
    }
    file.write_all(text.as_bytes())
        .map_err(|e| format!("write {}: {e}", path.display()))
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_secret_is_the_owners_alone_new_or_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret");
        super::write(&path, "one").expect("write");
        assert_eq!(
            (mode(&path), std::fs::read_to_string(&path).ok()),
            (0o600, Some("one".into()))
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        super::write(&path, "two").expect("write again");
        assert_eq!(
            (mode(&path), std::fs::read_to_string(&path).ok()),
            (0o600, Some("two".into()))
        );
    }
}
