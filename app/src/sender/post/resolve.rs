//! Name resolution under the address policy: a name that resolves to a
//! blocked address is refused before connecting.

use super::*;

/// Resolver errors that the chain walk recognises.
#[derive(Debug, thiserror::Error)]
pub(super) enum TargetError {
    #[error("the name resolves only to {addr}, {reason}")]
    Blocked { addr: IpAddr, reason: BlockReason },
    #[error("the name was not found in DNS")]
    NotFound,
}

/// Resolves through the system, then keeps only the addresses the policy
/// allows; the connection goes to one of those, so a name that changes its
/// answer between check and connect (DNS rebinding) gains nothing.
pub(super) struct GuardedResolver {
    pub(super) policy: Arc<TargetPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Box::new(TargetError::NotFound))?
                .collect();
            let mut first_refusal = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.check(addr.ip()) {
                    Ok(()) => true,
                    Err(reason) => {
                        first_refusal.get_or_insert((addr.ip(), reason));
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), first_refusal) {
                (false, _) => Ok(Box::new(allowed.into_iter()) as Addrs),
                (true, Some((addr, reason))) => {
                    Err(Box::new(TargetError::Blocked { addr, reason }) as _)
                }
                (true, None) => Err(Box::new(TargetError::NotFound) as _),
            }
        })
    }
}
