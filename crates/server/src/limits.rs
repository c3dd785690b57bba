//! Rate limits on `/oauth/*` and `/api/*`: one per client address, checked before a
//! request is read, and one per registered client, checked once the client is proven
//! (a verified access token, an authenticated client, a verified assertion), so that
//! nobody can spend another client's budget by naming it. Over a limit: `429` with
//! `Retry-After`.
//!
//! The address is the TCP peer's, unless `trusted_proxy_header` names the header a
//! reverse proxy puts it in (its last entry: the one the proxy itself saw). IPv6
//! addresses count per /64, which is what one subscriber usually holds.

use crate::config::Config;
use crate::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

/// The limiters of one replica.
#[derive(Debug)]
pub struct Limits {
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_client: Option<DefaultKeyedRateLimiter<String>>,
    proxy_header: Option<axum::http::HeaderName>,
    clock: DefaultClock,
}

/// Which limit refused a request (a metrics label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The client address's.
    Address,
    /// The registered client's.
    Client,
}

impl Scope {
    /// The label.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Address => "address",
            Scope::Client => "client",
        }
    }
}

fn limiter<K: std::hash::Hash + Eq + Clone>(
    per_second: u32,
    burst_secs: u32,
) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(per_second.saturating_mul(burst_secs)).unwrap_or(rate);
    Some(RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl Limits {
    /// The limits `config` asks for.
    pub fn new(config: &Config) -> Self {
        Self {
            per_address: limiter(config.rate_limit_per_address, config.rate_limit_burst_secs),
            per_client: limiter(config.rate_limit_per_client, config.rate_limit_burst_secs),
            proxy_header: config
                .trusted_proxy_header
                .as_deref()
                .and_then(|h| axum::http::HeaderName::from_bytes(h.as_bytes()).ok()),
            clock: DefaultClock::default(),
        }
    }

    /// The address a request counts against.
    pub fn address(&self, peer: Option<SocketAddr>, headers: &axum::http::HeaderMap) -> IpAddr {
        let forwarded = self.proxy_header.as_ref().and_then(|h| {
            let value = headers.get_all(h).iter().next_back()?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        });
        let ip = forwarded
            .or(peer.map(|p| p.ip()))
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        match ip {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        }
    }

    /// Counts a request from `address`.
    pub fn check_address(&self, address: IpAddr) -> Result<(), ApiError> {
        self.check(self.per_address.as_ref(), &address, Scope::Address)
    }

    /// Counts a request served for `client_id`.
    pub fn check_client(&self, client_id: &str) -> Result<(), ApiError> {
        self.check(
            self.per_client.as_ref(),
            &client_id.to_owned(),
            Scope::Client,
        )
    }

    fn check<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: Option<&DefaultKeyedRateLimiter<K>>,
        key: &K,
        scope: Scope,
    ) -> Result<(), ApiError> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            crate::metrics::rate_limited(scope);
            ApiError::RateLimited(wait.max(Duration::from_secs(1)))
        })
    }

    /// Forgets keys whose budget is full again, so that idle addresses cost nothing.
    pub fn forget_idle(&self) {
        if let Some(l) = &self.per_address {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_client {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn config(per_address: u32, per_client: u32, header: Option<&str>) -> Config {
        Config {
            rate_limit_per_address: per_address,
            rate_limit_per_client: per_client,
            rate_limit_burst_secs: 2,
            trusted_proxy_header: header.map(str::to_owned),
            ..Config::default()
        }
    }

    #[test]
    fn a_burst_passes_then_the_rate_holds_per_key() {
        let limits = Limits::new(&config(5, 0, None));
        let a = IpAddr::from([10, 0, 0, 1]);
        let b = IpAddr::from([10, 0, 0, 2]);
        for _ in 0..10 {
            limits.check_address(a).unwrap();
        }
        let Err(ApiError::RateLimited(wait)) = limits.check_address(a) else {
            panic!("the eleventh request passed");
        };
        assert!(wait >= Duration::from_secs(1));
        limits.check_address(b).unwrap();
        // No client limit configured: never refused.
        for _ in 0..100 {
            limits.check_client("abc").unwrap();
        }
    }

    #[test]
    fn the_forwarded_address_counts_only_when_its_header_is_trusted() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let untrusted = Limits::new(&config(5, 0, None));
        assert_eq!(untrusted.address(Some(peer), &headers), peer.ip());
        let trusted = Limits::new(&config(5, 0, Some("x-forwarded-for")));
        assert_eq!(
            trusted.address(Some(peer), &headers),
            IpAddr::from([198, 51, 100, 7])
        );
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(trusted.address(Some(peer), &headers), peer.ip());
        let v6: SocketAddr = "[2001:db8:1:2:3:4:5:6]:443".parse().unwrap();
        assert_eq!(
            trusted.address(Some(v6), &HeaderMap::new()),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
    }
}
