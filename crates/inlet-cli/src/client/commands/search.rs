//! `inlet search COLLECTION QUERY`.

use clap::Args;

use crate::client::read_after;
use crate::client::remote::{Failure, Remote, segment};
use crate::client::show::{Cell, Format, list};
use crate::output;

/// `inlet search …`
#[derive(Args)]
#[command(
    after_help = "Query syntax: words (all must match), \"a phrase\", prefix*, a OR b, -excluded.\n\nExample:\n  inlet search col_1 '\"late delivery\" refund*' --limit 5"
)]
pub struct Search {
    /// Collection id (col_1 or 1).
    collection: String,
    /// The query.
    query: String,
    /// Results to show, 1-200.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Wait until the server's index has applied this change-log position
    /// (a job's indexSeq). Default: the last one a `sync run --wait` saw on
    /// this server, so a search finds what that sync wrote.
    #[arg(long)]
    after: Option<u64>,
    #[command(flatten)]
    show: Format,
}

pub async fn run(remote: &Remote, args: Search) -> Result<(), Failure> {
    let mut path = format!(
        "/api/v1/collections/{}/search?limit={}&q={}",
        segment(&args.collection),
        args.limit,
        segment(&args.query)
    );
    if let Some(after) = args.after.or_else(|| read_after::recall(remote)) {
        path.push_str(&format!("&after={after}"));
    }
    let v = remote.get(&path).await?;
    list(
        args.show,
        &v["results"],
        "documentId",
        &[
            ("DOCUMENT", "documentId", Cell::Text),
            ("CONNECTION", "sourceConnectionId", Cell::Text),
            ("STREAM", "stream", Cell::Text),
            ("TITLE", "title", Cell::Text),
        ],
    );
    if args.show.human() {
        let at_least = if v["totalRelation"] == "gte" {
            "at least "
        } else {
            ""
        };
        output::stdout(&format!("{at_least}{} in all\n", v["total"]));
    }
    Ok(())
}
