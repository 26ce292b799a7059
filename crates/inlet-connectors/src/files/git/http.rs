//! Git over https, through gix's reqwest transport, held to the outbound
//! policy. The URL's host is resolved and checked once (by `net::resolve`),
//! and the client is told to connect to that checked address for that name
//! (the name stays in the URL, so TLS checks the certificate for it and sends
//! it as SNI). It resolves no other name, uses no proxy, and follows no
//! redirect: a redirect's target would be a host nobody checked, so a
//! `3xx` answer fails the request instead.

use std::any::Any;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gix::protocol::transport::client::blocking_io::http;

/// A resolver that resolves nothing: every name reqwest may need besides the
/// pinned one (a proxy, a redirect target) is refused.
struct NoOtherNames;

impl reqwest::dns::Resolve for NoOtherNames {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            Err(format!("{name} was not checked against the outbound policy").into())
        })
    }
}

/// The HTTP settings of one gix connection: `host` reaches only `addr`,
/// redirects are not followed, `timeout` bounds the connect.
pub fn transport_options(host: &str, addr: SocketAddr, timeout: Duration) -> Box<dyn Any> {
    let host = host.to_owned();
    let configure: Box<http::reqwest::ConfigureClientFn> =
        Box::new(move |builder: reqwest::blocking::ClientBuilder| {
            Ok(builder
                .no_proxy()
                .dns_resolver(Arc::new(NoOtherNames))
                .resolve(&host, addr)
                .connect_timeout(timeout))
        });
    let backend = http::reqwest::Options {
        configure_client: Some(configure),
        configure_request: None,
    };
    let options = http::Options {
        follow_redirects: http::options::FollowRedirects::None,
        backend: Some(Arc::new(Mutex::new(backend))),
        ..Default::default()
    };
    Box::new(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_are_never_followed() {
        let options = transport_options(
            "example.com",
            "127.0.0.1:443".parse().unwrap(),
            Duration::from_secs(1),
        );
        let options = options.downcast_ref::<http::Options>().unwrap();
        assert_eq!(
            options.follow_redirects,
            http::options::FollowRedirects::None
        );
        assert!(options.backend.is_some());
    }
}
