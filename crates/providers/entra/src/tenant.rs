//! Which tenants a configuration accepts, and the issuers Entra writes for them.

use tambo_auth::Error;

/// The `tenant` values of a multi-tenant app: the authorities whose discovery document carries
/// the issuer template `https://login.microsoftonline.com/{tenantid}/v2.0`.
const MULTI_TENANT: [&str; 2] = ["organizations", "common"];

/// The tenants a provider accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tenants {
    /// A single-tenant app: its own directory (tenant) id.
    Single(String),
    /// A multi-tenant app: the authority it signs in through (`organizations` or `common`) and
    /// the tenants whose users it accepts.
    Multi {
        authority: String,
        allowed: Vec<String>,
    },
}

impl Tenants {
    /// Reads `tenant` and `allowed_tenants`, naming the field at fault.
    pub(crate) fn new(tenant: &str, allowed_tenants: &[String]) -> Result<Tenants, Error> {
        let tenant = tenant.trim().to_ascii_lowercase();
        if MULTI_TENANT.contains(&tenant.as_str()) {
            if allowed_tenants.is_empty() {
                return Err(Error::config(
                    "allowed_tenants",
                    format!(
                        "required with tenant = \"{tenant}\": list the directory (tenant) ids whose users may sign in; without the list, a token of any Microsoft tenant (anyone can create one) would be accepted"
                    ),
                ));
            }
            let allowed = allowed_tenants
                .iter()
                .map(|t| tenant_id(t, "allowed_tenants"))
                .collect::<Result<_, _>>()?;
            return Ok(Tenants::Multi {
                authority: tenant,
                allowed,
            });
        }
        if !allowed_tenants.is_empty() {
            return Err(Error::config(
                "allowed_tenants",
                "only for a multi-tenant app (tenant = \"organizations\" or \"common\"); a single-tenant app accepts its own tenant only",
            ));
        }
        tenant_id(&tenant, "tenant").map(Tenants::Single)
    }

    /// Every accepted tenant id.
    pub(crate) fn ids(&self) -> &[String] {
        match self {
            Tenants::Single(id) => std::slice::from_ref(id),
            Tenants::Multi { allowed, .. } => allowed,
        }
    }

    /// Whether `tenant` (a `tid` or the tenant in an `iss`) is accepted.
    pub(crate) fn accepts(&self, tenant: &str) -> bool {
        self.ids().iter().any(|id| id.eq_ignore_ascii_case(tenant))
    }
}

/// A directory (tenant) id: a GUID, lowercased as Entra writes it in `iss` and `tid`.
fn tenant_id(input: &str, field: &str) -> Result<String, Error> {
    let id = input.trim().to_ascii_lowercase();
    if is_guid(&id) {
        return Ok(id);
    }
    Err(Error::config(
        field,
        format!(
            "{input:?} is not a directory (tenant) id: use the GUID shown as Tenant ID in the Entra admin center (Overview){}; a domain such as contoso.onmicrosoft.com is not what tokens carry",
            if field == "tenant" {
                ", or \"organizations\" / \"common\" for a multi-tenant app"
            } else {
                ""
            }
        ),
    ))
}

/// Whether `text` is a GUID in its 8-4-4-4-12 hexadecimal form.
pub(crate) fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    #[test]
    fn a_guid_is_a_single_tenant_and_is_lowercased() {
        let tenants = Tenants::new(&A.to_ascii_uppercase(), &[]).expect("a GUID");
        assert_eq!(tenants, Tenants::Single(A.to_owned()));
        assert!(tenants.accepts(A));
        assert!(!tenants.accepts("00000000-0000-0000-0000-000000000000"));
    }

    #[test]
    fn organizations_and_common_need_their_allowed_tenants() {
        for authority in ["organizations", "Common"] {
            let err = Tenants::new(authority, &[]).expect_err("no allow-list");
            assert!(err.to_string().contains("`allowed_tenants`"), "{err}");
            let tenants = Tenants::new(authority, &[A.to_owned()]).expect("allowed");
            assert_eq!(tenants.ids(), [A]);
        }
    }

    #[test]
    fn domains_and_malformed_ids_are_refused_with_the_field_named() {
        for (tenant, allowed, field) in [
            ("contoso.onmicrosoft.com", vec![], "tenant"),
            ("consumers", vec![], "tenant"),
            ("72f988bf-86f1-41af-91ab-2d7cd011db4", vec![], "tenant"),
            ("72f988bf86f141af91ab2d7cd011db47", vec![], "tenant"),
            (
                "organizations",
                vec!["contoso.com".to_owned()],
                "allowed_tenants",
            ),
            (A, vec![A.to_owned()], "allowed_tenants"),
        ] {
            let err = Tenants::new(tenant, &allowed).expect_err(tenant);
            assert!(
                err.to_string().contains(&format!("`{field}`")),
                "{tenant}: {err}"
            );
        }
    }
}
