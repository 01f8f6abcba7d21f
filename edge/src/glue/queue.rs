//! The queue consumers: clicks to the origin in signed batches, and the dead-letter queue
//! re-driven into the main queue.

use worker::{Env, Fetch, Headers, Message, MessageBatch, MessageExt, Method, Request, RequestInit, Result, console_error};

use super::now_ms;
use crate::forward;
use crate::vars::Vars;

fn missing(what: &'static str) -> worker::Error {
    worker::Error::RustError(what.into())
}

async fn deliver(vars: &Vars, signed: forward::SignedBatch) -> Result<bool> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set(payref_shared::signature::HEADER, &signed.signature)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(signed.body.into()));
    let request = Request::new_with_init(&forward::ingest_url(vars.origin_url().map_err(missing)?), &init)?;
    let response = Fetch::Request(request).send().await?;
    Ok((200..300).contains(&response.status_code()))
}

/// Delivers one batch of queued clicks as one signed request; on failure every message is
/// retried with the queue's `retry_delay`, and after `max_retries` dead-lettered.
pub async fn deliver_batch(batch: MessageBatch<String>, vars: &Vars) -> Result<()> {
    let messages: Vec<Message<String>> = batch.messages()?;
    let bodies: Vec<String> = messages.iter().map(|m| m.body().clone()).collect();
    let (events, poison) = forward::parse_messages(&bodies);
    for &i in &poison {
        console_error!("payref: dropping unparseable queue message {}", messages[i].id());
    }
    if events.is_empty() {
        poison.iter().for_each(|&i| messages[i].ack());
        return Ok(());
    }
    let signed = forward::sign_batch(events, vars.edge_secret().map_err(missing)?, now_ms());
    let delivered = match deliver(vars, signed).await {
        Ok(ok) => ok,
        Err(e) => {
            console_error!("payref: origin unreachable: {e}");
            false
        }
    };
    for (m, fate) in messages.iter().zip(forward::settle(messages.len(), &poison, delivered)) {
        match fate {
            forward::Settle::Ack => m.ack(),
            forward::Settle::Retry => m.retry(),
        }
    }
    Ok(())
}

/// Seconds a re-driven message waits in the main queue before its next delivery attempt.
const REDRIVE_DELAY_SECONDS: u32 = 300;

/// The dead-letter queue's consumer: every message goes back into the main queue, delayed, to
/// be tried again with a fresh set of retries. Nothing is dropped while the origin is away.
pub async fn redrive(batch: MessageBatch<String>, env: Env) -> Result<()> {
    let queue = env.queue(super::QUEUE)?;
    for m in batch.messages()? {
        let message = worker::MessageBuilder::new(m.body().clone()).delay_seconds(REDRIVE_DELAY_SECONDS).build();
        match queue.send(message).await {
            Ok(()) => m.ack(),
            Err(e) => {
                console_error!("payref: re-driving {}: {e}", m.id());
                m.retry();
            }
        }
    }
    Ok(())
}
