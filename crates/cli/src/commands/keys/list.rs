//! `keys list`: Locate with filters and paging, then the few attributes a listing shows, fetched
//! for the whole page in one batch.

use clap::{Args, ValueEnum};
use keyward_client::LocateFilter;
use keyward_client::operations::lookup::{attributes_of, get_attributes_request};
use keyward_kmip::Tag;
use keyward_kmip::attributes::{Attribute, AttributeRef};
use keyward_kmip::enums::{ObjectType, State};
use serde_json::{Value, json};

use super::attribute_text;
use crate::commands::client_error::CliError;
use crate::commands::connection::{ClientOptions, with_session};
use crate::commands::output::{Output, table};

/// Object types, as `--type` spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TypeFilter {
    Symmetric,
    Secret,
    PrivateKey,
    PublicKey,
    Certificate,
    Opaque,
}

impl TypeFilter {
    fn kmip(self) -> ObjectType {
        match self {
            TypeFilter::Symmetric => ObjectType::SymmetricKey,
            TypeFilter::Secret => ObjectType::SecretData,
            TypeFilter::PrivateKey => ObjectType::PrivateKey,
            TypeFilter::PublicKey => ObjectType::PublicKey,
            TypeFilter::Certificate => ObjectType::Certificate,
            TypeFilter::Opaque => ObjectType::OpaqueObject,
        }
    }
}

/// States, as `--state` spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StateFilter {
    PreActive,
    Active,
    Deactivated,
    Compromised,
    Destroyed,
    DestroyedCompromised,
}

impl StateFilter {
    fn kmip(self) -> State {
        match self {
            StateFilter::PreActive => State::PreActive,
            StateFilter::Active => State::Active,
            StateFilter::Deactivated => State::Deactivated,
            StateFilter::Compromised => State::Compromised,
            StateFilter::Destroyed => State::Destroyed,
            StateFilter::DestroyedCompromised => State::DestroyedCompromised,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the object of this name.
    #[arg(long)]
    name: Option<String>,
    /// Only objects of this group.
    #[arg(long)]
    group: Option<String>,
    /// Only objects of this type.
    #[arg(long = "type", value_enum)]
    object_type: Option<TypeFilter>,
    /// Only objects in this state.
    #[arg(long, value_enum)]
    state: Option<StateFilter>,
    /// At most this many objects.
    #[arg(long, value_name = "N", default_value_t = 100)]
    limit: i32,
    /// Skip this many objects first (the next page: --offset 100).
    #[arg(long, value_name = "N")]
    offset: Option<i32>,
    /// List destroyed objects too (implied by --state destroyed or destroyed-compromised).
    #[arg(long)]
    include_destroyed: bool,
}

/// The columns of the listing, by the attribute each shows.
const COLUMNS: [(&str, &str, Tag); 5] = [
    ("TYPE", "object_type", Tag::ObjectType),
    ("STATE", "state", Tag::State),
    ("ALGORITHM", "algorithm", Tag::CryptographicAlgorithm),
    ("LENGTH", "length", Tag::CryptographicLength),
    ("NAME", "name", Tag::Name),
];

pub fn run(options: &ClientOptions, output: Output, args: ListArgs) -> Result<(), CliError> {
    if args.limit < 1 || args.offset.is_some_and(|offset| offset < 0) {
        return Err(CliError::Usage("--limit must be at least 1 and --offset at least 0".into()));
    }
    let destroyed_state = matches!(args.state, Some(StateFilter::Destroyed | StateFilter::DestroyedCompromised));
    let filter = LocateFilter {
        name: args.name,
        object_group: args.group,
        object_type: args.object_type.map(TypeFilter::kmip),
        state: args.state.map(StateFilter::kmip),
        algorithm: None,
        maximum_items: Some(args.limit),
        offset_items: args.offset,
        // A destroyed object is kept in "destroyed storage", which Locate leaves out unless asked.
        include_destroyed: args.include_destroyed || destroyed_state,
    };
    let (located, rows) = with_session(options, async |session| {
        let located = session.locate(&filter).await?;
        let wanted: Vec<AttributeRef> = COLUMNS.iter().map(|(_, _, tag)| AttributeRef::Standard(*tag)).collect();
        let requests =
            located.unique_identifiers.iter().map(|uid| get_attributes_request(uid, wanted.clone())).collect();
        let mut rows = Vec::new();
        for (uid, result) in located.unique_identifiers.iter().zip(session.batch(requests).await?) {
            // An object destroyed or refused since the Locate is listed with what is known: its id.
            let attributes = match result {
                Ok(payload) => attributes_of(payload)?,
                Err(_) => Vec::new(),
            };
            rows.push((uid.clone(), attributes));
        }
        Ok((located, rows))
    })?;
    let cells = |attributes: &[Attribute], tag: Tag| -> Vec<String> {
        attributes.iter().filter(|a| a.tag() == tag).map(attribute_text::value).collect()
    };
    let mut human_rows = Vec::new();
    let mut objects = Vec::new();
    for (uid, attributes) in &rows {
        let mut human = vec![uid.clone()];
        let mut object = json!({ "unique_identifier": uid });
        for (_, field, tag) in COLUMNS {
            let values = cells(attributes, tag);
            human.push(if values.is_empty() { "-".to_string() } else { values.join(", ") });
            object[field] = match tag {
                // Names may be several; the others are single-valued.
                Tag::Name => json!(values),
                _ => values.into_iter().next().map_or(Value::Null, Value::String),
            };
        }
        human_rows.push(human);
        objects.push(object);
    }
    let mut header = vec!["UNIQUE IDENTIFIER"];
    header.extend(COLUMNS.iter().map(|(title, _, _)| *title));
    let mut human = if rows.is_empty() { "no objects\n".to_string() } else { table(&header, &human_rows) };
    if let Some(total) = located.located_items.filter(|total| usize::try_from(*total).ok() != Some(rows.len())) {
        human.push_str(&format!("({} of {total} shown; page with --limit and --offset)\n", rows.len()));
    }
    output.print(&human, json!({ "located_items": located.located_items, "objects": objects }));
    Ok(())
}
