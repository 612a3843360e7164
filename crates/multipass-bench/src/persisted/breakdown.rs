//! Where one persisted operation spends its time: a tracing layer that times every span of
//! the API and the store (`#[tracing::instrument]` and the signing span) and counts the SQL
//! statements sqlx logs inside each. It is switched on only for the traced operations; off,
//! it disables every callsite, so the measured runs pay one atomic load per span or event.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The module path and the name of a span: the API's `transfer` and the store's differ.
type Key = (String, String);

#[derive(Default)]
struct Totals {
    calls: u64,
    elapsed: Duration,
    statements: u64,
}

#[derive(Default, Clone)]
pub struct Recorder {
    on: Arc<AtomicBool>,
    totals: Arc<Mutex<BTreeMap<Key, Totals>>>,
    statements: Arc<Mutex<u64>>,
}

struct Started(Instant);

fn key(meta: &Metadata<'_>) -> Key {
    (meta.target().to_owned(), meta.name().to_owned())
}

impl<S> Layer<S> for Recorder
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    fn on_new_span(&self, _: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Started(Instant::now()));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        if let Ok(mut n) = self.statements.lock() {
            *n += 1;
        }
        let Some(scope) = ctx.event_scope(event) else {
            return;
        };
        let Ok(mut totals) = self.totals.lock() else {
            return;
        };
        for span in scope {
            totals.entry(key(span.metadata())).or_default().statements += 1;
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some(elapsed) = span.extensions().get::<Started>().map(|s| s.0.elapsed()) else {
            return;
        };
        if let Ok(mut totals) = self.totals.lock() {
            let entry = totals.entry(key(span.metadata())).or_default();
            entry.calls += 1;
            entry.elapsed += elapsed;
        }
    }
}

/// One span's share of an operation, averaged over the traced operations.
#[derive(Debug, Serialize)]
pub struct Part {
    pub target: String,
    pub span: String,
    pub calls_per_op: f64,
    pub micros_per_op: f64,
    pub statements_per_op: f64,
}

#[derive(Debug, Serialize)]
pub struct Breakdown {
    pub operation: String,
    pub operations: u64,
    pub micros_per_op: f64,
    /// Every statement sqlx sent, `BEGIN` and `COMMIT` included.
    pub statements_per_op: f64,
    pub parts: Vec<Part>,
}

impl Recorder {
    /// Installs the recorder as the process's subscriber, switched off.
    pub fn install() -> Option<Self> {
        use tracing_subscriber::layer::SubscriberExt as _;
        let recorder = Self::default();
        let subscriber = tracing_subscriber::registry().with(recorder.clone());
        tracing::subscriber::set_global_default(subscriber)
            .ok()
            .map(|()| recorder)
    }

    /// Forgets what was recorded and starts recording.
    pub fn start(&self) {
        if let Ok(mut totals) = self.totals.lock() {
            totals.clear();
        }
        if let Ok(mut n) = self.statements.lock() {
            *n = 0;
        }
        self.on.store(true, Ordering::Relaxed);
    }

    pub fn stop(&self) {
        self.on.store(false, Ordering::Relaxed);
    }

    #[allow(clippy::cast_precision_loss)]
    pub fn report(&self, operation: &str, operations: u64, total: Duration) -> Breakdown {
        let ops = operations.max(1) as f64;
        let statements = self.statements.lock().map(|n| *n).unwrap_or_default();
        let parts = self
            .totals
            .lock()
            .map(|totals| {
                totals
                    .iter()
                    .filter(|((target, _), _)| target.starts_with("multipass"))
                    .map(|((target, span), t)| Part {
                        target: target.clone(),
                        span: span.clone(),
                        calls_per_op: t.calls as f64 / ops,
                        micros_per_op: t.elapsed.as_secs_f64() * 1e6 / ops,
                        statements_per_op: t.statements as f64 / ops,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Breakdown {
            operation: operation.to_owned(),
            operations,
            micros_per_op: total.as_secs_f64() * 1e6 / ops,
            statements_per_op: statements as f64 / ops,
            parts,
        }
    }
}

pub fn render(out: &mut String, b: &Breakdown) {
    out.push_str(&format!(
        "  {} over {} calls, 1 client: {:.0} µs and {:.1} statements per call\n",
        b.operation, b.operations, b.micros_per_op, b.statements_per_op
    ));
    for p in &b.parts {
        out.push_str(&format!(
            "    {:<44} {:>5.2} calls {:>8.0} µs {:>6.2} statements\n",
            format!("{}::{}", p.target, p.span),
            p.calls_per_op,
            p.micros_per_op,
            p.statements_per_op
        ));
    }
}
