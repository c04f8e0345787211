//! Adjust Attribute (2.1 §6.1.4; KMIP 2.x): increments, decrements or negates a numeric or date
//! attribute (by one, one second, or the Adjustment Value).

use keyward_kmip::attributes::Attribute;
use keyward_kmip::codec::{DateTime, Interval};
use keyward_kmip::enums::AdjustmentType;
use keyward_kmip::payloads::adjust_attribute::{AdjustAttributeRequest, AdjustAttributeResponse};
use keyward_ttlv::Value;

use crate::attribute_rules::{Change, check};
use crate::attributes::instances;
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::lifecycle::{effective_state, refresh};

pub(crate) fn run(cx: &mut Context<'_>, request: &AdjustAttributeRequest) -> OpResult<AdjustAttributeResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    let reference = &request.attribute_reference;
    let current = instances(&stored, reference).first().map(|a| (a.index, a.attribute.clone()));
    let (index, current) = current.ok_or_else(|| OpError::AttributeNotFound(reference.name()))?;
    check(&current, Change::Modify, effective_state(&stored, cx.now))?;
    let amount = match &request.adjustment_value {
        None => 1,
        Some(raw) => match &raw.0 {
            Value::Integer(v) => i64::from(*v),
            Value::LongInteger(v) => *v,
            Value::Interval(v) => i64::from(*v),
            _ => {
                return Err(OpError::InvalidField("the Adjustment Value must be a number or an interval".into()));
            }
        },
    };
    let adjust = |value: i64| -> OpResult<i64> {
        match request.adjustment_type {
            AdjustmentType::Increment => value.checked_add(amount),
            AdjustmentType::Decrement => value.checked_sub(amount),
            AdjustmentType::Negate => value.checked_neg(),
            other => {
                return Err(OpError::InvalidField(format!("unknown Adjustment Type {other:?}")));
            }
        }
        .ok_or_else(|| OpError::InvalidField("the adjusted value is out of range".into()))
    };
    let narrow =
        |v: i64| i32::try_from(v).map_err(|_| OpError::InvalidField("the adjusted value is out of range".into()));
    let adjusted = match current {
        Attribute::CryptographicLength(v) => Attribute::CryptographicLength(narrow(adjust(i64::from(v))?)?),
        Attribute::RotateGeneration(v) => Attribute::RotateGeneration(narrow(adjust(i64::from(v))?)?),
        Attribute::LeaseTime(Interval(v)) => Attribute::LeaseTime(interval(adjust(i64::from(v))?)?),
        Attribute::ProtectionPeriod(Interval(v)) => Attribute::ProtectionPeriod(interval(adjust(i64::from(v))?)?),
        Attribute::ActivationDate(DateTime(v)) => Attribute::ActivationDate(DateTime(adjust(v)?)),
        Attribute::DeactivationDate(DateTime(v)) => Attribute::DeactivationDate(DateTime(adjust(v)?)),
        Attribute::ProcessStartDate(DateTime(v)) => Attribute::ProcessStartDate(DateTime(adjust(v)?)),
        Attribute::ProtectStopDate(DateTime(v)) => Attribute::ProtectStopDate(DateTime(adjust(v)?)),
        other => {
            return Err(OpError::InvalidField(format!("{} cannot be adjusted", other.reference().name())));
        }
    };
    for instance in stored.attributes.iter_mut() {
        if instance.index == index && reference.matches(&instance.attribute) {
            instance.attribute = adjusted.clone();
        }
    }
    refresh(&mut stored, cx.now);
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(AdjustAttributeResponse { unique_identifier: uid })
}

fn interval(value: i64) -> OpResult<Interval> {
    u32::try_from(value)
        .map(Interval)
        .map_err(|_| OpError::InvalidField("the adjusted interval is out of range".into()))
}
