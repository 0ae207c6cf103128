//! The catalog's "secret-like name" and the masking of secret values, shared by the
//! rules that deal with credentials.

/// The words of an identifier, lowercased: `apiKey` and `API_KEY` both give
/// `["api", "key"]`.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let boundary = c.is_ascii_uppercase()
                && i > 0
                && (chars[i - 1].is_ascii_lowercase()
                    || chars[i - 1].is_ascii_digit()
                    || (chars[i - 1].is_ascii_uppercase()
                        && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())));
            if boundary && !cur.is_empty() {
                out.push(std::mem::take(&mut cur).to_ascii_lowercase());
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur.to_ascii_lowercase());
        }
    }
    out
}

/// Words that make a name secret-like on their own.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "bearer",
];

/// Word pairs that make a name secret-like together.
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("client", "secret"),
    ("auth", "token"),
];

/// Words that make a name about a secret rather than the secret itself
/// (`token_count`, `password_len`, `session_id`, `token_url`). Hashes stay
/// secret-like: a leaked password hash can be cracked offline.
const NOT_THE_SECRET: &[&str] = &[
    "count",
    "len",
    "length",
    "id",
    "ids",
    "ttl",
    "type",
    "kind",
    "url",
    "uri",
    "endpoint",
    "path",
    "file",
    "name",
    "header",
    "size",
    "policy",
    "prefix",
    "encrypted",
    "public",
];

/// A secret-like name as RULES.md defines it, plus `extra` words the calling rule
/// also counts (`auth`, `authorization`, `cookie`).
pub(crate) fn is_secret_like_with(name: &str, extra: &[&str]) -> bool {
    let words = words(name);
    if words.iter().any(|w| NOT_THE_SECRET.contains(&w.as_str()))
        || words
            .iter()
            .any(|w| w.starts_with("expir") || w == "expires")
    {
        return false;
    }
    words
        .iter()
        .any(|w| SECRET_WORDS.contains(&w.as_str()) || extra.contains(&w.as_str()))
        || words
            .windows(2)
            .any(|p| SECRET_PAIRS.contains(&(p[0].as_str(), p[1].as_str())))
}

/// A secret-like name as RULES.md defines it.
pub(crate) fn is_secret_like_name(name: &str) -> bool {
    is_secret_like_with(name, &[])
}

/// Only the first four and the last two characters of a secret, `ghp_…a1`.
pub(crate) fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 10 {
        return "…".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_like_names() {
        for yes in [
            "password",
            "db_password",
            "apiKey",
            "API_KEY",
            "private_key",
            "client_secret",
            "AccessKey",
            "credentials",
            "auth_token",
            "bearer",
            "user_pwd",
        ] {
            assert!(is_secret_like_name(yes), "{yes}");
        }
        for no in [
            "author",
            "oauth_url",
            "token_count",
            "tokens_used",
            "password_len",
            "token_id",
            "token_ttl",
            "token_expires_at",
            "key",
            "apikeys_total",
            "token_prefix_v1",
            "encrypted_private_key",
        ] {
            assert!(!is_secret_like_name(no), "{no}");
        }
    }

    #[test]
    fn masking() {
        // Built at run time so that precept's own source holds no credential shape.
        let token = ["ghp_", "abcdefghijklmnopqrstuvwxyz0123456789a1"].concat();
        assert_eq!(mask(&token), "ghp_…a1");
        assert_eq!(mask("short"), "…");
    }
}
