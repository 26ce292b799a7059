//! Integration tests: the real server on port 0, called over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod harness;

mod audit;
mod auth;
mod bad_input;
mod browser;
mod catalog;
mod codealive;
mod collections;
mod connections;
mod connectors;
mod console;
mod cross_dialect;
mod databrain;
mod destination;
mod file_roots;
mod health;
mod isolation;
mod key_lineage;
mod limits;
mod openapi;
mod org_policy;
mod postgres;
mod rivergen;
mod schedules;
mod search;
mod secrets;
mod streams;
mod sync;
