//! Many workers on one PostgreSQL database, each with its own connection, claiming at once:
//! every email is sent exactly once.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

mod common;

use common::{fresh_options, once_each, t0, url};
use conferral::issuer::{Issuer, Workers, deliver_with_workers};
use conferral::mail::MemoryMailer;
use conferral::storage::Storage;
use conferral_postgres::{PostgresPool, PostgresStorage};

#[test]
fn four_workers_with_their_own_connections_send_2000_emails_each_once() {
    let options = fresh_options("workers");
    let open = || PostgresStorage::connect_with(&url(), &options).unwrap();
    let (setup, _) = common::import(open(), 2_000, true);
    drop(setup);

    // Each worker has its own connection and starts at the same moment; claims skip the
    // rows other claims hold instead of waiting for them.
    let start = std::sync::Barrier::new(4);
    let mailers: Vec<MemoryMailer> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut worker = Issuer::new(open(), common::issuer_config()).unwrap();
                    let mut mailer = MemoryMailer::default();
                    start.wait();
                    worker
                        .deliver(&mut mailer, &mut t0, None, &mut |_| {})
                        .unwrap();
                    mailer
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let shares: Vec<usize> = mailers.iter().map(|m| m.sent.len()).collect();
    assert_eq!(
        once_each(&mailers),
        (2_000, 2_000),
        "someone was emailed twice or never (shares {shares:?})"
    );
    let status = open().status().unwrap();
    assert_eq!(status.deliveries["sent"], 2_000);
    assert_eq!(status.deliveries["sending"], 0);
    assert!(status.leases.is_empty());
}

#[test]
fn workers_on_pooled_connections_send_each_email_once() {
    let pool = PostgresPool::new(&url(), &fresh_options("pooled").pool_size(4)).unwrap();
    let (setup, _) = common::import(pool.store(), 300, true);
    drop(setup);
    let sent = std::sync::Mutex::new(Vec::new());
    let config = common::issuer_config();
    let run = deliver_with_workers(
        &Workers {
            count: 3,
            config: &config,
            open_store: &|| Ok(pool.store()),
            open_mailer: &|| Ok(Recording(&sent, MemoryMailer::default())),
            worker_id: &|i| format!("test:{i}"),
            clock: &t0,
        },
        None,
        &|_| {},
    )
    .unwrap();
    assert_eq!(run.delivery.sent, 300);
    let mut recipients = sent.into_inner().unwrap();
    recipients.sort_unstable();
    recipients.dedup();
    assert_eq!(recipients.len(), 300);
    assert_eq!(pool.store().status().unwrap().deliveries["sent"], 300);
}

/// A mailer that also writes each recipient into a list shared by every worker.
struct Recording<'a>(&'a std::sync::Mutex<Vec<String>>, MemoryMailer);

impl conferral::mail::Mailer for Recording<'_> {
    fn send(
        &mut self,
        message: &conferral::mail::OutgoingMessage,
    ) -> conferral::outbox::SendOutcome {
        self.0.lock().unwrap().push(message.to.email.clone());
        self.1.send(message)
    }
}
