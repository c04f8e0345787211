//! `kmip_struct!`: a KMIP structure declared once as a Rust struct with the tag of each field,
//! from which its decoder and encoder are generated.
//!
//! ```ignore
//! kmip_struct! {
//!     /// KMIP 2.1 §2.1.x Name
//!     pub struct Name(Tag::Name) {
//!         name_value: one String = NameValue,
//!         name_type: one NameType = NameType,
//!     }
//! }
//! ```
//!
//! Each field is `one T` (required), `opt T` (`Option<T>`) or `many T` (`Vec<T>`). A field whose
//! tag changed from 1.x to 2.x names both, `= TemplateAttribute | Attributes`: either is accepted,
//! and the one of the message's version is written. A field that a later version added to a
//! structure under a tag that existed before says so with `@ V1_1`: it is not written for older
//! versions. Decoding accepts
//! the fields in any order, refuses unknown KMIP tags and duplicates of single fields, and skips
//! extension tags (0x54XXXX). Encoding writes the fields in declaration order (the order of the
//! specification's tables) and leaves out optional and repeated fields whose tag does not exist in
//! the message's version.

/// The Rust type of a field of a given cardinality.
#[macro_export]
#[doc(hidden)]
macro_rules! kmip_field_type {
    (one $t:ty) => { $t };
    (opt $t:ty) => { ::core::option::Option<$t> };
    (many $t:ty) => { ::std::vec::Vec<$t> };
}

#[macro_export]
#[doc(hidden)]
macro_rules! kmip_field_slot {
    (one $t:ty) => { ::core::option::Option<$t> };
    (opt $t:ty) => { ::core::option::Option<$t> };
    (many $t:ty) => { ::std::vec::Vec<$t> };
}

#[macro_export]
#[doc(hidden)]
macro_rules! kmip_field_take {
    ($slot:ident one $item:ident $tag:ident $cx:ident) => {
        $crate::codec::field::set_once(&mut $slot, $item.tag(), $tag, $cx)?
    };
    ($slot:ident opt $item:ident $tag:ident $cx:ident) => {
        $crate::codec::field::set_once(&mut $slot, $item.tag(), $tag, $cx)?
    };
    ($slot:ident many $item:ident $tag:ident $cx:ident) => {
        $slot.push($crate::codec::Codec::decode($tag, $cx)?)
    };
}

#[macro_export]
#[doc(hidden)]
macro_rules! kmip_field_finish {
    ($slot:ident one $item:ident $field_tag:expr) => {
        $crate::codec::field::required($slot, $item, $field_tag)?
    };
    ($slot:ident opt $item:ident $field_tag:expr) => {
        $slot
    };
    ($slot:ident many $item:ident $field_tag:expr) => {
        $slot
    };
}

#[macro_export]
#[doc(hidden)]
macro_rules! kmip_field_encode {
    ($value:expr, one, $tag:expr, $out:ident, $cx:ident) => {
        $crate::codec::Codec::encode($value, $tag, $out, $cx)
    };
    ($value:expr, opt, $tag:expr, $out:ident, $cx:ident) => {
        $crate::codec::field::encode_opt($value, $tag, $out, $cx)
    };
    ($value:expr, many, $tag:expr, $out:ident, $cx:ident) => {
        $crate::codec::field::encode_all($value, $tag, $out, $cx)
    };
}

/// The tag of a field: the first for 1.x messages and the second for 2.x when two are given
/// (`TemplateAttribute | Attributes`, `AttributeName | AttributeReference`).
#[macro_export]
#[doc(hidden)]
macro_rules! kmip_field_tag {
    ($cx:ident, $tag:ident) => {
        ::keyward_ttlv::Tag::$tag
    };
    ($cx:ident, $v1:ident | $v2:ident) => {
        if $cx.is_1x() { ::keyward_ttlv::Tag::$v1 } else { ::keyward_ttlv::Tag::$v2 }
    };
}

/// Whether a field is written in this version: always, or from the version named after `@` (for a
/// field that reuses a tag older than itself, such as the Key Format Type of a 1.1 Digest).
#[macro_export]
#[doc(hidden)]
macro_rules! kmip_field_in_version {
    ($cx:ident) => {
        true
    };
    ($cx:ident, $since:ident) => {
        $cx.keep_all_fields || $cx.version >= ::keyward_ttlv::KmipVersion::$since
    };
}

/// Declares a KMIP structure; see the module documentation.
#[macro_export]
macro_rules! kmip_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $kind:ident $ty:ty = $tag:ident $(| $tag2:ident)? $(@ $since:ident)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $crate::kmip_field_type!($kind $ty), )*
        }

        impl $crate::codec::Codec for $name {
            #[allow(unused_variables, unused_mut)]
            fn decode(item: ::keyward_ttlv::ItemRef<'_>, cx: &$crate::codec::Cx) -> $crate::error::ModelResult<Self> {
                $crate::codec::expect_structure(item)?;
                $( let mut $field: $crate::kmip_field_slot!($kind $ty) = Default::default(); )*
                for child in item.children() {
                    match child.tag() {
                        $( ::keyward_ttlv::Tag::$tag $(| ::keyward_ttlv::Tag::$tag2)? => $crate::kmip_field_take!($field $kind item child cx), )*
                        _ => $crate::codec::field::unexpected_unless_ignorable(item, child, cx)?,
                    }
                }
                Ok($name { $( $field: $crate::kmip_field_finish!($field $kind item ::keyward_ttlv::Tag::$tag), )* })
            }

            #[allow(unused_variables)]
            fn encode(&self, tag: ::keyward_ttlv::Tag, out: &mut ::keyward_ttlv::Encoder, cx: &$crate::codec::Cx) {
                let open = out.begin(tag);
                $(
                    if $crate::kmip_field_in_version!(cx $(, $since)?) {
                        $crate::kmip_field_encode!(&self.$field, $kind, $crate::kmip_field_tag!(cx, $tag $(| $tag2)?), out, cx);
                    }
                )*
                out.end(open);
            }
        }
    };
}
