//! SQLite's varints and records, decoded as the file holds them: what the walk needs to read
//! cells and schema rows, and what the fast verify path reads entries with.

/// A SQLite varint at `at`: its value and length, or `None` past `end`.
pub(super) fn varint(data: &[u8], at: usize, end: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..9 {
        let byte = *data.get(at + i).filter(|_| at + i < end)?;
        if i == 8 {
            return Some(((value << 8) | u64::from(byte), 9));
        }
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// A value of a record, as the file holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Raw<'a> {
    Null,
    Int(i64),
    Text(&'a [u8]),
    /// A real number or a blob: never in a gate log.
    Other,
}

/// Decodes a record into `values`: how many it holds, or `None` when its header does not fit
/// its body exactly or it holds more values than `values` has room for.
pub(crate) fn decode_record<'a>(record: &'a [u8], values: &mut [Raw<'a>]) -> Option<usize> {
    let (header, mut at) = varint(record, 0, record.len())?;
    let header = usize::try_from(header).ok()?;
    let mut body = header;
    let mut count = 0;
    while at < header {
        let (serial, n) = varint(record, at, header)?;
        at += n;
        let width = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            s if s >= 12 => usize::try_from((s - 12) / 2).ok()?,
            _ => return None,
        };
        let bytes = record.get(body..body.checked_add(width)?)?;
        body += width;
        *values.get_mut(count)? = match serial {
            0 => Raw::Null,
            8 => Raw::Int(0),
            9 => Raw::Int(1),
            1..=6 => {
                let mut value = if bytes[0] & 0x80 != 0 { -1i64 } else { 0 };
                for b in bytes {
                    value = (value << 8) | i64::from(*b);
                }
                Raw::Int(value)
            }
            s if s >= 13 && s % 2 == 1 => Raw::Text(bytes),
            _ => Raw::Other,
        };
        count += 1;
    }
    (at == header && body == record.len()).then_some(count)
}

/// The values of a schema row (five columns), or `None` as for `decode_record`.
pub(super) fn record_values(record: &[u8]) -> Option<Vec<Raw<'_>>> {
    let mut values = [Raw::Null; 6];
    let count = decode_record(record, &mut values)?;
    Some(values[..count].to_vec())
}
