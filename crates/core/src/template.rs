//! 1.x Template objects (1.0 and 1.1 §2.2.6; 1.2 to 1.4 §2.2.6, deprecated since 1.3 but still
//! defined): a named list of attributes for the objects a Create, Register or Create Key Pair
//! makes when its Template-Attribute names the template ([`crate::creation::expand_templates`]).
//!
//! A Template is not a cryptographic object. 1.0 §2.2.6 says which attributes apply to it: "Unique
//! Identifier, Object Type, Name, Initial Date, Archive Date, and Last Change Date"; "none of the
//! client-settable attributes specified in a Template except the Name attribute apply to the
//! template object itself". The §3 tables agree: State, Lease Time, Fresh, Digest, Link and the
//! other dates are for cryptographic objects. So a registered Template gets those six (Archive
//! Date once archived) and nothing the server sets on keys.

use keyward_kmip::DateTime;
use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};
use keyward_kmip::enums::ObjectType;
use keyward_kmip::objects::{ManagedObject, Template};
use keyward_store::StoredObject;

use crate::attributes::{add, set};
use crate::context::Context;
use crate::creation::check_name_unique;
use crate::error::{OpError, OpResult};

/// The stored form of a Template being registered. Its Names are those inside it (1.0 and 1.1
/// §2.2.6: the Name is the one attribute of a Template that applies to the Template) and those of
/// the Register's Template-Attribute (1.2 to 1.4 §2.2.6: "the name of a Template ... is specified
/// as an Attribute in the Template-Attribute structure in the Register operation"). Any other
/// attribute of the Register would have to apply to the Template itself, which it cannot: Invalid
/// Field ("Incorrect attribute value(s) specified", 1.4 Table 330). It belongs inside the Template.
pub(crate) fn new_template(cx: &Context<'_>, template: &Template, given: Vec<Attribute>) -> OpResult<StoredObject> {
    let mut names: Vec<Name> = Vec::new();
    let inside = template.attributes.iter().map(|a| a.attribute.clone());
    for attribute in inside.chain(given.iter().cloned()) {
        if let Attribute::Name(name) = attribute
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    if let Some(other) = given.iter().find(|a| !matches!(a, Attribute::Name(_))) {
        return Err(OpError::InvalidField(format!(
            "{} does not apply to a Template itself; put it inside the Template",
            other.reference().name()
        )));
    }
    for name in &names {
        check_name_unique(cx, name, None)?;
    }
    let unique_identifier = cx.new_unique_identifier();
    let mut stored = StoredObject {
        unique_identifier: unique_identifier.clone(),
        owner: cx.client.name.clone(),
        object: Some(ManagedObject::Template(template.clone())),
        attributes: vec![
            IndexedAttribute::new(Attribute::UniqueIdentifier(unique_identifier)),
            IndexedAttribute::new(Attribute::ObjectType(ObjectType::Template)),
        ],
        revision: 0,
    };
    for name in names {
        add(&mut stored, Attribute::Name(name));
    }
    set(&mut stored, Attribute::InitialDate(DateTime(cx.now)));
    set(&mut stored, Attribute::LastChangeDate(DateTime(cx.now)));
    // Whose template it is, for its operation policy (1.4 Table 94); no client sees this record.
    crate::operation_policy::record_creator(cx, &mut stored);
    Ok(stored)
}
