//! The console's job tables: a connection's history on its page, and the
//! organization's recent and failed jobs on the overview.

use std::collections::HashMap;

use inlet_core::ids::{ConnectionId, job_label};
use inlet_core::model::Timestamp;
use inlet_core::model::job::Job;
use inlet_core::model::wire::WireEnum;
use maud::{Markup, html};

use super::layout::{badge, when};

/// A table of jobs, newest first. With `names` (the overview), each row
/// names and links its connection; a failed job shows why it failed.
pub fn jobs_table(
    caption: &str,
    jobs: &[Job],
    names: Option<&HashMap<ConnectionId, String>>,
    t: Timestamp,
) -> Markup {
    html! {
        div.table-wrap { table {
            caption.visually-hidden { (caption) }
            thead { tr {
                th scope="col" { "Job" }
                @if names.is_some() { th scope="col" { "Connection" } }
                th scope="col" { "Status" }
                th scope="col" { "Trigger" }
                th scope="col" { "Records" }
                th scope="col" { "Started" }
            } }
            tbody { @for j in jobs { tr {
                td { (job_label(j.id, j.kind)) }
                @if let Some(names) = names {
                    td {
                        a href={"/connections/" (j.connection_id)} {
                            (names.get(&j.connection_id).map_or("(connection)", String::as_str))
                        }
                    }
                }
                td {
                    (badge(j.status.as_str()))
                    @if let Some(e) = &j.error {
                        " " span.hint { (e.message) }
                    }
                }
                td { (j.trigger.as_str()) }
                td { (j.counts.read) }
                td { (when(Some(j.created_at), t)) }
            } } }
        } }
    }
}
