//! The concrete actions findings list, from the service catalog.

/// Every action of a service, as `prefix:Action`, in catalog order (empty for an unknown
/// service).
#[must_use]
pub fn of_service(prefix: &str) -> Vec<String> {
    keyhole_policy::catalog::service_catalog()
        .service(prefix)
        .map(|service| {
            service
                .actions()
                .iter()
                .map(|a| format!("{}:{}", service.prefix(), a.name()))
                .collect()
        })
        .unwrap_or_default()
}
