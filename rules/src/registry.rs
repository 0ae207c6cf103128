//! The one list of rules. A rule id is never reused; a renamed rule keeps its old id
//! as a redirect in [`REDIRECTS`].

use crate::rule::RuleMeta;
use crate::rules::{reliability, security, suppression};
use crate::walk::Rule;

static ALL: &[&dyn Rule] = &[
    &reliability::unwrap_in_boundary::UnwrapInBoundary,
    &reliability::missing_timeout::MissingTimeout,
    &reliability::unbounded_retry::UnboundedRetry,
    &reliability::unbounded_channel::UnboundedChannel,
    &reliability::blocking_in_async::BlockingInAsync,
    &reliability::swallowed_error::SwallowedError,
    &reliability::detached_spawn::DetachedSpawn,
    &security::sql_injection::SqlInjection,
    &security::select_star::SelectStar,
    &security::hardcoded_secret::HardcodedSecret,
    &security::secret_in_log::SecretInLog,
    &security::debug_derive_secret::DebugDeriveSecret,
    &security::tls_verification_disabled::TlsVerificationDisabled,
    &security::plaintext_http::PlaintextHttp,
    &security::weak_password_hash::WeakPasswordHash,
    &crate::rules::observability::print_logging::PrintLogging,
    &crate::rules::observability::unstructured_log::UnstructuredLog,
    &crate::rules::correctness::local_time::LocalTime,
    &crate::rules::correctness::wall_clock_duration::WallClockDuration,
    &crate::rules::correctness::uuid_v4_id::UuidV4Id,
    &crate::rules::correctness::client_per_request::ClientPerRequest,
    &crate::rules::correctness::permissive_cors::PermissiveCors,
    &crate::rules::correctness::error_source_discarded::ErrorSourceDiscarded,
    &crate::rules::maintainability::untyped_public_error::UntypedPublicError,
    &crate::rules::maintainability::glob_import::GlobImport,
    &crate::rules::maintainability::commented_out_code::CommentedOutCode,
    &crate::rules::maintainability::hardcoded_config::HardcodedConfig,
    &suppression::unused_suppression::UnusedSuppression,
    &suppression::suppression_without_reason::SuppressionWithoutReason,
];

/// Old rule ids and the ids that replaced them.
pub static REDIRECTS: &[(&str, &str)] = &[];

/// Every rule, in catalog order.
pub fn all() -> &'static [&'static dyn Rule] {
    ALL
}

/// Rules that take part in the syntax walk. The suppression rules and
/// `commented-out-code` work on comments, which the syntax tree does not have.
pub(crate) fn walk_rules() -> &'static [&'static dyn Rule] {
    static WALK: std::sync::OnceLock<Vec<&'static dyn Rule>> = std::sync::OnceLock::new();
    WALK.get_or_init(|| {
        ALL.iter()
            .copied()
            .filter(|r| !works_on_comments(r.meta()))
            .collect()
    })
}

fn works_on_comments(meta: &RuleMeta) -> bool {
    meta.category == crate::rule::Category::Suppression
        || meta.id == crate::rules::maintainability::commented_out_code::META.id
}

/// Metadata of a rule by id (following redirects).
pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    let id = REDIRECTS
        .iter()
        .find(|(old, _)| *old == id)
        .map_or(id, |(_, new)| *new);
    ALL.iter().map(|r| r.meta()).find(|m| m.id == id)
}

/// Whether `id` names a rule.
pub fn is_known(id: &str) -> bool {
    meta(id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for r in all() {
            let id = r.meta().id;
            assert!(seen.insert(id), "duplicate rule id {id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id} is not kebab-case"
            );
        }
    }

    #[test]
    fn walk_rules_excludes_comment_rules() {
        assert!(walk_rules().iter().all(|r| !works_on_comments(r.meta())));
        assert_eq!(walk_rules().len() + 3, all().len());
    }
}
