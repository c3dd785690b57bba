//! A throughput smoke check, not a benchmark: the client shares the machine, so the
//! figures are a floor. Run with
//! `cargo test --profile server -p crosspass-server --test throughput -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail loudly by design

mod common;

use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

const WORKERS: usize = 32;

async fn run<F, Fut>(total: usize, make: F) -> f64
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = u16> + Send,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (make, next) = (make.clone(), next.clone());
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                assert_eq!(make(i).await, 200);
            }
        });
    }
    set.join_all().await;
    total as f64 / start.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow; run by hand in the server profile"]
async fn redemptions_and_reads_per_second() {
    let t = TestServer::start().await;
    let total = 20_000;
    for (partner, user) in [(Partner::abc(), "alice"), (Partner::def(), "bob")] {
        let assertions: Arc<Vec<String>> =
            Arc::new((0..total).map(|_| partner.assertion(user)).collect());
        let (http, url) = (t.http.clone(), t.url("/oauth/token"));
        let rps = run(total, move |i| {
            let (http, url, assertions) = (http.clone(), url.clone(), assertions.clone());
            async move {
                http.post(url)
                    .form(&[
                        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                        ("assertion", assertions[i].as_str()),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        })
        .await;
        println!("token redemptions ({}): {rps:.0}/s", partner.key.alg());
    }

    let token = t.alice_token(None).await;
    let (http, url) = (t.http.clone(), t.url("/api/v1/me/record"));
    let rps = run(total * 2, move |_| {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    })
    .await;
    println!("record reads: {rps:.0}/s");
    t.stop().await;
}
